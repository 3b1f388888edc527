import { statSync } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import { InvalidInputError, TenantnetError } from '../errors.js';
import { type RunOptions, type RunResult, run } from '../exec/run.js';
import { closeIpBatches, ipBatchPids, ipExecutor } from './batch.js';
import { NamespaceNotFoundError, ObjectExistsError, ObjectNotFoundError } from './errors.js';
import { deviceName, type NamespaceName, namespaceName } from './types.js';

const NETNS_DIR = '/run/netns';

/** Options for {@link createNamespace}. */
export interface CreateNamespaceOptions {
  /**
   * Set `net.ipv4.conf.{all,default}.promote_secondaries=1` inside (default true), so deleting a
   * primary address keeps the secondaries of its subnet, as Neutron's routers need.
   */
  readonly promoteSecondaries?: boolean;
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
  if (options.promoteSecondaries !== false) {
    steps.push(
      sysctl(ns, {
        'net.ipv4.conf.all.promote_secondaries': 1,
        'net.ipv4.conf.default.promote_secondaries': 1,
      }),
    );
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
  await closeIpBatches(ns);
  try {
    await ipExecutor().apply(null, [{ op: 'netns.del', name: ns }]);
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  }
}

/** True when `/run/netns/<name>` exists. Validates the name first. */
export function namespaceExists(name: string): boolean {
  const ns = namespaceName(name);
  return statSync(`${NETNS_DIR}/${ns}`, { throwIfNoEntry: false }) !== undefined;
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
 * Runs a command inside a namespace (`ip netns exec`, argv only, never a shell).
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

/** Some sysctl keys could not be set; the others were. */
export class SysctlError extends TenantnetError {
  /**
   * @param namespace where (null: root)
   * @param failures key → what sysctl said
   */
  constructor(
    readonly namespace: string | null,
    readonly failures: Readonly<Record<string, string>>,
  ) {
    super(
      `sysctl in ${namespace ? `namespace "${namespace}"` : 'the root namespace'} failed for ${Object.entries(
        failures,
      )
        .map(([k, m]) => `${k} (${m})`)
        .join(', ')}`,
    );
  }
}

/**
 * Sets sysctl keys inside a namespace (null: the root namespace) with one `sysctl -w` process.
 * Every key is attempted; keys that fail are reported by name together.
 *
 * @throws {InvalidInputError} for a malformed key or value, before anything runs
 * @throws {SysctlError} naming each key that failed (the others are set)
 */
export async function sysctl(
  namespace: string | null,
  settings: Readonly<Record<string, string | number>>,
): Promise<void> {
  const ns = namespace === null ? null : namespaceName(namespace);
  const args: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (!/^[a-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(key)) {
      throw new InvalidInputError(`sysctl key: "${key}" is not a dotted sysctl key`, 'sysctl key');
    }
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(String(value))) {
      throw new InvalidInputError(`sysctl ${key}: "${value}" is not a simple value`, key);
    }
    args.push(`${key}=${value}`);
  }
  if (args.length === 0) return;
  if (ns && !namespaceExists(ns)) throw new NamespaceNotFoundError(ns);
  const r = await run(['sysctl', '-w', ...args], { namespace: ns, check: false });
  if (r.exitCode === 0) return;
  const failures: Record<string, string> = {};
  for (const line of r.stderr.split('\n')) {
    // procps names a key either by its /proc/sys path or by the dotted key.
    const path = /\/proc\/sys\/([^:]+): (.*)$/.exec(line);
    const dotted = /key "([^"]+)":? (.*)$/.exec(line);
    if (path) failures[path[1]!.replace(/\//g, '.')] = path[2]!;
    else if (dotted) failures[dotted[1]!] = dotted[2]!;
  }
  if (Object.keys(failures).length === 0) failures[args.join(' ')] = r.stderr.trim() || `exit ${r.exitCode}`;
  throw new SysctlError(ns, failures);
}
