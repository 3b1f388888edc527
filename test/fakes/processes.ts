// A fake process table implementing ProcessRunner: detached services, command lines and signals, all in memory.
import {
  checkRunInput,
  type DetachedOptions,
  type DetachedProcess,
  type ProcessRunner,
  type RunOptions,
  type RunResult,
} from '../../src/exec/index.js';

/** A process the fake "runs". */
export interface FakeProcess {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly namespace: string | null;
  /** Signals it received, in order. */
  readonly signals: NodeJS.Signals[];
}

/**
 * Processes without processes: `spawnDetached` registers one with a fresh PID, `cmdline` answers
 * from the table, `signal` records the signal and ends the process on SIGKILL/SIGTERM/SIGINT.
 * `run` records the command and answers with `onRun` (default: exit 0, no output). Input is checked
 * with the real `checkRunInput`, so the fake refuses what `run` refuses.
 */
export class FakeProcessRunner implements ProcessRunner {
  readonly table = new Map<number, FakeProcess>();
  /** Every `run` call, in order. */
  readonly ran: { argv: readonly string[]; options: RunOptions }[] = [];
  private nextPid = 400_000;

  /** @param onRun what a `run` call does and returns (it may start processes with {@link start}) */
  constructor(
    private readonly onRun: (
      argv: readonly string[],
      options: RunOptions,
    ) => Partial<RunResult> | undefined = () => undefined,
  ) {}

  /** Registers a live process (as if something else started it). */
  start(argv: readonly string[], namespace: string | null = null): FakeProcess {
    const p: FakeProcess = { pid: this.nextPid++, argv: [...argv], namespace, signals: [] };
    this.table.set(p.pid, p);
    return p;
  }

  /** Ends a process as if it died on its own. */
  exit(pid: number): void {
    this.table.delete(pid);
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    checkRunInput(argv, options);
    this.ran.push({ argv: [...argv], options });
    const r = this.onRun(argv, options) ?? {};
    return { argv: [...argv], exitCode: 0, signal: null, stdout: '', stderr: '', timedOut: false, ...r };
  }

  async spawnDetached(argv: readonly string[], options: DetachedOptions = {}): Promise<DetachedProcess> {
    const ns = checkRunInput(argv, options);
    const p = this.start(argv, ns);
    return {
      pid: p.pid,
      kill: (signal) => {
        if (this.table.has(p.pid)) this.signal(p.pid, signal);
      },
    };
  }

  async cmdline(pid: number): Promise<string[]> {
    return [...(this.table.get(pid)?.argv ?? [])];
  }

  signal(pid: number, signal: NodeJS.Signals): boolean {
    const p = this.table.get(pid);
    if (!p) return false;
    p.signals.push(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') this.table.delete(pid);
    return true;
  }
}
