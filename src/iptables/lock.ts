// One apply at a time per namespace: in this process (a queue per namespace) and across processes
// (a lock file per namespace). Neutron takes an external per-namespace lock around apply() too.
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TenantnetError } from '../errors.js';

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

// The start time of a process (field 22 of /proc/PID/stat), or null when it is gone or a zombie:
// with the PID it names one process for good, so a reused PID is never taken for the holder.
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

const SELF = `${process.pid} ${startTime(process.pid)}\n`;
let tmpCount = 0;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

// The live process a lock file names, or null when it is stale (dead, a zombie, a reused PID,
// unreadable, or this very process: the in-process queue means we never hold it twice).
function liveHolder(text: string | null): number | null {
  const [pid, start] = (text ?? '').trim().split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0 || text === SELF) return null;
  return startTime(n) === start ? n : null;
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

// One attempt: the lock file is made complete beside it and linked into place (link(2) fails if
// the name exists), so no one ever reads a half-written one. A stale one is moved aside (atomic)
// and removed only if it is still the one judged stale. Returns null when taken, else the holder.
function tryTake(path: string): number | null {
  const tmp = join(dirname(path), `.${process.pid}.${tmpCount++}.tmp`);
  try {
    writeFileSync(tmp, SELF);
  } catch (e) {
    if (code(e) !== 'ENOENT') throw e;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(tmp, SELF);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
        return null;
      } catch (e) {
        if (code(e) !== 'EEXIST') throw e;
      }
      const text = read(path);
      const holder = liveHolder(text);
      if (holder !== null) return holder;
      const aside = `${tmp}.stale`;
      try {
        renameSync(path, aside);
      } catch (e) {
        if (code(e) === 'ENOENT') continue;
        throw e;
      }
      const moved = read(aside);
      if (moved !== text) {
        // A competitor took it over in between: give its lock back.
        try {
          linkSync(aside, path);
        } catch {}
        unlinkSync(aside);
        const other = liveHolder(moved);
        if (other !== null) return other;
        continue;
      }
      unlinkSync(aside);
    }
    return -1; // someone keeps recreating it: count it as held, and wait
  } finally {
    try {
      unlinkSync(tmp);
    } catch {}
  }
}

/**
 * Takes the cross-process lock of one namespace: a file holding this process's PID and start time,
 * made exclusively with link(2); a lock left by a dead process (or a zombie, or one whose PID was
 * reused) is taken over. Waits while a live process holds it, polling with a growing pause (1 ms up
 * to 50 ms). Costs a few system calls on tmpfs when free (well under a millisecond).
 *
 * @returns the release function (removes the file if it is still ours)
 * @throws {LockTimeoutError} when a live process holds it longer than `waitMs`
 */
export async function takeFileLock(path: string, waitMs: number): Promise<Release> {
  const start = Date.now();
  let pause = 1;
  for (;;) {
    const holder = tryTake(path);
    if (holder === null) {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (read(path) === SELF) {
          try {
            unlinkSync(path);
          } catch {}
        }
      };
    }
    if (Date.now() - start >= waitMs) {
      throw new LockTimeoutError(path, holder > 0 ? holder : null, Date.now() - start);
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
