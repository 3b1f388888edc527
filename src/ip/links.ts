import { InvalidInputError } from '../errors.js';
import { existingNamespace } from '../net/namespace.js';
import {
  type DeviceName,
  deviceName,
  intIn,
  ipAddress,
  type LinkGroup,
  linkGroup,
  mac,
  mtu,
  type NamespaceName,
  namespaceName,
  token,
} from '../net/types.js';
import { type AddressInfo, parseAddresses } from './addresses.js';
import { ipExecutor } from './batch.js';
import { DeviceNotFoundError, ObjectNotFoundError } from './errors.js';
import type { IpOp, LinkChanges, VxlanSpec } from './ops.js';

/** Marks a link as tenantnet's: its ifalias becomes `tenantnet:<owner>` and it joins `group`. */
export interface Ownership {
  /** Who made it (a router, a network…): 1-200 of `A-Z a-z 0-9 _ . : -`. */
  readonly owner: string;
  /** Link group number: everything of one owner set can be listed and deleted with one request. */
  readonly group: number;
}

/** The ifalias prefix of links tenantnet made. */
export const OWNER_ALIAS_PREFIX = 'tenantnet:';

/** Where a link lives: a namespace name, or null/absent for the root namespace. */
export interface InNamespace {
  readonly namespace?: string | null;
}

/** A link as read back from the kernel. */
export interface LinkInfo {
  readonly name: DeviceName;
  readonly index: number;
  /** `veth`, `bridge`, `vxlan`, … ; null for devices without a kind (lo, physical). */
  readonly kind: string | null;
  readonly mtu: number;
  readonly mac: string;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** The kernel's operational state (`UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN`). */
  readonly operState: string;
  /** The root queueing discipline (`noqueue`, `noop`, `pfifo_fast`, …). */
  readonly qdisc: string;
  readonly alias: string | null;
  /** Link group number (0 = default). */
  readonly group: number;
  readonly master: string | null;
  readonly allmulticast: boolean;
  /** The owner named in a `tenantnet:` alias, or null for links tenantnet did not make. */
  readonly owner: string | null;
  readonly addresses: readonly AddressInfo[];
}

function ns(value: string | null | undefined, where = 'namespace'): NamespaceName | null {
  return value === null || value === undefined ? null : namespaceName(value, where);
}

/** Checked after every argument is validated. A missing `netns X` would also end the `ip` process. */
function mustExist(n: NamespaceName | null): void {
  existingNamespace(n);
}

/**
 * Some words name a second device that `ip` resolves while parsing (`master X`, vxlan `dev X`);
 * a missing one is a parse error that ends the batch process and fails everything in flight.
 * So that device is checked first with a read, one extra round trip.
 */
async function requireDevice(n: NamespaceName | null, dev: DeviceName): Promise<void> {
  await ipExecutor().apply(n, [{ op: 'link.show', name: dev }]);
}

function ownership(o: Ownership | undefined): { group?: LinkGroup; alias?: string } {
  if (!o) return {};
  return {
    group: linkGroup(o.group, 'owner.group'),
    alias: `${OWNER_ALIAS_PREFIX}${token(o.owner, 'owner.owner')}`,
  };
}

/** Arguments of {@link addVeth}. */
export interface VethArgs extends InNamespace {
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

/**
 * Creates a veth pair; the peer is created straight in `peerNamespace` when given (no move).
 *
 * @throws {InvalidInputError} before anything runs; {@link LinkAlreadyExistsError};
 *   {@link NamespaceNotFoundError}
 */
export async function addVeth(a: VethArgs): Promise<void> {
  const here = ns(a.namespace);
  const there = a.peerNamespace === undefined ? here : ns(a.peerNamespace, 'peerNamespace');
  const name = deviceName(a.name, 'name');
  const peer = deviceName(a.peer, 'peer');
  const m = a.mtu === undefined ? undefined : mtu(a.mtu);
  const own = ownership(a.owner);
  const op: IpOp = {
    op: 'veth.add',
    name,
    peer,
    ...(there !== here && there ? { peerNamespace: there } : {}),
    ...(own.group !== undefined ? { group: own.group } : {}),
    ...(m !== undefined ? { mtu: m } : {}),
    ...(a.mac !== undefined ? { mac: mac(a.mac, 'mac') } : {}),
    ...(a.peerMac !== undefined ? { peerMac: mac(a.peerMac, 'peerMac') } : {}),
  };
  if (there === null && here !== null) {
    // `ip -n NS` has no name for the root namespace: create the pair from the root side instead.
    throw new InvalidInputError(
      'peerNamespace: null (the root namespace) needs the pair created from the root namespace: swap name/peer and namespace/peerNamespace',
      'peerNamespace',
    );
  }
  mustExist(here);
  mustExist(there);
  const set: LinkChanges = { ...(own.alias ? { alias: own.alias } : {}), ...(a.up ? { up: true } : {}) };
  const hereOps: IpOp[] = [op];
  if (Object.keys(set).length) hereOps.push({ op: 'link.set', name, set });
  if (there === here) {
    if (Object.keys(set).length) hereOps.push({ op: 'link.set', name: peer, set });
    await ipExecutor().apply(here, hereOps);
    return;
  }
  await ipExecutor().apply(here, hereOps);
  // ifalias is ignored by the kernel at creation, so the peer's mark is set where it now lives.
  if (Object.keys(set).length) await ipExecutor().apply(there, [{ op: 'link.set', name: peer, set }]);
}

/** Arguments of {@link addBridge}. */
export interface BridgeArgs extends InNamespace {
  readonly name: string;
  readonly mtu?: number;
  readonly up?: boolean;
  readonly owner?: Ownership;
}

/** Creates a Linux bridge. @throws {LinkAlreadyExistsError} and the usual validation errors */
export async function addBridge(a: BridgeArgs): Promise<void> {
  const here = ns(a.namespace);
  const name = deviceName(a.name, 'name');
  const own = ownership(a.owner);
  const ops: IpOp[] = [
    {
      op: 'bridge.add',
      name,
      ...(own.group !== undefined ? { group: own.group } : {}),
      ...(a.mtu !== undefined ? { mtu: mtu(a.mtu) } : {}),
    },
  ];
  const set: LinkChanges = { ...(own.alias ? { alias: own.alias } : {}), ...(a.up ? { up: true } : {}) };
  if (Object.keys(set).length) ops.push({ op: 'link.set', name, set });
  mustExist(here);
  await ipExecutor().apply(here, ops);
}

/** Arguments of {@link addVxlan}. */
export interface VxlanArgs extends InNamespace {
  readonly name: string;
  readonly vni: number;
  readonly local?: string;
  readonly remote?: string;
  /** Multicast group (needs `dev`). */
  readonly group?: string;
  readonly dev?: string;
  readonly dstport?: number;
  readonly learning?: boolean;
  readonly mtu?: number;
  readonly up?: boolean;
  readonly owner?: Ownership;
}

/** Creates a VXLAN device. @throws {InvalidInputError} (remote and group together, bad VNI…) */
export async function addVxlan(a: VxlanArgs): Promise<void> {
  const here = ns(a.namespace);
  const name = deviceName(a.name, 'name');
  if (a.remote !== undefined && a.group !== undefined) {
    throw new InvalidInputError('vxlan: give either remote or group, not both', 'remote');
  }
  const vxlan: VxlanSpec = {
    vni: intIn(a.vni, 0, 0xffffff, 'vni'),
    ...(a.local !== undefined ? { local: ipAddress(a.local, 'local') } : {}),
    ...(a.remote !== undefined ? { remote: ipAddress(a.remote, 'remote') } : {}),
    ...(a.group !== undefined ? { group: ipAddress(a.group, 'group') } : {}),
    ...(a.dev !== undefined ? { dev: deviceName(a.dev, 'dev') } : {}),
    ...(a.dstport !== undefined ? { dstport: intIn(a.dstport, 1, 65535, 'dstport') } : {}),
    ...(a.learning !== undefined ? { learning: a.learning } : {}),
  };
  const own = ownership(a.owner);
  const ops: IpOp[] = [
    {
      op: 'vxlan.add',
      name,
      vxlan,
      ...(own.group !== undefined ? { group: own.group } : {}),
      ...(a.mtu !== undefined ? { mtu: mtu(a.mtu) } : {}),
    },
  ];
  const set: LinkChanges = { ...(own.alias ? { alias: own.alias } : {}), ...(a.up ? { up: true } : {}) };
  if (Object.keys(set).length) ops.push({ op: 'link.set', name, set });
  mustExist(here);
  if (vxlan.dev) await requireDevice(here, vxlan.dev);
  await ipExecutor().apply(here, ops);
}

/**
 * Deletes a link (a veth takes its peer with it). A missing link is success.
 *
 * @returns true if it existed
 */
export async function deleteLink(a: InNamespace & { readonly name: string }): Promise<boolean> {
  const here = ns(a.namespace);
  const name = deviceName(a.name, 'name');
  mustExist(here);
  try {
    await ipExecutor().apply(here, [{ op: 'link.del', name }]);
    return true;
  } catch (e) {
    if (e instanceof DeviceNotFoundError) return false;
    throw e;
  }
}

/** Arguments of {@link setLink}: the link and what to change (all optional). */
export interface SetLinkArgs extends InNamespace {
  readonly name: string;
  readonly up?: boolean;
  readonly mtu?: number;
  readonly mac?: string;
  readonly newName?: string;
  readonly alias?: string;
  readonly allmulticast?: boolean;
  /** Bridge to enslave to, or null to release. */
  readonly master?: string | null;
  /** Move to this namespace (must exist); addresses on the link are dropped by the kernel. */
  readonly moveTo?: string;
}

/**
 * Changes link attributes in one kernel request. A rename needs the link down; pass `up: false`
 * with it (the kernel applies the name before bringing the link up again only if asked).
 *
 * @throws {DeviceNotFoundError}; {@link InvalidArgumentError} (for example an MTU below the
 *   device's minimum); validation errors before anything runs
 */
export async function setLink(a: SetLinkArgs): Promise<void> {
  const here = ns(a.namespace);
  const name = deviceName(a.name, 'name');
  const set: LinkChanges = {
    ...(a.up !== undefined ? { up: a.up } : {}),
    ...(a.mtu !== undefined ? { mtu: mtu(a.mtu) } : {}),
    ...(a.mac !== undefined ? { mac: mac(a.mac, 'mac') } : {}),
    ...(a.newName !== undefined ? { newName: deviceName(a.newName, 'newName') } : {}),
    ...(a.alias !== undefined ? { alias: token(a.alias, 'alias') } : {}),
    ...(a.allmulticast !== undefined ? { allmulticast: a.allmulticast } : {}),
    ...(a.master !== undefined ? { master: a.master === null ? null : deviceName(a.master, 'master') } : {}),
    ...(a.moveTo !== undefined ? { namespace: namespaceName(a.moveTo, 'moveTo') } : {}),
  };
  mustExist(here);
  if (set.namespace) mustExist(set.namespace);
  if (set.master) await requireDevice(here, set.master);
  await ipExecutor().apply(here, [{ op: 'link.set', name, set }]);
}

/** Reads one link. @throws {DeviceNotFoundError} when it does not exist */
export async function getLink(a: InNamespace & { readonly name: string }): Promise<LinkInfo> {
  const here = ns(a.namespace);
  const name = deviceName(a.name, 'name');
  mustExist(here);
  const [r] = await ipExecutor().apply(here, [{ op: 'link.show', name }]);
  const link = parseLinks(r?.output)[0];
  if (!link) throw new DeviceNotFoundError(name, here);
  return link;
}

/** Lists links (all, or one group's). */
export async function listLinks(a: InNamespace & { readonly group?: number } = {}): Promise<LinkInfo[]> {
  const here = ns(a.namespace);
  const group = a.group === undefined ? undefined : linkGroup(a.group);
  mustExist(here);
  const [r] = await ipExecutor().apply(here, [
    { op: 'link.show', ...(group !== undefined ? { group } : {}) },
  ]);
  return parseLinks(r?.output);
}

/**
 * Deletes every link of a group with one kernel request (`ip link del group N`), the fast teardown.
 *
 * @returns false when the group was empty (the kernel says ENODEV; that is success here)
 */
export async function deleteLinkGroup(a: InNamespace & { readonly group: number }): Promise<boolean> {
  const here = ns(a.namespace);
  const group = linkGroup(a.group);
  mustExist(here);
  try {
    await ipExecutor().apply(here, [{ op: 'link.del.group', group }]);
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  }
}

/** Turns `ip -d -j addr show` output into {@link LinkInfo}s. Pure. */
export function parseLinks(output: unknown): LinkInfo[] {
  if (!Array.isArray(output)) return [];
  return output.map((l: Record<string, unknown>) => {
    const flags = (l.flags as string[] | undefined) ?? [];
    const alias = typeof l.ifalias === 'string' ? l.ifalias : null;
    const group = l.group === 'default' || l.group === undefined ? 0 : Number(l.group);
    return {
      name: l.ifname as DeviceName,
      index: Number(l.ifindex),
      kind: ((l.linkinfo as { info_kind?: string } | undefined)?.info_kind ?? null) as string | null,
      mtu: Number(l.mtu),
      mac: String(l.address ?? ''),
      up: flags.includes('UP'),
      operState: String(l.operstate ?? 'UNKNOWN'),
      qdisc: String(l.qdisc ?? ''),
      alias,
      group: Number.isFinite(group) ? group : 0,
      master: typeof l.master === 'string' ? l.master : null,
      allmulticast: flags.includes('ALLMULTI'),
      owner: alias?.startsWith(OWNER_ALIAS_PREFIX) ? alias.slice(OWNER_ALIAS_PREFIX.length) : null,
      addresses: parseAddresses([l]),
    };
  });
}
