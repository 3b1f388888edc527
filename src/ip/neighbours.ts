// Neighbour (ARP/NDP) entries: add, delete, list, flush, as spec -> ops -> run (Neutron: ip_lib.IpNeighCommand).
import { InvalidInputError } from '../errors.js';
import { optionalNamespace } from '../net/namespace.js';
import {
  type DeviceName,
  deviceName,
  type IpAddress,
  type IpFamily,
  ipAddress,
  type Mac,
  mac,
} from '../net/types.js';
import { defined } from './defined.js';
import { executorOf, type Via } from './executor.js';
import type { IpOp } from './ops.js';

/** A neighbour (ARP / NDP) entry as read back from the kernel. */
export interface NeighbourInfo {
  readonly address: string;
  readonly family: IpFamily;
  readonly dev: string;
  readonly mac: string | null;
  /** NUD states, lower case: `permanent`, `reachable`, `stale`, `failed`, … */
  readonly state: readonly string[];
}

/** Arguments of {@link addNeighbour}. */
export interface NeighbourArgs extends Via {
  readonly namespace?: string | null;
  readonly address: string;
  readonly mac: string;
  readonly dev: string;
  /** Permanent unless false. */
  readonly permanent?: boolean;
}

/** A validated neighbour entry. */
export interface NeighbourSpec {
  readonly address: IpAddress;
  readonly mac: Mac;
  readonly dev: DeviceName;
  readonly permanent: boolean;
}

/** Validates a neighbour entry (not its namespace). @throws {InvalidInputError} */
export function neighbourSpec(a: Omit<NeighbourArgs, 'namespace' | 'executor'>): NeighbourSpec {
  return {
    address: ipAddress(a.address),
    mac: mac(a.mac, 'mac'),
    dev: deviceName(a.dev, 'dev'),
    permanent: a.permanent !== false,
  };
}

/** The op that adds or replaces a neighbour entry. Pure. */
export function addNeighbourOps(s: NeighbourSpec): IpOp[] {
  return [{ op: 'neigh.replace', ...s }];
}

/** The op that removes a neighbour entry (permanent ones too); absent is not an error. Pure. */
export function deleteNeighbourOps(s: { readonly address: IpAddress; readonly dev: DeviceName }): IpOp[] {
  return [{ op: 'neigh.del', address: s.address, dev: s.dev }];
}

/**
 * Adds (or replaces) a neighbour entry; permanent unless `permanent: false`.
 *
 * Equivalent to: `ip [-n NS] neigh replace A lladdr MAC dev DEV nud permanent`
 *
 * @throws {DeviceNotFoundError}; validation errors before anything runs
 */
export async function addNeighbour(a: NeighbourArgs): Promise<void> {
  const s = neighbourSpec(a);
  await executorOf(a).apply(optionalNamespace(a.namespace), addNeighbourOps(s));
}

/**
 * Deletes a neighbour entry (permanent ones too); an absent one is success. The check and the
 * removal go out together in one round trip.
 *
 * Equivalent to: `ip [-n NS] neigh flush to A dev DEV nud all`
 *
 * @returns true if it was there
 */
export async function deleteNeighbour(
  a: Via & { readonly namespace?: string | null; readonly address: string; readonly dev: string },
): Promise<boolean> {
  const address = ipAddress(a.address);
  const dev = deviceName(a.dev, 'dev');
  const [seen] = await executorOf(a).apply(optionalNamespace(a.namespace), [
    { op: 'neigh.show', address, dev },
    ...deleteNeighbourOps({ address, dev }),
  ]);
  return parseNeighbours(seen?.output, dev).length > 0;
}

/**
 * Lists neighbour entries (both families), optionally of one device or family.
 *
 * Equivalent to: `ip [-n NS] -j neigh show [dev DEV]`
 */
export async function listNeighbours(
  a: Via & { readonly namespace?: string | null; readonly dev?: string; readonly family?: IpFamily } = {},
): Promise<NeighbourInfo[]> {
  const dev = a.dev === undefined ? undefined : deviceName(a.dev, 'dev');
  if (a.family !== undefined && a.family !== 4 && a.family !== 6) {
    throw new InvalidInputError(`family: ${JSON.stringify(a.family)} is not 4 or 6`, 'family');
  }
  const [r] = await executorOf(a).apply(optionalNamespace(a.namespace), [
    { op: 'neigh.show', ...defined({ dev }) },
  ]);
  const all = parseNeighbours(r?.output, dev);
  return a.family === undefined ? all : all.filter((n) => n.family === a.family);
}

/** The op that flushes a device's learned entries (permanent and noarp ones stay). Pure. */
export function flushNeighboursOps(dev: DeviceName): IpOp[] {
  return [{ op: 'neigh.flush', dev }];
}

/**
 * Flushes a device's learned entries; permanent and noarp entries stay, as in Neutron.
 *
 * Equivalent to: `ip [-n NS] neigh flush dev DEV`
 */
export async function flushNeighbours(a: Via & { readonly namespace?: string | null; readonly dev: string }) {
  const dev = deviceName(a.dev, 'dev');
  await executorOf(a).apply(optionalNamespace(a.namespace), flushNeighboursOps(dev));
}

/** Turns `ip -j neigh show` output into {@link NeighbourInfo}s. Pure. */
export function parseNeighbours(output: unknown, dev?: string): NeighbourInfo[] {
  if (!Array.isArray(output)) return [];
  return (output as Record<string, unknown>[]).map((n) => ({
    address: String(n.dst),
    family: String(n.dst).includes(':') ? 6 : 4,
    // With `dev X` in the command, ip leaves the device out of each entry.
    dev: typeof n.dev === 'string' ? n.dev : (dev ?? ''),
    mac: typeof n.lladdr === 'string' ? n.lladdr : null,
    state: ((n.state as string[] | undefined) ?? []).map((s) => s.toLowerCase()),
  }));
}
