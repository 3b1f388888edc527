// Exclusive pidfiles taken with link(2) (Neutron: agent.linux.daemon.Pidfile).
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TenantnetError } from '../errors.js';
import { readCmdline } from './proc.js';

/** Another live process already holds the pidfile. */
export class AlreadyRunningError extends TenantnetError {
  /**
   * @param path the pidfile
   * @param pid the PID of the process that holds it
   */
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(`already running: pidfile ${path} belongs to live process ${pid}`);
  }
}

/**
 * Reads the PID in a pidfile; null when the file is missing or does not hold a positive integer.
 */
export async function readPidfile(path: string): Promise<number | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return null;
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * A pidfile held by this process. {@link Pidfile.acquire} creates it atomically and exclusively
 * (write a temporary file, then `link(2)` it into place, which fails if the name exists), so a
 * second instance cannot take it while the first lives; a pidfile left by a dead process is taken
 * over. Node has no `flock`, and this gives the same guarantee without one.
 */
export class Pidfile {
  private released = false;

  private constructor(
    /** The pidfile's path. */
    readonly path: string,
    /** The PID written in it. */
    readonly pid: number,
  ) {}

  /**
   * Takes the pidfile for `pid` (default: this process).
   *
   * @param isHolder decides whether a PID found in an existing pidfile is a live holder; default:
   *   the process exists and is not a zombie (its cmdline is not empty)
   * @throws {AlreadyRunningError} when a live process holds it
   */
  static async acquire(
    path: string,
    pid: number = process.pid,
    isHolder: (pid: number) => Promise<boolean> = async (p) => (await readCmdline(p)).length > 0,
  ): Promise<Pidfile> {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.pid.tmp`);
    await writeFile(tmp, `${pid}\n`, { mode: 0o644 });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await link(tmp, path);
          return new Pidfile(path, pid);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const holder = await readPidfile(path);
        if (holder !== null && holder !== pid && (await isHolder(holder))) {
          throw new AlreadyRunningError(path, holder);
        }
        // Stale (dead holder, unreadable content, or our own PID). A plain rm could remove the
        // pidfile a competitor has just taken over in our place, and then both would hold it. So
        // the file is moved aside (atomic) and removed only if it is the one judged stale.
        const aside = `${tmp}.stale`;
        try {
          await rename(path, aside);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw e;
        }
        const moved = await readPidfile(aside);
        if (moved !== holder) {
          await link(aside, path).catch(() => {}); // give the competitor its pidfile back
          await rm(aside, { force: true });
          if (moved !== null && moved !== pid && (await isHolder(moved))) {
            throw new AlreadyRunningError(path, moved);
          }
          continue;
        }
        await rm(aside, { force: true });
      }
      throw new TenantnetError(`could not take pidfile ${path}: another process keeps recreating it`);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Removes the pidfile if it still names this holder's PID. Safe to call twice; synchronous so it can run at exit. */
  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    try {
      const text = readFileSync(this.path, 'utf8');
      if (Number(text.trim()) === this.pid) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
