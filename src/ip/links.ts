// Links as read back, changed and deleted one at a time (Neutron: ip_lib.IPDevice.link).
import { optionalNamespace } from '../net/namespace.js';
import {
  type DeviceName,
  deviceName,
  linkGroup,
  mac,
  mtu,
  type NamespaceName,
  namespaceName,
  token,
} from '../net/types.js';
import { type AddressInfo, parseAddresses } from './addresses.js';
import { defined } from './defined.js';
import { DeviceNotFoundError } from './errors.js';
import { executorOf, type IpExecutor, type Via } from './executor.js';
import type { IpOp, LinkChanges } from './ops.js';
import { ownerOf } from './ownership.js';

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
  /**
   * A veth's other end when it is in the same namespace (what `ip` prints as `link`); absent
   * otherwise. Deleting either end deletes both.
   */
  readonly peer?: string;
  /** The owner named in a `tenantnet:` alias, or null for links tenantnet did not make. */
  readonly owner: string | null;
  readonly addresses: readonly AddressInfo[];
}

/**
 * Some words name a second device that `ip` resolves while parsing (`master X`, vxlan `dev X`);
 * a missing one is a parse error that ends the batch process and fails everything in flight.
 * So that device is checked first with a read, one extra round trip.
 *
 * @throws {DeviceNotFoundError} when it is missing
 */
export async function requireDevice(
  ex: IpExecutor,
  ns: NamespaceName | null,
  dev: DeviceName,
): Promise<void> {
  await ex.apply(ns, [{ op: 'link.show', name: dev }]);
}

/** Arguments of {@link setLink}: the link and what to change (all optional). */
export interface SetLinkArgs extends InNamespace, Via {
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

/** A validated `link set`: the link and its changes. */
export interface SetLinkSpec {
  readonly name: DeviceName;
  readonly set: LinkChanges;
}

/** Validates the arguments of {@link setLink} (not its namespace). @throws {InvalidInputError} */
export function setLinkSpec(a: Omit<SetLinkArgs, 'namespace' | 'executor'>): SetLinkSpec {
  return {
    name: deviceName(a.name, 'name'),
    set: defined({
      up: a.up,
      mtu: a.mtu === undefined ? undefined : mtu(a.mtu),
      mac: a.mac === undefined ? undefined : mac(a.mac, 'mac'),
      newName: a.newName === undefined ? undefined : deviceName(a.newName, 'newName'),
      alias: a.alias === undefined ? undefined : token(a.alias, 'alias'),
      allmulticast: a.allmulticast,
      master: a.master === undefined ? undefined : a.master === null ? null : deviceName(a.master, 'master'),
      namespace: a.moveTo === undefined ? undefined : namespaceName(a.moveTo, 'moveTo'),
    }),
  };
}

/** The one op of a `link set`. Pure. */
export function setLinkOps(s: SetLinkSpec): IpOp[] {
  return [{ op: 'link.set', name: s.name, set: s.set }];
}

/**
 * Changes link attributes in one kernel request. A rename needs the link down; pass `up: false`
 * with it (the kernel applies the name before bringing the link up again only if asked).
 *
 * Equivalent to: `ip [-n NS] link set dev NAME [mtu M] [address MAC] [name NEW] [alias A] [master BR | nomaster] [netns NS2] [up | down]`
 *
 * @throws {DeviceNotFoundError}; {@link InvalidArgumentError} (for example an MTU below the
 *   device's minimum); {@link NamespaceNotFoundError} for a missing `moveTo`; validation errors
 *   before anything runs
 */
export async function setLink(a: SetLinkArgs): Promise<void> {
  const s = setLinkSpec(a);
  const ns = optionalNamespace(a.namespace);
  const ex = executorOf(a);
  if (s.set.master) await requireDevice(ex, ns, s.set.master);
  await ex.apply(ns, setLinkOps(s));
}

/** The op that deletes a link (a veth takes its peer with it). Pure. */
export function deleteLinkOps(name: DeviceName): IpOp[] {
  return [{ op: 'link.del', name }];
}

/**
 * Deletes a link (a veth takes its peer with it). A missing link is success.
 *
 * Equivalent to: `ip [-n NS] link del dev NAME`
 *
 * @returns true if it existed
 */
export async function deleteLink(a: InNamespace & Via & { readonly name: string }): Promise<boolean> {
  const name = deviceName(a.name, 'name');
  const ns = optionalNamespace(a.namespace);
  try {
    await executorOf(a).apply(ns, deleteLinkOps(name));
    return true;
  } catch (e) {
    if (e instanceof DeviceNotFoundError) return false;
    throw e;
  }
}

/**
 * Reads one link with its addresses.
 *
 * Equivalent to: `ip [-n NS] -d -j addr show dev NAME`
 *
 * @throws {DeviceNotFoundError} when it does not exist
 */
export async function getLink(a: InNamespace & Via & { readonly name: string }): Promise<LinkInfo> {
  const name = deviceName(a.name, 'name');
  const ns = optionalNamespace(a.namespace);
  const [r] = await executorOf(a).apply(ns, [{ op: 'link.show', name }]);
  const link = parseLinks(r?.output)[0];
  if (!link) throw new DeviceNotFoundError(name, ns);
  return link;
}

/**
 * Lists links with their addresses (all, or one group's).
 *
 * Equivalent to: `ip [-n NS] -d -j addr show [group G]`
 */
export async function listLinks(
  a: InNamespace & Via & { readonly group?: number } = {},
): Promise<LinkInfo[]> {
  const group = a.group === undefined ? undefined : linkGroup(a.group);
  const ns = optionalNamespace(a.namespace);
  const [r] = await executorOf(a).apply(ns, [{ op: 'link.show', ...defined({ group }) }]);
  return parseLinks(r?.output);
}

/** Turns `ip -d -j addr show` output into {@link LinkInfo}s. Pure. */
export function parseLinks(output: unknown): LinkInfo[] {
  if (!Array.isArray(output)) return [];
  return output.map((l: Record<string, unknown>) => {
    const flags = (l.flags as string[] | undefined) ?? [];
    const alias = typeof l.ifalias === 'string' ? l.ifalias : null;
    const group = l.group === 'default' || l.group === undefined ? 0 : Number(l.group);
    const kind = ((l.linkinfo as { info_kind?: string } | undefined)?.info_kind ?? null) as string | null;
    return {
      name: l.ifname as DeviceName,
      index: Number(l.ifindex),
      kind,
      mtu: Number(l.mtu),
      mac: String(l.address ?? ''),
      up: flags.includes('UP'),
      operState: String(l.operstate ?? 'UNKNOWN'),
      qdisc: String(l.qdisc ?? ''),
      alias,
      group: Number.isFinite(group) ? group : 0,
      master: typeof l.master === 'string' ? l.master : null,
      allmulticast: flags.includes('ALLMULTI'),
      ...(kind === 'veth' && typeof l.link === 'string' ? { peer: l.link } : {}),
      owner: ownerOf(alias),
      addresses: parseAddresses([l]),
    };
  });
}
