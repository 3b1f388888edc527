import { existingNamespace } from '../net/namespace.js';
import { deviceName, ipAddress, mac } from '../net/types.js';
import { ipExecutor } from './batch.js';

/** A neighbour (ARP / NDP) entry as read back from the kernel. */
export interface NeighbourInfo {
  readonly address: string;
  readonly family: 4 | 6;
  readonly dev: string;
  readonly mac: string | null;
  /** NUD states, lower case: `permanent`, `reachable`, `stale`, `failed`, … */
  readonly state: readonly string[];
}

/**
 * Adds (or replaces) a neighbour entry; permanent unless `permanent: false`.
 *
 * @throws {DeviceNotFoundError}; validation errors before anything runs
 */
export async function addNeighbour(a: {
  readonly namespace?: string | null;
  readonly address: string;
  readonly mac: string;
  readonly dev: string;
  readonly permanent?: boolean;
}): Promise<void> {
  const op = {
    op: 'neigh.replace' as const,
    address: ipAddress(a.address),
    mac: mac(a.mac, 'mac'),
    dev: deviceName(a.dev, 'dev'),
    permanent: a.permanent !== false,
  };
  await ipExecutor().apply(existingNamespace(a.namespace), [op]);
}

/**
 * Deletes a neighbour entry (permanent ones too); an absent one is success. The check and the
 * removal go out together in one round trip. @returns true if it was there
 */
export async function deleteNeighbour(a: {
  readonly namespace?: string | null;
  readonly address: string;
  readonly dev: string;
}): Promise<boolean> {
  const address = ipAddress(a.address);
  const dev = deviceName(a.dev, 'dev');
  const [seen] = await ipExecutor().apply(existingNamespace(a.namespace), [
    { op: 'neigh.show', address, dev },
    { op: 'neigh.del', address, dev },
  ]);
  return parseNeighbours(seen?.output, dev).length > 0;
}

/** Lists neighbour entries (both families), optionally of one device or family. */
export async function listNeighbours(
  a: { readonly namespace?: string | null; readonly dev?: string; readonly family?: 4 | 6 } = {},
): Promise<NeighbourInfo[]> {
  const dev = a.dev === undefined ? undefined : deviceName(a.dev, 'dev');
  const [r] = await ipExecutor().apply(existingNamespace(a.namespace), [
    { op: 'neigh.show', ...(dev ? { dev } : {}) },
  ]);
  const all = parseNeighbours(r?.output, dev);
  return a.family === undefined ? all : all.filter((n) => n.family === a.family);
}

/** Flushes a device's learned entries; permanent and noarp entries stay, as in Neutron. */
export async function flushNeighbours(a: { readonly namespace?: string | null; readonly dev: string }) {
  const dev = deviceName(a.dev, 'dev');
  await ipExecutor().apply(existingNamespace(a.namespace), [{ op: 'neigh.flush', dev }]);
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
