// Link creation verbs: veth pairs, Linux bridges, VXLAN devices, each as spec -> ops -> run (Neutron: ip_lib.IPWrapper.add_veth / add_vxlan).
import { InvalidInputError } from '../errors.js';
import { optionalNamespace } from '../net/namespace.js';
import {
  type DeviceName,
  deviceName,
  intIn,
  ipAddress,
  type Mac,
  type Mtu,
  mac,
  mtu,
  type NamespaceName,
} from '../net/types.js';
import { defined } from './defined.js';
import { executorOf, type Via } from './executor.js';
import { type InNamespace, requireDevice } from './links.js';
import type { IpOp, VxlanSpec } from './ops.js';
import { type Mark, markOps, type Ownership, ownershipMark } from './ownership.js';

/** Arguments of {@link addVeth}. */
export interface VethArgs extends InNamespace, Via {
  readonly name: string;
  readonly peer: string;
  /** Create the peer end directly in this namespace (it must exist). */
  readonly peerNamespace?: string | null;
  readonly mtu?: number;
  readonly mac?: string;
  readonly peerMac?: string;
  /** Bring both ends up. */
  readonly up?: boolean;
  readonly owner?: Ownership;
}

/** A validated veth pair. */
export interface VethSpec {
  readonly namespace: NamespaceName | null;
  /** Where the peer is created: `namespace` unless told otherwise. */
  readonly peerNamespace: NamespaceName | null;
  readonly name: DeviceName;
  readonly peer: DeviceName;
  readonly mtu?: Mtu;
  readonly mac?: Mac;
  readonly peerMac?: Mac;
  readonly up: boolean;
  readonly mark?: Mark;
}

/**
 * Validates the arguments of a veth pair. Pure apart from throwing; nothing is stat'ed.
 *
 * @throws {InvalidInputError} naming the argument
 */
export function vethSpec(a: VethArgs): VethSpec {
  const namespace = optionalNamespace(a.namespace);
  const peerNamespace =
    a.peerNamespace === undefined ? namespace : optionalNamespace(a.peerNamespace, 'peerNamespace');
  if (peerNamespace === null && namespace !== null) {
    // `ip -n NS` has no name for the root namespace: create the pair from the root side instead.
    throw new InvalidInputError(
      'peerNamespace: null (the root namespace) needs the pair created from the root namespace: swap name/peer and namespace/peerNamespace',
      'peerNamespace',
    );
  }
  return defined({
    namespace,
    peerNamespace,
    name: deviceName(a.name, 'name'),
    peer: deviceName(a.peer, 'peer'),
    mtu: a.mtu === undefined ? undefined : mtu(a.mtu),
    mac: a.mac === undefined ? undefined : mac(a.mac, 'mac'),
    peerMac: a.peerMac === undefined ? undefined : mac(a.peerMac, 'peerMac'),
    up: a.up === true,
    mark: ownershipMark(a.owner),
  });
}

/**
 * The ops that create, mark and raise a veth pair, per namespace: `here` runs in the spec's
 * namespace, `there` in the peer's (empty when both ends live in one namespace). The peer's mark is
 * set where the peer lives. Pure.
 */
export function vethOps(s: VethSpec): { readonly here: IpOp[]; readonly there: IpOp[] } {
  const apart = s.peerNamespace !== s.namespace;
  const add: IpOp = {
    op: 'veth.add',
    ...defined({
      name: s.name,
      peer: s.peer,
      peerNamespace: apart && s.peerNamespace ? s.peerNamespace : undefined,
      group: s.mark?.group,
      mtu: s.mtu,
      mac: s.mac,
      peerMac: s.peerMac,
    }),
  };
  const peerMark = markOps(s.peer, s.mark, s.up);
  return {
    here: [add, ...markOps(s.name, s.mark, s.up), ...(apart ? [] : peerMark)],
    there: apart ? peerMark : [],
  };
}

/**
 * Creates a veth pair; the peer is created straight in `peerNamespace` when given (no move).
 *
 * Equivalent to: `ip [-n NS] link add name NAME [group G] [mtu M] type veth peer name PEER [netns PEERNS]`,
 * then `ip link set dev NAME alias tenantnet:OWNER up` on each end where it lives.
 *
 * @throws {InvalidInputError} before anything runs; {@link LinkAlreadyExistsError};
 *   {@link NamespaceNotFoundError} (either namespace; nothing is created)
 */
export async function addVeth(a: VethArgs): Promise<void> {
  const s = vethSpec(a);
  const { here, there } = vethOps(s);
  const ex = executorOf(a);
  await ex.apply(s.namespace, here);
  if (there.length > 0) await ex.apply(s.peerNamespace, there);
}

/** Arguments of {@link addBridge}. */
export interface BridgeArgs extends InNamespace, Via {
  readonly name: string;
  readonly mtu?: number;
  readonly up?: boolean;
  readonly owner?: Ownership;
}

/** A validated Linux bridge. */
export interface BridgeSpec {
  readonly name: DeviceName;
  readonly mtu?: Mtu;
  readonly up: boolean;
  readonly mark?: Mark;
}

/** Validates the arguments of a bridge (not its namespace). @throws {InvalidInputError} */
export function bridgeSpec(a: Omit<BridgeArgs, 'namespace' | 'executor'>): BridgeSpec {
  return defined({
    name: deviceName(a.name, 'name'),
    mtu: a.mtu === undefined ? undefined : mtu(a.mtu),
    up: a.up === true,
    mark: ownershipMark(a.owner),
  });
}

/** The ops that create, mark and raise a bridge. Pure. */
export function bridgeOps(s: BridgeSpec): IpOp[] {
  return [
    { op: 'bridge.add', ...defined({ name: s.name, group: s.mark?.group, mtu: s.mtu }) },
    ...markOps(s.name, s.mark, s.up),
  ];
}

/**
 * Creates a Linux bridge.
 *
 * Equivalent to: `ip [-n NS] link add name NAME [group G] [mtu M] type bridge`
 *
 * @throws {LinkAlreadyExistsError} and the usual validation errors
 */
export async function addBridge(a: BridgeArgs): Promise<void> {
  const s = bridgeSpec(a);
  const ns = optionalNamespace(a.namespace);
  await executorOf(a).apply(ns, bridgeOps(s));
}

/** Arguments of {@link addVxlan}. */
export interface VxlanArgs extends InNamespace, Via {
  readonly name: string;
  readonly vni: number;
  readonly local?: string;
  readonly remote?: string;
  /** Multicast group (needs `dev`). */
  readonly group?: string;
  readonly dev?: string;
  readonly dstport?: number;
  readonly learning?: boolean;
  /** ARP proxy (answer ARP from permanent neighbours). */
  readonly proxy?: boolean;
  readonly mtu?: number;
  readonly up?: boolean;
  readonly owner?: Ownership;
}

/** A validated VXLAN device. */
export interface VxlanLinkSpec {
  readonly name: DeviceName;
  readonly vxlan: VxlanSpec;
  readonly mtu?: Mtu;
  readonly up: boolean;
  readonly mark?: Mark;
}

/** Validates the arguments of a VXLAN device (not its namespace). @throws {InvalidInputError} */
export function vxlanSpec(a: Omit<VxlanArgs, 'namespace' | 'executor'>): VxlanLinkSpec {
  const name = deviceName(a.name, 'name');
  if (a.remote !== undefined && a.group !== undefined) {
    throw new InvalidInputError('vxlan: give either remote or group, not both', 'remote');
  }
  return defined({
    name,
    vxlan: defined({
      vni: intIn(a.vni, 0, 0xffffff, 'vni'),
      local: a.local === undefined ? undefined : ipAddress(a.local, 'local'),
      remote: a.remote === undefined ? undefined : ipAddress(a.remote, 'remote'),
      group: a.group === undefined ? undefined : ipAddress(a.group, 'group'),
      dev: a.dev === undefined ? undefined : deviceName(a.dev, 'dev'),
      dstport: a.dstport === undefined ? undefined : intIn(a.dstport, 1, 65535, 'dstport'),
      learning: a.learning,
      proxy: a.proxy,
    }),
    mtu: a.mtu === undefined ? undefined : mtu(a.mtu),
    up: a.up === true,
    mark: ownershipMark(a.owner),
  });
}

/** The ops that create, mark and raise a VXLAN device. Pure. */
export function vxlanOps(s: VxlanLinkSpec): IpOp[] {
  return [
    { op: 'vxlan.add', ...defined({ name: s.name, vxlan: s.vxlan, group: s.mark?.group, mtu: s.mtu }) },
    ...markOps(s.name, s.mark, s.up),
  ];
}

/**
 * Creates a VXLAN device. An underlay `dev` is read first (a missing one would end the batch process).
 *
 * Equivalent to: `ip [-n NS] link add name NAME type vxlan id VNI [local A] [remote A | group A dev D] dstport P [nolearning] [proxy]`
 *
 * @throws {InvalidInputError} (remote and group together, bad VNI…); {@link DeviceNotFoundError} for `dev`
 */
export async function addVxlan(a: VxlanArgs): Promise<void> {
  const s = vxlanSpec(a);
  const ns = optionalNamespace(a.namespace);
  const ex = executorOf(a);
  if (s.vxlan.dev) await requireDevice(ex, ns, s.vxlan.dev);
  await ex.apply(ns, vxlanOps(s));
}
