import type {
  Cidr,
  DeviceName,
  IpAddress,
  LinkGroup,
  Mac,
  Mtu,
  NamespaceName,
  RouteScope,
  TableId,
} from '../net/types.js';
import { familyOf, ipv4Broadcast } from '../net/types.js';

export type { RouteScope } from '../net/types.js';

/** A route. `to` is a CIDR or `default` (with `family` saying which default). */
export interface RouteSpec {
  readonly to: Cidr | 'default';
  /** Needed only for `default` (IPv4 unless 6); otherwise taken from `to`. */
  readonly family?: 4 | 6;
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
  /** The table to look up; `main` when omitted. */
  readonly table?: TableId;
  readonly priority?: number;
  /** Needed when neither `from` nor `to` says it; IPv4 by default. */
  readonly family?: 4 | 6;
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
  | { readonly op: 'addr.flush'; readonly dev: DeviceName; readonly family?: 4 | 6 }
  | {
      readonly op: 'route.add' | 'route.replace' | 'route.del';
      readonly route: RouteSpec;
      readonly family?: 4 | 6;
    }
  | { readonly op: 'route.show'; readonly family?: 4 | 6 }
  | { readonly op: 'route.flush'; readonly table: TableId; readonly family?: 4 | 6 }
  | { readonly op: 'rule.add' | 'rule.del'; readonly rule: RuleSpec; readonly family?: 4 | 6 }
  | { readonly op: 'rule.show'; readonly family?: 4 | 6 }
  | {
      readonly op: 'neigh.replace';
      readonly address: IpAddress;
      readonly mac: Mac;
      readonly dev: DeviceName;
      readonly permanent: boolean;
    }
  | { readonly op: 'neigh.del'; readonly address: IpAddress; readonly dev: DeviceName }
  | { readonly op: 'neigh.show'; readonly dev?: DeviceName; readonly address?: IpAddress }
  | { readonly op: 'neigh.flush'; readonly dev: DeviceName; readonly family?: 4 | 6 }
  | { readonly op: 'sysctl'; readonly namespace: NamespaceName; readonly settings: readonly string[] };

/** Operations whose output is a JSON document (the others print nothing on success). */
export function isRead(o: IpOp): boolean {
  return o.op === 'link.show' || o.op === 'route.show' || o.op === 'rule.show' || o.op === 'neigh.show';
}

function routeWords(r: RouteSpec): string[] {
  const w: string[] = [r.to];
  if (r.via) w.push('via', r.via);
  if (r.dev) w.push('dev', r.dev);
  if (r.src) w.push('src', r.src);
  if (r.metric !== undefined) w.push('metric', String(r.metric));
  if (r.table !== undefined) w.push('table', String(r.table));
  if (r.scope) w.push('scope', r.scope);
  if (r.onlink) w.push('onlink');
  return w;
}

function ruleWords(r: RuleSpec): string[] {
  const w: string[] = [];
  if (r.from) w.push('from', r.from);
  if (r.to) w.push('to', r.to);
  if (r.iif) w.push('iif', r.iif);
  if (r.priority !== undefined) w.push('priority', String(r.priority));
  w.push('table', String(r.table ?? 'main'));
  return w;
}

function linkCommon(group?: LinkGroup, mtu?: Mtu, mac?: Mac): string[] {
  const w: string[] = [];
  if (group !== undefined) w.push('group', String(group));
  if (mtu !== undefined) w.push('mtu', String(mtu));
  if (mac !== undefined) w.push('address', mac);
  return w;
}

function setWords(s: LinkChanges): string[] {
  const w: string[] = [];
  if (s.mtu !== undefined) w.push('mtu', String(s.mtu));
  if (s.mac !== undefined) w.push('address', s.mac);
  if (s.newName !== undefined) w.push('name', s.newName);
  if (s.alias !== undefined) w.push('alias', s.alias);
  if (s.allmulticast !== undefined) w.push('allmulticast', s.allmulticast ? 'on' : 'off');
  if (s.master !== undefined) w.push(...(s.master === null ? ['nomaster'] : ['master', s.master]));
  if (s.group !== undefined) w.push('group', String(s.group));
  if (s.namespace !== undefined) w.push('netns', s.namespace);
  if (s.up !== undefined) w.push(s.up ? 'up' : 'down');
  return w;
}

/**
 * The `ip -batch` line for one operation (without the trailing newline). Pure: no I/O. Every word
 * comes from a validated value, so no word can contain a space, quote or `#`. A device name always
 * follows a keyword (`name`, `dev`, `master`…): bare, `ip` takes a valid name such as `up`, `mtu`
 * or `help` (or any prefix of a keyword, like `h`) for that keyword, and `help` ends the process.
 */
export function batchLine(o: IpOp): string {
  switch (o.op) {
    case 'netns.add':
      return `netns add ${o.name}`;
    case 'netns.del':
      return `netns del ${o.name}`;
    case 'veth.add': {
      const peer = ['name', o.peer, ...linkCommon(o.group, o.mtu, o.peerMac)];
      if (o.peerNamespace) peer.push('netns', o.peerNamespace);
      return ['link add name', o.name, ...linkCommon(o.group, o.mtu, o.mac), 'type veth peer', ...peer].join(
        ' ',
      );
    }
    case 'bridge.add':
      return ['link add name', o.name, ...linkCommon(o.group, o.mtu), 'type bridge'].join(' ');
    case 'vxlan.add': {
      const v = o.vxlan;
      const w = ['link add name', o.name, ...linkCommon(o.group, o.mtu), 'type vxlan id', String(v.vni)];
      if (v.local) w.push('local', v.local);
      if (v.remote) w.push('remote', v.remote);
      if (v.group) w.push('group', v.group);
      if (v.dev) w.push('dev', v.dev);
      w.push('dstport', String(v.dstport ?? 4789));
      if (v.learning === false) w.push('nolearning');
      return w.join(' ');
    }
    case 'link.del':
      return `link del dev ${o.name}`;
    case 'link.del.group':
      return `link del group ${o.group}`;
    case 'link.set':
      return ['link set dev', o.name, ...setWords(o.set)].join(' ');
    case 'link.show':
      // `addr show`, never `link show`: in iproute2 6.1 batch mode a `link show` makes every later
      // `addr show` lose its addresses. `addr show` carries the link attributes too.
      if (o.name) return `addr show dev ${o.name}`;
      return o.group !== undefined ? `addr show group ${o.group}` : 'addr show';
    case 'addr.add': {
      const w = ['addr add', o.cidr];
      if (familyOf(o.cidr) === 4) w.push('brd', ipv4Broadcast(o.cidr));
      if (o.scope) w.push('scope', o.scope);
      w.push('dev', o.dev);
      return w.join(' ');
    }
    case 'addr.del':
      return `addr del ${o.cidr} dev ${o.dev}`;
    case 'addr.flush':
      // `to 0.0.0.0/0` (or `::/0`) narrows the flush to one family without the global -4/-6.
      return `addr flush dev ${o.dev}${o.family ? ` to ${o.family === 4 ? '0.0.0.0/0' : '::/0'}` : ''}`;
    case 'route.add':
    case 'route.replace':
    case 'route.del':
      return [o.op.replace('.', ' '), ...routeWords(o.route)].join(' ');
    case 'route.show':
      // Under -6 a full dump is IPv6 only; without it, `root 0.0.0.0/0` keeps the dump to IPv4.
      return o.family === 6 ? 'route show table all' : 'route show table all root 0.0.0.0/0';
    case 'route.flush':
      return `route flush table ${o.table}`;
    case 'rule.add':
    case 'rule.del':
      return [o.op.replace('.', ' '), ...ruleWords(o.rule)].join(' ');
    case 'rule.show':
      return 'rule show';
    case 'neigh.replace':
      return `neigh replace ${o.address} lladdr ${o.mac} dev ${o.dev} nud ${o.permanent ? 'permanent' : 'reachable'}`;
    case 'neigh.del':
      // Not `neigh del`: in iproute2 6.1 a failed `neigh del` (entry absent) exits the whole batch
      // process. A flush of exactly this entry removes it too, and an absent entry is not an error.
      return `neigh flush to ${o.address} dev ${o.dev} nud all`;
    case 'neigh.show':
      return ['neigh show', ...(o.address ? ['to', o.address] : []), ...(o.dev ? ['dev', o.dev] : [])].join(
        ' ',
      );
    case 'sysctl':
      // ip forks and waits for `sysctl` in the namespace; its error lines arrive before ip's own
      // `Command failed` line, so the usual framing holds. `-q`: nothing is printed on success.
      return `netns exec ${o.namespace} sysctl -q -w ${o.settings.join(' ')}`;
    case 'neigh.flush':
      // Without `nud`, `ip neigh flush` leaves permanent and noarp entries alone, as Neutron wants.
      return `neigh flush dev ${o.dev}`;
  }
}
