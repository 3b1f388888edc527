// One apply at a time on a host: a lock file in the state directory (taken with link(2), holding the
// holder's PID and start time, taken over when that process is gone) and a queue in this process.
// Re-entrant: an apply inside an apply (a library verb called from a planner's caller) reuses the
// lock its context holds. Neutron: the agents' external lock around a sync.
import { AsyncLocalStorage } from 'node:async_hooks';
import { join } from 'node:path';
import { TenantnetError } from '../errors.js';
import { LockTimeoutError, takeFileLock } from '../iptables/lock.js';

/** The file name of the apply lock inside the state directory. */
export const APPLY_LOCK_FILE = 'apply.lock';

/** How long a second apply waits for the first by default (ms). */
export const DEFAULT_APPLY_LOCK_WAIT_MS = 60_000;

/** Another apply kept the lock for longer than this one was willing to wait. */
export class ApplyLockTimeoutError extends TenantnetError {
  /**
   * @param path the lock file
   * @param holder the PID of the process holding it (null when it is another apply of this process,
   *   or unknown)
   * @param waitedMs how long this apply waited
   */
  constructor(
    readonly path: string,
    readonly holder: number | null,
    readonly waitedMs: number,
  ) {
    super(
      `another tenantnet apply ${holder === null ? 'in this process' : `(process ${holder})`} still holds ${path} after ${Math.round(waitedMs / 100) / 10} s; wait for it to finish or stop it`,
    );
  }
}

/** A held apply lock. */
export interface ApplyLock {
  /** The lock file. */
  readonly path: string;
  /** False once released. */
  readonly held: boolean;
  /** Releases the lock (removes the file if it is still ours). Safe to call twice. */
  release(): void;
  /** Runs `fn` with this lock as the one applies inside it reuse. */
  within<T>(fn: () => Promise<T>): Promise<T>;
}

// The locks the current async context holds (an apply running, or `within`): nested applies reuse them.
const context = new AsyncLocalStorage<ReadonlySet<ApplyLock>>();
// Applies of this process waiting for, or holding, each lock file: one at a time, first come first served.
const queues = new Map<string, Promise<void>>();

/** The lock file of a state directory. */
export function applyLockPath(stateDir: string): string {
  return join(stateDir, APPLY_LOCK_FILE);
}

/** The held lock on `path` this async context runs within, if any (an apply inside an apply). */
export function heldApplyLock(path: string): ApplyLock | undefined {
  for (const l of context.getStore() ?? []) if (l.held && l.path === path) return l;
  return undefined;
}

/**
 * Takes the host's apply lock: first the turn among this process's applies, then the file (made
 * exclusively with link(2); a file left by a process that is gone, a zombie or a reused PID is taken
 * over). Waits while another apply holds it, up to `waitMs`.
 *
 * @throws {ApplyLockTimeoutError} naming the holder's PID when the wait runs out
 */
export async function takeApplyLock(
  stateDir: string,
  waitMs = DEFAULT_APPLY_LOCK_WAIT_MS,
): Promise<ApplyLock> {
  const path = applyLockPath(stateDir);
  const start = Date.now();
  const before = queues.get(path) ?? Promise.resolve();
  let leave!: () => void;
  const mine = new Promise<void>((r) => {
    leave = r;
  });
  const tail = before.then(() => mine);
  queues.set(path, tail);
  const done = () => {
    leave();
    if (queues.get(path) === tail) queues.delete(path);
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const turn = await Promise.race([
      before.then(() => true),
      new Promise<false>((r) => {
        timer = setTimeout(() => r(false), waitMs);
      }),
    ]);
    if (!turn) throw new ApplyLockTimeoutError(path, null, Date.now() - start);
  } catch (e) {
    // Our place in the queue is given up once the one before us is done.
    void before.then(done);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  let releaseFile: () => void;
  try {
    releaseFile = await takeFileLock(path, Math.max(0, waitMs - (Date.now() - start)));
  } catch (e) {
    done();
    if (e instanceof LockTimeoutError) throw new ApplyLockTimeoutError(path, e.holder, Date.now() - start);
    throw e;
  }
  let held = true;
  const lock: ApplyLock = {
    path,
    get held() {
      return held;
    },
    release() {
      if (!held) return;
      held = false;
      releaseFile();
      done();
    },
    within(fn) {
      const outer = context.getStore() ?? new Set<ApplyLock>();
      return context.run(new Set([...outer, lock]), fn);
    },
  };
  return lock;
}
