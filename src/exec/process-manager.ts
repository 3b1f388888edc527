import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, TenantnetError } from '../errors.js';
import { stateDir } from '../state-dir.js';
import { replaceFileAtomic } from './atomic-file.js';
import { readPidfile } from './pidfile.js';
import { isLiveWithMarker, waitFor } from './proc.js';
import { buildArgv, run } from './run.js';

/** Options for a {@link ProcessManager}. */
export interface ProcessManagerOptions {
  /** The id of the thing served (a network id for dnsmasq). It must appear in the command line. */
  readonly uuid: string;
  /** The kind of service (`dnsmasq`, `haproxy`…); part of the pidfile name. */
  readonly service?: string;
  /** Run inside this network namespace. */
  readonly namespace?: string | null;
  /** Directory of pidfiles; default `<stateDir>/external/pids`. */
  readonly pidsDir?: string;
  /** Explicit pidfile path (overrides `pidsDir`). */
  readonly pidfile?: string;
  /** Builds the argv from the pidfile path. */
  readonly command: (pidfile: string) => readonly string[];
  /**
   * How the process is run. `foreground` (default): tenantnet starts it detached and writes the
   * pidfile itself. `daemonizes`: the command forks into the background and writes the pidfile
   * (dnsmasq with `--pid-file`); tenantnet waits for the command to return.
   */
  readonly mode?: 'foreground' | 'daemonizes';
  /** Signal that makes the process re-read its configuration (default SIGHUP). */
  readonly reloadSignal?: NodeJS.Signals;
}

/**
 * Runs one service for one uuid, tracked by a pidfile under tenantnet's state directory (Neutron's
 * external_process.ProcessManager). A process counts as active only if the pidfile's PID is alive
 * AND its `/proc/PID/cmdline` contains the uuid, so a reused PID or a zombie is never mistaken for
 * it, and is never signalled.
 */
export class ProcessManager {
  /** The pidfile's path. */
  readonly pidfile: string;
  /** The service kind. */
  readonly service: string;

  /** @throws {InvalidInputError} for an empty uuid or one with a path separator */
  constructor(private readonly opts: ProcessManagerOptions) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(opts.uuid)) {
      throw new InvalidInputError(`process uuid "${opts.uuid}" must be 1+ of A-Z a-z 0-9 _ . : -`, 'uuid');
    }
    this.service = opts.service ?? 'process';
    this.pidfile =
      opts.pidfile ??
      join(opts.pidsDir ?? join(stateDir(), 'external', 'pids'), `${opts.uuid}.pid.${this.service}`);
  }

  /** The uuid this manager serves. */
  get uuid(): string {
    return this.opts.uuid;
  }

  /** The PID in the pidfile, whether or not it is alive. */
  pid(): Promise<number | null> {
    return readPidfile(this.pidfile);
  }

  /** True when the pidfile's PID is alive and its command line contains the uuid. */
  async active(): Promise<boolean> {
    const pid = await this.pid();
    return pid !== null && isLiveWithMarker(pid, this.opts.uuid);
  }

  /**
   * Starts the process unless it is already active.
   *
   * @returns true when it was started, false when it was already active
   * @throws {ProcessError} when a daemonizing command fails
   * @throws {TenantnetError} when the process does not become active within 5 s (a foreground
   *   process started by this call is then killed and its pidfile removed)
   */
  async enable(): Promise<boolean> {
    if (await this.active()) return false;
    await rm(this.pidfile, { force: true });
    const argv = buildArgv(this.opts.command(this.pidfile), { namespace: this.opts.namespace ?? null });
    let child: ChildProcess | null = null;
    try {
      if (this.opts.mode === 'daemonizes') {
        // A daemonizing command returns once it has forked; one that keeps its output open would
        // otherwise hang enable() for good.
        await run(argv, { root: false, timeoutMs: 30_000 });
      } else {
        const [cmd, ...args] = argv as [string, ...string[]];
        const spawned = spawn(cmd, args, { detached: true, stdio: 'ignore' });
        await new Promise<void>((resolve, reject) => {
          spawned.once('spawn', resolve);
          spawned.once('error', reject);
        });
        spawned.unref();
        child = spawned;
        // nsenter execs the command, so the spawned PID is the service's own PID.
        await replaceFileAtomic(this.pidfile, `${spawned.pid}\n`);
      }
      if (!(await waitFor(() => this.active(), 5000))) {
        throw new TenantnetError(
          `${this.service} for ${this.opts.uuid} did not become active (pidfile ${this.pidfile}; its command line must contain the uuid)`,
        );
      }
      return true;
    } catch (e) {
      // A child we started and cannot track would run on unseen: disable() never signals a PID
      // that fails the active check. It is ours for certain, so it is stopped here.
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (child) await rm(this.pidfile, { force: true });
      throw e;
    }
  }

  /**
   * Makes an active process re-read its configuration (the reload signal), or starts it if it is
   * not active.
   */
  async reload(): Promise<void> {
    const pid = await this.pid();
    if (pid !== null && (await isLiveWithMarker(pid, this.opts.uuid))) {
      try {
        process.kill(pid, this.opts.reloadSignal ?? 'SIGHUP');
        return;
      } catch (e) {
        // Exited between the check and the signal: start it, as for any inactive process.
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
    await this.enable();
  }

  /**
   * Stops the process with `signal` (default SIGKILL) if it is active, waits up to 5 s for it to go,
   * and removes the pidfile. A pidfile whose PID fails the active check is removed and nothing is
   * signalled.
   *
   * @returns true when a process was signalled
   */
  async disable(signal: NodeJS.Signals = 'SIGKILL'): Promise<boolean> {
    const pid = await this.pid();
    let signalled = false;
    if (pid !== null && (await isLiveWithMarker(pid, this.opts.uuid))) {
      try {
        process.kill(pid, signal);
        signalled = true;
      } catch {
        // exited between the check and the signal
      }
      await waitFor(async () => !(await isLiveWithMarker(pid, this.opts.uuid)), 5000);
    }
    await rm(this.pidfile, { force: true });
    return signalled;
  }
}
