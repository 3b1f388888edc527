// The current Node process as a daemon holding a pidfile (Neutron: agent.linux.daemon.Daemon).
import { Pidfile } from './pidfile.js';

/** Options for {@link Daemon.start}. */
export interface DaemonOptions {
  /** The pidfile that marks this daemon; a second daemon with the same pidfile is refused. */
  readonly pidfile: string;
  /** Process title (shown by `ps`), so the daemon can be recognised. */
  readonly title?: string;
  /** Called on SIGTERM/SIGINT before the pidfile is removed and the process exits with 0. */
  readonly onStop?: () => Promise<void> | void;
}

/**
 * The current Node process as a daemon: it holds a pidfile against a second instance, removes it
 * on exit, and exits cleanly on SIGTERM or SIGINT. (Detaching from the terminal is the starter's
 * job: spawn with `detached: true` and ignored stdio, as {@link ProcessManager} does.)
 */
export class Daemon {
  private constructor(
    private readonly pidfile: Pidfile,
    private readonly onSignal: () => void,
    private readonly onExit: () => void,
  ) {}

  /**
   * Takes the pidfile and installs the exit handlers.
   *
   * @throws {@link AlreadyRunningError} when another live process holds the pidfile
   */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const pidfile = await Pidfile.acquire(opts.pidfile);
    if (opts.title) process.title = opts.title;
    const onExit = () => pidfile.releaseSync();
    process.once('exit', onExit);
    let stopping = false;
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      Promise.resolve(opts.onStop?.())
        .catch(() => {})
        .finally(() => {
          pidfile.releaseSync();
          process.exit(0);
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    return new Daemon(pidfile, onSignal, onExit);
  }

  /** The PID written to the pidfile. */
  get pid(): number {
    return this.pidfile.pid;
  }

  /** Releases the pidfile and removes the signal and exit handlers without exiting. */
  release(): void {
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
    process.off('exit', this.onExit);
    this.pidfile.releaseSync();
  }
}
