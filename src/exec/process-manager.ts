// One service for one uuid, tracked by a pidfile and recognised by its command line (Neutron: external_process.ProcessManager).

import { rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidInputError, TenantnetError } from '../errors.js';
import { NamespaceNotFoundError, optionalNamespace, statNamespace, vanishedError } from '../net/namespace.js';
import { lineText, pathSegment } from '../net/text.js';
import type { NamespaceName } from '../net/types.js';
import { stateDir } from '../state-dir.js';
import { replaceFileAtomic } from './atomic-file.js';
import { readPidfile } from './pidfile.js';
import { carriesMarker, waitFor } from './proc.js';
import { type DetachedProcess, type ProcessRunner, processRunner } from './runner.js';

/** Options for a {@link ProcessManager}. */
export interface ProcessManagerOptions {
  /**
   * The id of the thing served (a network id for dnsmasq): 1-200 of `A-Z a-z 0-9 _ . : -`, not `.`
   * or `..`, no leading `-`. The command line must carry it as a whole token (see {@link carriesMarker}).
   */
  readonly uuid: string;
  /** The kind of service (`dnsmasq`, `haproxy`…); part of the pidfile name, so a plain file name. */
  readonly service?: string;
  /** Run inside this network namespace (a name; null/absent: the current namespace). */
  readonly namespace?: string | null;
  /** Directory of pidfiles (absolute, normalised); default `<stateDir>/external/pids`. */
  readonly pidsDir?: string;
  /** Explicit pidfile path (absolute, normalised; overrides `pidsDir`). */
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
  /** How processes are started, read and signalled; default the real {@link processRunner}. */
  readonly runner?: ProcessRunner;
}

const UUID = /^[A-Za-z0-9_.:-]+$/;
/** The longest file name (in bytes) Linux file systems take. */
const NAME_MAX = 255;

/**
 * A path tenantnet will write and delete as root: absolute, already normalised (no `.`, `..` or
 * empty segments, no trailing `/`), not `/` itself, no control characters, no name over 255 bytes.
 */
function ownedPath(value: unknown, where: string): string {
  const v = lineText(value, where);
  const normal = v.startsWith('/') && v !== '/' && posix.normalize(v) === v && !v.endsWith('/');
  if (!normal || v.length > 4096 || v.split('/').some((seg) => Buffer.byteLength(seg) > NAME_MAX)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not an absolute, normalised path (no ".", ".." or empty segments, no name over ${NAME_MAX} bytes)`,
      where,
    );
  }
  return v;
}

/**
 * Runs one service for one uuid, tracked by a pidfile under tenantnet's state directory (Neutron's
 * external_process.ProcessManager). A process counts as active only if the pidfile's PID is alive
 * AND its `/proc/PID/cmdline` carries the uuid as a whole token, so a reused PID, a zombie, or the
 * service of another uuid that merely contains this one (`net10` for `net1`) is never mistaken for
 * it, and is never signalled.
 */
export class ProcessManager {
  /** The pidfile's path. */
  readonly pidfile: string;
  /** The service kind. */
  readonly service: string;
  /** The namespace the service runs in (null: the current one). */
  readonly namespace: NamespaceName | null;
  private readonly runner: ProcessRunner;

  /**
   * @throws {InvalidInputError} for a uuid or service that is not a plain file name, a bad namespace
   *   name (`''` is refused, never taken for the root namespace), or a pidfile/pidsDir that is not an
   *   absolute, normalised path; nothing is touched
   */
  constructor(private readonly opts: ProcessManagerOptions) {
    const uuid = pathSegment(opts.uuid, 'uuid');
    if (!UUID.test(uuid)) {
      throw new InvalidInputError(`uuid: ${JSON.stringify(uuid)} must be 1+ of A-Z a-z 0-9 _ . : -`, 'uuid');
    }
    this.service = pathSegment(opts.service ?? 'process', 'service');
    this.namespace = optionalNamespace(opts.namespace, 'namespace');
    const dir =
      opts.pidsDir !== undefined
        ? ownedPath(opts.pidsDir, 'pidsDir')
        : posix.join(stateDir(), 'external', 'pids');
    if (opts.pidfile === undefined && Buffer.byteLength(`${uuid}.pid.${this.service}`) > NAME_MAX) {
      throw new InvalidInputError(
        `service: the pidfile name "${uuid}.pid.${this.service}" is longer than ${NAME_MAX} bytes`,
        'service',
      );
    }
    this.pidfile =
      opts.pidfile !== undefined
        ? ownedPath(opts.pidfile, 'pidfile')
        : posix.join(dir, `${uuid}.pid.${this.service}`);
    this.runner = opts.runner ?? processRunner;
  }

  /** The uuid this manager serves. */
  get uuid(): string {
    return this.opts.uuid;
  }

  /** The PID in the pidfile, whether or not it is alive. */
  pid(): Promise<number | null> {
    return readPidfile(this.pidfile);
  }

  /** True when the pidfile's PID is alive and its command line carries the uuid as a whole token. */
  async active(): Promise<boolean> {
    const pid = await this.pid();
    return pid !== null && this.isOurs(pid);
  }

  private async isOurs(pid: number): Promise<boolean> {
    return carriesMarker(await this.runner.cmdline(pid), this.opts.uuid);
  }

  /**
   * Starts the process unless it is already active.
   *
   * @returns true when it was started, false when it was already active
   * @throws {NamespaceNotFoundError} when its namespace does not exist (nothing is started)
   * @throws {ProcessError} when a daemonizing command fails
   * @throws {TenantnetError} when the process does not become active within 5 s (a foreground
   *   process started by this call is then killed and its pidfile removed)
   */
  async enable(): Promise<boolean> {
    if (await this.active()) return false;
    if (this.namespace && statNamespace(this.namespace) === null) {
      throw new NamespaceNotFoundError(this.namespace);
    }
    await rm(this.pidfile, { force: true });
    const argv = this.opts.command(this.pidfile);
    const where = { namespace: this.namespace };
    let child: DetachedProcess | null = null;
    try {
      if (this.opts.mode === 'daemonizes') {
        // A daemonizing command returns once it has forked; one that keeps its output open would
        // otherwise hang enable() for good.
        await this.runner.run(argv, { ...where, timeoutMs: 30_000 });
      } else {
        child = await this.runner.spawnDetached(argv, where);
        await replaceFileAtomic(this.pidfile, `${child.pid}\n`);
      }
      if (!(await waitFor(() => this.active(), 5000))) {
        throw new TenantnetError(
          `${this.service} for ${this.opts.uuid} did not become active (pidfile ${this.pidfile}; its command line must carry the uuid as a whole argument or path component)`,
        );
      }
      return true;
    } catch (e) {
      // A child we started and cannot track would run on unseen: disable() never signals a PID
      // that fails the active check. It is ours for certain, so it is stopped here.
      if (child) {
        child.kill('SIGKILL');
        await rm(this.pidfile, { force: true });
      }
      throw vanishedError(e, this.namespace) ?? e;
    }
  }

  /**
   * Makes an active process re-read its configuration (the reload signal), or starts it if it is
   * not active.
   */
  async reload(): Promise<void> {
    const pid = await this.pid();
    // A false signal: it exited between the check and the signal; start it, as any inactive one.
    if (
      pid !== null &&
      (await this.isOurs(pid)) &&
      this.runner.signal(pid, this.opts.reloadSignal ?? 'SIGHUP')
    ) {
      return;
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
    if (pid !== null && (await this.isOurs(pid))) {
      signalled = this.runner.signal(pid, signal);
      await waitFor(async () => !(await this.isOurs(pid)), 5000);
    }
    await rm(this.pidfile, { force: true });
    return signalled;
  }
}
