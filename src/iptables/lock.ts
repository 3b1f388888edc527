// One apply at a time per namespace: in this process (a queue per namespace) and across processes
// (a lock file per namespace). Neutron takes an external per-namespace lock around apply() too.
import { join } from 'node:path';
import { TenantnetError } from '../errors.js';
import { AlreadyRunningError, Pidfile } from '../exec/pidfile.js';

/** Where the cross-process lock files live by default (tmpfs: a reboot clears them). */
export const DEFAULT_LOCK_DIR = '/run/tenantnet/locks';

/** Releases a lock. Safe to call twice. */
export type Release = () => void;

/** Waiting for a namespace's lock took longer than allowed. */
export class LockTimeoutError extends TenantnetError {
  /**
   * @param path the lock file
   * @param holder the PID that held it when the wait gave up (null if unknown)
   * @param waitedMs how long the wait lasted
   */
  constructor(
    readonly path: string,
    readonly holder: number | null,
    readonly waitedMs: number,
  ) {
    super(
      `could not take the lock ${path} within ${Math.round(waitedMs / 1000)} s` +
        (holder !== null ? `: process ${holder} holds it` : ''),
    );
  }
}

/** The lock file of one namespace's iptables under `dir` (the root namespace has its own). */
export function lockPath(dir: string, namespace: string | null): string {
  return join(dir, namespace === null ? 'iptables.lock' : `iptables.${namespace}.lock`);
}

/**
 * Takes the cross-process lock of one namespace: a pidfile made with link(2), so only one process
 * holds it; a lock left by a dead process (or a zombie) is taken over. Waits while a live process
 * holds it, polling with a growing pause (1 ms up to 50 ms).
 *
 * @returns the release function
 * @throws {LockTimeoutError} when a live process holds it longer than `waitMs`
 */
export async function takeFileLock(path: string, waitMs: number): Promise<Release> {
  const start = Date.now();
  let pause = 1;
  for (;;) {
    try {
      const pid = await Pidfile.acquire(path);
      return () => pid.releaseSync();
    } catch (e) {
      if (!(e instanceof AlreadyRunningError)) throw e;
      if (Date.now() - start >= waitMs) throw new LockTimeoutError(path, e.pid, Date.now() - start);
    }
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 50);
  }
}

// Namespace key -> the tail of its queue in this process.
const queues = new Map<string, Promise<void>>();

/**
 * Runs `fn` when every earlier call for the same key in this process has finished (a FIFO queue
 * per key), then lets the next one run, whether `fn` resolved or threw.
 *
 * @returns what `fn` returns
 */
export async function serialised<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = queues.get(key) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => {
    done = r;
  });
  const tail = before.then(() => mine);
  queues.set(key, tail);
  await before;
  try {
    return await fn();
  } finally {
    done();
    if (queues.get(key) === tail) queues.delete(key);
  }
}
