import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import { type RunOptions, type RunResult, run } from '../exec/run.js';
import { NamespaceNotFoundError, NETNS_DIR, namespaceExists } from '../net/namespace.js';
import { deviceName, type NamespaceName, namespaceName } from '../net/types.js';
import { closeIpBatches, ipBatchPids, ipExecutor } from './batch.js';
import { ObjectExistsError, ObjectNotFoundError } from './errors.js';
import { sysctl } from './sysctl.js';

/** Options for {@link createNamespace}. */
export interface CreateNamespaceOptions {
  /**
   * Set `net.ipv4.conf.all.promote_secondaries=1` inside (default true), so deleting a primary
   * address keeps the secondaries of its subnet, as Neutron's routers need. Skipped when the new
   * namespace inherits 1 from the root namespace anyway (see {@link inheritsPromoteSecondaries}).
   */
  readonly promoteSecondaries?: boolean;
}

let inherited: boolean | null = null;

/**
 * True when a new namespace starts with `promote_secondaries=1` without being told: the kernel
 * copies the creator's IPv4 `all`/`default` settings into a new namespace unless
 * `net.core.devconf_inherit_init_net` is 2, and tenantnet creates namespaces from the root one.
 * Read once per process; saves one process per namespace on hosts that set it globally.
 */
export function inheritsPromoteSecondaries(): boolean {
  if (inherited === null) {
    const read = (p: string) => {
      try {
        return readFileSync(p, 'utf8').trim();
      } catch {
        return '';
      }
    };
    const mode = read('/proc/sys/net/core/devconf_inherit_init_net') || '0';
    const inRoot = readlinkOr('/proc/self/ns/net') === readlinkOr('/proc/1/ns/net');
    inherited = inRoot && mode !== '2' && read('/proc/sys/net/ipv4/conf/all/promote_secondaries') === '1';
  }
  return inherited;
}

function readlinkOr(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '?';
  }
}

/**
 * Creates a namespace if it does not exist, brings its `lo` up and (by default) turns on
 * promote_secondaries. Safe to call again on an existing namespace: it converges.
 *
 * @returns true if the namespace was created, false if it already existed
 * @throws {InvalidInputError} for a bad name; {@link IpCommandError} when `ip` refuses
 */
export async function createNamespace(name: string, options: CreateNamespaceOptions = {}): Promise<boolean> {
  const ns = namespaceName(name);
  let created = true;
  try {
    // `netns add` runs in the root coprocess: iproute2 restores its own namespace after each add.
    await ipExecutor().apply(null, [{ op: 'netns.add', name: ns }]);
  } catch (e) {
    if (!(e instanceof ObjectExistsError)) throw e;
    created = false;
  }
  const steps: Promise<unknown>[] = [
    ipExecutor().apply(ns, [{ op: 'link.set', name: deviceName('lo'), set: { up: true } }]),
  ];
  if (options.promoteSecondaries !== false && !inheritsPromoteSecondaries()) {
    // The kernel ORs `all` with each device's own value, so `all` alone covers every device.
    steps.push(sysctl(ns, { 'net.ipv4.conf.all.promote_secondaries': 1 }));
  }
  await Promise.all(steps);
  return created;
}

/**
 * Deletes a namespace (and with it every device inside; a veth's peer outside goes too). Closes the
 * namespace's `ip` coprocesses first, since a running one would keep the namespace alive. Deleting
 * a missing namespace is success.
 *
 * @returns true if it existed
 */
export async function deleteNamespace(name: string): Promise<boolean> {
  const ns = namespaceName(name);
  // Stopping the namespace's ip processes and removing its name run together: the namespace is
  // freed once both are done, and nobody can reach the old processes once the name is gone.
  const closing = closeIpBatches(ns);
  try {
    await ipExecutor().apply(null, [{ op: 'netns.del', name: ns }]);
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  } finally {
    await closing;
  }
}

/** Names of the named namespaces (`/run/netns`), sorted. */
export async function listNamespaces(): Promise<NamespaceName[]> {
  const names = await readdir(NETNS_DIR).catch(() => [] as string[]);
  return names.sort() as NamespaceName[];
}

/**
 * PIDs of the processes whose network namespace is this one (found through `/proc/PID/ns/net`,
 * without starting a process). tenantnet's own `ip` coprocesses are left out.
 *
 * @throws {NamespaceNotFoundError} when it does not exist
 */
export async function namespacePids(name: string): Promise<number[]> {
  const ns = namespaceName(name);
  const st = statSync(`${NETNS_DIR}/${ns}`, { throwIfNoEntry: false });
  if (!st) throw new NamespaceNotFoundError(ns);
  const want = `net:[${st.ino}]`;
  const pids: number[] = [];
  const ours = ipBatchPids();
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    if (ours.has(Number(d))) continue;
    if ((await readlink(`/proc/${d}/ns/net`).catch(() => '')) === want) pids.push(Number(d));
  }
  return pids.sort((a, b) => a - b);
}

/**
 * Runs a command inside a namespace (entered with `nsenter --net=`; argv only, never a shell).
 *
 * @throws {NamespaceNotFoundError} when it does not exist; whatever {@link run} throws otherwise
 */
export async function execInNamespace(
  name: string,
  argv: readonly string[],
  options: Omit<RunOptions, 'namespace'> = {},
): Promise<RunResult> {
  const ns = namespaceName(name);
  if (!namespaceExists(ns)) throw new NamespaceNotFoundError(ns);
  return run(argv, { ...options, namespace: ns });
}
