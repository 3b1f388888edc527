// The ip executor seam and the real one: a registry of batch coprocesses per namespace, released when a namespace goes (Neutron: IPWrapper(namespace)).
import { readdir } from 'node:fs/promises';
import { TenantnetError } from '../errors.js';
import { NETNS_DIR, statNamespace } from '../net/namespace.js';
import type { IpFamily, NamespaceName } from '../net/types.js';
import { checkReferencedNamespaces, firstError, IpBatch, type OpResult } from './batch.js';
import { batchLine } from './line.js';
import { onNetnsChange } from './namespace-pin.js';
import type { IpOp } from './ops.js';

/**
 * Runs operations somewhere: the real {@link batchExecutor} uses one `ip -batch` coprocess per
 * namespace; unit tests pass the stateful fake of `test/fakes/ip.ts`.
 */
export interface IpExecutor {
  /** Runs `ops` in order in `namespace`; resolves with one result per op or throws the first error. */
  apply(namespace: NamespaceName | null, ops: readonly IpOp[]): Promise<OpResult[]>;
  /** Runs `ops` in order; reports each outcome. */
  settle(namespace: NamespaceName | null, ops: readonly IpOp[]): Promise<PromiseSettledResult<OpResult>[]>;
  /**
   * The namespace is about to be deleted: let go of anything running inside it or holding it (the
   * real executor closes its coprocesses there, and lets go of any other `ip` that made a device in
   * it: iproute2 keeps such a namespace open, which would keep it alive). Optional.
   */
  release?(namespace: NamespaceName): Promise<void>;
  /** The names of the namespaces that exist (`ls /run/netns`), sorted. Optional. */
  listNamespaces?(): Promise<NamespaceName[]>;
  /**
   * Starts afresh in a namespace (null: the root one): the real executor ends its coprocesses there,
   * so the next op starts a new `ip`. iproute2 keeps a cache of device names to indexes for the life
   * of a batch process (filled by dumps and lookups): a device deleted and made again behind its back
   * keeps its old index there, and ops naming it fail with "No such device". Optional.
   */
  restart?(namespace: NamespaceName | null): Promise<void>;
}

/**
 * Where a verb's operations run. Every ip verb takes it in its arguments (or options): pass
 * `executor` explicitly; without it the verb uses {@link ipExecutor} (the real {@link batchExecutor}
 * unless {@link setIpExecutor} installed another).
 */
export interface Via {
  /** The executor to run on. */
  readonly executor?: IpExecutor;
}

/** The executor a call runs on: its own, else the installed one. */
export function executorOf(via?: Via): IpExecutor {
  return via?.executor ?? current;
}

const batches = new Map<string, IpBatch>();

/** PIDs of the shared `ip` coprocesses now running (they sit inside their namespaces). */
export function ipBatchPids(): Set<number> {
  const pids = new Set<number>();
  for (const b of batches.values()) if (b.pid !== null) pids.add(b.pid);
  return pids;
}

/**
 * The shared {@link IpBatch} for a namespace (and family), created on first use.
 *
 * @param namespace null for the root namespace
 * @param family 6 for the `-6` coprocess (started only if something needs it)
 */
export function ipBatch(namespace: NamespaceName | null, family: IpFamily = 4): IpBatch {
  const key = `${namespace ?? ''}|${family}`;
  let b = batches.get(key);
  if (!b) {
    b = new IpBatch(namespace, { family });
    batches.set(key, b);
    if (namespace !== null) watchNamespaces();
  }
  return b;
}

/**
 * Stops the shared coprocesses of one namespace (`namespace` given, null for root) or of all
 * (no argument). Call before deleting a namespace, and at exit so Node can end.
 */
export async function closeIpBatches(namespace?: NamespaceName | null): Promise<void> {
  const closing: Promise<void>[] = [];
  for (const [key, b] of batches) {
    if (namespace === undefined || b.namespace === namespace) {
      batches.delete(key);
      closing.push(b.close());
    }
  }
  stopWatchingIfIdle();
  await Promise.all(closing);
}

// A namespace deleted behind tenantnet's back stays alive, with its devices, for as long as an idle
// `ip -n NS` sits in it: the shared /run/netns watch (namespace-pin.ts), held only while coprocesses
// in named namespaces exist, tells of every deletion at once.
let unwatch: (() => void) | null = null;

function watchNamespaces(): void {
  unwatch ??= onNetnsChange(onNamespaceEvent);
}

// The batch stays registered (its process is gone, a later command starts a new one): a caller may
// hold it already, and only a registered batch is closed by closeIpBatches. Batches elsewhere that
// hold the deleted namespace open (they made a device in it) let their `ip` go too.
function onNamespaceEvent(file: string | null): void {
  for (const b of batches.values()) {
    if (file !== null && b.holds(file) && statNamespace(file as NamespaceName) === null) {
      b.letGoOf(file).catch(() => {});
    }
    if (b.namespace === null || (file !== null && b.namespace !== file)) continue;
    b.releaseIfGone().catch(() => {});
  }
}

/** Every shared batch (any namespace) whose `ip` holds `namespace` open lets it go (see IpBatch.letGoOf). */
async function letGoOf(namespace: NamespaceName): Promise<void> {
  await Promise.all([...batches.values()].map((b) => b.letGoOf(namespace)));
}

function stopWatchingIfIdle(): void {
  if (!unwatch) return;
  for (const b of batches.values()) if (b.namespace !== null) return;
  unwatch();
  unwatch = null;
}

/**
 * The real executor. Operations that need `-6` go to that namespace's `-6` coprocess; a list that
 * mixes families runs in consecutive same-family groups so that order holds. Every line is rendered
 * (and re-checked) and every referenced namespace checked before the first group is written.
 */
export const batchExecutor: IpExecutor = {
  async listNamespaces() {
    return ((await readdir(NETNS_DIR).catch(() => [] as string[])) as NamespaceName[]).sort();
  },
  async apply(namespace, ops) {
    return firstError(await this.settle(namespace, ops));
  },
  async settle(namespace, ops) {
    let lines: string[];
    try {
      lines = ops.map(batchLine);
      checkReferencedNamespaces(ops);
    } catch (e) {
      return ops.map(() => ({ status: 'rejected', reason: e }));
    }
    const out: PromiseSettledResult<OpResult>[] = [];
    let i = 0;
    while (i < ops.length) {
      const fam = familyNeed(ops[i]!);
      let j = i;
      while (j < ops.length && familyNeed(ops[j]!) === fam) j++;
      out.push(...(await ipBatch(namespace, fam).runLines(ops.slice(i, j), lines.slice(i, j))));
      i = j;
    }
    return out;
  },
  async release(namespace) {
    await Promise.all([closeIpBatches(namespace), letGoOf(namespace)]);
  },
  restart(namespace) {
    return closeIpBatches(namespace);
  },
};

function familyNeed(o: IpOp): IpFamily {
  return 'family' in o && o.family === 6 ? 6 : 4;
}

let current: IpExecutor = batchExecutor;

/** The executor the ip verbs use when given none (the real one unless one was installed). */
export function ipExecutor(): IpExecutor {
  return current;
}

/**
 * Installs the default executor (kept for compatibility; prefer passing `executor` to each verb);
 * returns the previous one so it can be restored.
 *
 * @throws {TenantnetError} when no executor is given
 */
export function setIpExecutor(executor: IpExecutor): IpExecutor {
  if (!executor) throw new TenantnetError('setIpExecutor: executor is required');
  const prev = current;
  current = executor;
  return prev;
}
