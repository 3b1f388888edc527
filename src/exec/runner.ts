// The process-table seam: run a command, start a detached service, read a command line, signal a PID (Neutron: agent.linux.utils).
import { spawn } from 'node:child_process';
import { readCmdline } from './proc.js';
import { CommandNotFoundError } from './process-error.js';
import { buildArgv, type RunOptions, type RunResult, run } from './run.js';

/** Options for {@link ProcessRunner.spawnDetached}: where and how the service runs. */
export type DetachedOptions = Pick<RunOptions, 'namespace' | 'root' | 'rootHelper' | 'env' | 'cwd'>;

/** A service started in the background by {@link ProcessRunner.spawnDetached}. */
export interface DetachedProcess {
  /** Its PID (with a namespace, nsenter execs the command, so this is the service's own PID). */
  readonly pid: number;
  /** Signals it only while it has not exited (a PID that ended may be reused by another process). */
  kill(signal: NodeJS.Signals): void;
}

/**
 * Everything {@link ProcessManager} and friends do to processes, behind one interface: the real one
 * is {@link processRunner}; unit tests pass a fake (`test/fakes/processes.ts`).
 */
export interface ProcessRunner {
  /** Runs one command to completion, as {@link run} does (same options, results and errors). */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /**
   * Starts a long-running command detached from this process (own session, stdio ignored, not
   * waited for) and resolves once it has a PID.
   *
   * @throws {InvalidInputError} for what run() refuses; {@link CommandNotFoundError}
   */
  spawnDetached(argv: readonly string[], options?: DetachedOptions): Promise<DetachedProcess>;
  /** The arguments of a live process (`/proc/PID/cmdline`); empty for a zombie or a PID that is gone. */
  cmdline(pid: number): Promise<string[]>;
  /**
   * Sends `signal` to `pid`.
   *
   * @returns false when there is no such process (ESRCH); true when it was signalled
   */
  signal(pid: number, signal: NodeJS.Signals): boolean;
}

/** Equivalent to: `setsid CMD… </dev/null >/dev/null 2>&1 &` (argv only, no shell). */
async function spawnDetached(
  argv: readonly string[],
  options: DetachedOptions = {},
): Promise<DetachedProcess> {
  const [cmd, ...args] = buildArgv(argv, options) as [string, ...string[]];
  const child = spawn(cmd, args, {
    detached: true,
    stdio: 'ignore',
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new CommandNotFoundError(cmd, [cmd, ...args]) : e),
    );
  });
  child.unref();
  return {
    pid: child.pid!,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** The real process table: {@link run}, a detached spawn, `/proc/PID/cmdline` and `kill(2)`. */
export const processRunner: ProcessRunner = {
  run,
  spawnDetached,
  cmdline: readCmdline,
  signal(pid, signal) {
    try {
      process.kill(pid, signal);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw e;
    }
  },
};
