// Network namespaces: create (converging), delete, list, their PIDs, running a command inside (Neutron: ip_lib.IPWrapper.netns).
import { readFileSync, readlinkSync } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import type { RunOptions, RunResult } from '../exec/run.js';
import { type ProcessRunner, processRunner } from '../exec/runner.js';
import { NamespaceNotFoundError, NETNS_DIR, statNamespace } from '../net/namespace.js';
import { deviceName, type NamespaceName, namespaceName } from '../net/types.js';
import { IpCommandError, ObjectExistsError, ObjectNotFoundError } from './errors.js';
import { executorOf, ipBatchPids, type Via } from './executor.js';
import type { IpOp } from './ops.js';
import { sysctlError, sysctlOps, sysctlSpec } from './sysctl.js';

/** Options for {@link createNamespace}. */
export interface CreateNamespaceOptions extends Via {
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
 * The ops that create a namespace and make it ready, per namespace: `root` runs in the root
 * namespace (`netns add`), `inside` in the new one (`lo` up, and promote_secondaries unless the host
 * passes it on or `promoteSecondaries` is false). Pure apart from reading the host's inheritance once.
 */
export function createNamespaceOps(
  ns: NamespaceName,
  options: Pick<CreateNamespaceOptions, 'promoteSecondaries'> = {},
): { readonly root: IpOp[]; readonly inside: IpOp[] } {
  const promote = options.promoteSecondaries !== false && !inheritsPromoteSecondaries();
  return {
    root: [{ op: 'netns.add', name: ns }],
    inside: [
      { op: 'link.set', name: deviceName('lo'), set: { up: true } },
      // The kernel ORs `all` with each device's own value, so `all` alone covers every device.
      ...(promote ? sysctlOps(sysctlSpec(ns, { 'net.ipv4.conf.all.promote_secondaries': 1 })) : []),
    ],
  };
}

/**
 * Creates a namespace if it does not exist, brings its `lo` up and (by default) turns on
 * promote_secondaries. Safe to call again on an existing namespace: it converges.
 *
 * Equivalent to: `ip netns add NS; ip -n NS link set lo up; ip netns exec NS sysctl -w net.ipv4.conf.all.promote_secondaries=1`
 *
 * @returns true if the namespace was created, false if it already existed
 * @throws {InvalidInputError} for a bad name; {@link IpCommandError} when `ip` refuses;
 *   {@link SysctlError} when promote_secondaries cannot be set
 */
export async function createNamespace(name: string, options: CreateNamespaceOptions = {}): Promise<boolean> {
  const ns = namespaceName(name);
  const { root, inside } = createNamespaceOps(ns, options);
  const ex = executorOf(options);
  let created = true;
  try {
    // `netns add` runs in the root coprocess: iproute2 restores its own namespace after each add.
    await ex.apply(null, root);
  } catch (e) {
    if (!(e instanceof ObjectExistsError)) throw e;
    created = false;
  }
  try {
    await ex.apply(ns, inside);
  } catch (e) {
    if (e instanceof IpCommandError && e.command.startsWith('netns exec')) {
      const promote = sysctlSpec(ns, { 'net.ipv4.conf.all.promote_secondaries': 1 });
      throw sysctlError(promote, e.kernelMessage.replace(/ \| /g, '\n'));
    }
    throw e;
  }
  return created;
}

/**
 * Deletes a namespace (and with it every device inside; a veth's peer outside goes too). The
 * executor lets go of its processes in the namespace first (a running one would keep the namespace
 * alive). Deleting a missing namespace is success.
 *
 * Equivalent to: `ip netns del NS`
 *
 * @returns true if it existed
 */
export async function deleteNamespace(name: string, options: Via = {}): Promise<boolean> {
  const ns = namespaceName(name);
  const ex = executorOf(options);
  // Stopping the namespace's ip processes and removing its name run together: the namespace is
  // freed once both are done, and nobody can reach the old processes once the name is gone.
  const releasing = ex.release?.(ns);
  try {
    await ex.apply(null, [{ op: 'netns.del', name: ns }]);
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  } finally {
    await releasing;
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
  const ino = statNamespace(ns);
  if (ino === null) throw new NamespaceNotFoundError(ns);
  const want = `net:[${ino}]`;
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
 * Equivalent to: `ip netns exec NS CMD…`
 *
 * @throws {NamespaceNotFoundError} when it does not exist; whatever {@link run} throws otherwise
 */
export async function execInNamespace(
  name: string,
  argv: readonly string[],
  options: Omit<RunOptions, 'namespace'> & { readonly runner?: ProcessRunner } = {},
): Promise<RunResult> {
  const ns = namespaceName(name);
  if (statNamespace(ns) === null) throw new NamespaceNotFoundError(ns);
  const { runner, ...rest } = options;
  return (runner ?? processRunner).run(argv, { ...rest, namespace: ns });
}
