// ip operations as data: one discriminated union, the same list planned, printed, faked and run (Neutron: ip_lib's commands).
import type {
  Cidr,
  DeviceName,
  IpAddress,
  IpFamily,
  LinkGroup,
  Mac,
  Mtu,
  NamespaceName,
  RouteScope,
  TableId,
} from '../net/types.js';

export type { RouteScope } from '../net/types.js';

/** A route. `to` is a CIDR or `default` (with `family` saying which default). */
export interface RouteSpec {
  readonly to: Cidr | 'default';
  /** Needed only for `default` (IPv4 unless 6); otherwise taken from `to`. */
  readonly family?: IpFamily;
  readonly via?: IpAddress;
  readonly dev?: DeviceName;
  readonly metric?: number;
  readonly table?: TableId;
  readonly scope?: RouteScope;
  /** Accept a gateway that is not on a connected subnet. */
  readonly onlink?: boolean;
  /** Preferred source address. */
  readonly src?: IpAddress;
}

/** A policy-routing rule selector plus its action (lookup `table`). */
export interface RuleSpec {
  readonly from?: Cidr;
  readonly to?: Cidr;
  readonly iif?: DeviceName;
  /** The table to look up; `default` (253) when omitted, as in Neutron. */
  readonly table?: TableId;
  readonly priority?: number;
  /** Needed when neither `from` nor `to` says it; IPv4 by default. */
  readonly family?: IpFamily;
}

/** VXLAN parameters. Either `remote` (unicast peer) or `group` (multicast) or neither (FDB-driven). */
export interface VxlanSpec {
  readonly vni: number;
  readonly local?: IpAddress;
  readonly remote?: IpAddress;
  readonly group?: IpAddress;
  /** Underlay device (required by the kernel with a multicast group). */
  readonly dev?: DeviceName;
  /** UDP destination port; the kernel's default is 8472, IANA's 4789. */
  readonly dstport?: number;
  /** MAC learning; on unless false. */
  readonly learning?: boolean;
  /** ARP proxy: answer ARP from the device's permanent neighbours (l2pop); off unless true. */
  readonly proxy?: boolean;
}

/** Attributes `link set` can change. */
export interface LinkChanges {
  readonly up?: boolean;
  readonly mtu?: Mtu;
  readonly mac?: Mac;
  /** Rename (the kernel wants the link down). */
  readonly newName?: DeviceName;
  readonly alias?: string;
  readonly allmulticast?: boolean;
  /** Enslave to a bridge, or null to release. */
  readonly master?: DeviceName | null;
  /** Move into another namespace (the link leaves this one; its addresses are dropped). */
  readonly namespace?: NamespaceName;
  readonly group?: LinkGroup;
}

/**
 * One `ip -batch` operation. Operations are data: the same list is printed as a plan, checked in
 * unit tests and run by {@link IpBatch}. `family: 6` on an operation means it must run where `ip`
 * was started with `-6` (rule and route dumps and flushes default to IPv4 otherwise).
 */
export type IpOp =
  | { readonly op: 'netns.add'; readonly name: NamespaceName }
  | { readonly op: 'netns.del'; readonly name: NamespaceName }
  | {
      readonly op: 'veth.add';
      readonly name: DeviceName;
      readonly peer: DeviceName;
      readonly peerNamespace?: NamespaceName;
      readonly group?: LinkGroup;
      readonly mtu?: Mtu;
      readonly mac?: Mac;
      readonly peerMac?: Mac;
    }
  | { readonly op: 'bridge.add'; readonly name: DeviceName; readonly group?: LinkGroup; readonly mtu?: Mtu }
  | {
      readonly op: 'vxlan.add';
      readonly name: DeviceName;
      readonly vxlan: VxlanSpec;
      readonly group?: LinkGroup;
      readonly mtu?: Mtu;
    }
  | { readonly op: 'link.del'; readonly name: DeviceName }
  | { readonly op: 'link.del.group'; readonly group: LinkGroup }
  | { readonly op: 'link.set'; readonly name: DeviceName; readonly set: LinkChanges }
  | { readonly op: 'link.show'; readonly name?: DeviceName; readonly group?: LinkGroup }
  | { readonly op: 'addr.add'; readonly cidr: Cidr; readonly dev: DeviceName; readonly scope?: RouteScope }
  | { readonly op: 'addr.del'; readonly cidr: Cidr; readonly dev: DeviceName }
  | { readonly op: 'addr.flush'; readonly dev: DeviceName; readonly family?: IpFamily }
  | {
      readonly op: 'route.add' | 'route.replace' | 'route.del';
      readonly route: RouteSpec;
      readonly family?: IpFamily;
    }
  | { readonly op: 'route.show'; readonly family?: IpFamily }
  | { readonly op: 'route.flush'; readonly table: TableId; readonly family?: IpFamily }
  | { readonly op: 'rule.add' | 'rule.del'; readonly rule: RuleSpec; readonly family?: IpFamily }
  | { readonly op: 'rule.show'; readonly family?: IpFamily }
  | {
      readonly op: 'neigh.replace';
      readonly address: IpAddress;
      readonly mac: Mac;
      readonly dev: DeviceName;
      readonly permanent: boolean;
    }
  | { readonly op: 'neigh.del'; readonly address: IpAddress; readonly dev: DeviceName }
  | { readonly op: 'neigh.show'; readonly dev?: DeviceName; readonly address?: IpAddress }
  | { readonly op: 'neigh.flush'; readonly dev: DeviceName; readonly family?: IpFamily }
  | { readonly op: 'sysctl'; readonly namespace: NamespaceName; readonly settings: readonly string[] }
  /** Reads sysctl keys inside a namespace; its output is a key -> value record (absent keys left out). */
  | { readonly op: 'sysctl.show'; readonly namespace: NamespaceName; readonly keys: readonly string[] };

/** Operations whose output is a JSON document (the others print nothing on success). */
export function isRead(o: IpOp): boolean {
  return (
    o.op === 'link.show' ||
    o.op === 'route.show' ||
    o.op === 'rule.show' ||
    o.op === 'neigh.show' ||
    o.op === 'sysctl.show'
  );
}
