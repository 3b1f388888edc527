// What a finished child process left behind, and the errors run() throws for it (Neutron: agent.linux.utils.ProcessExecutionError).
import { TenantnetError } from '../errors.js';

/** What a finished (or failed-to-start) child process left behind. */
export interface ProcessOutcome {
  /** The argv that was run, after the root helper and namespace prefix were added. */
  readonly argv: readonly string[];
  /** Exit code, or null when the process was killed by a signal or never started. */
  readonly exitCode: number | null;
  /** The signal that ended the process, if any. */
  readonly signal: NodeJS.Signals | null;
  /** Everything written to stdout (UTF-8). */
  readonly stdout: string;
  /** Everything written to stderr (UTF-8). */
  readonly stderr: string;
  /** True when tenantnet killed the process because its timeout passed. */
  readonly timedOut: boolean;
}

/** Shell-like quoting for display only: commands never run through a shell. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

function describe(o: ProcessOutcome): string {
  const cmd = formatArgv(o.argv);
  if (o.timedOut) return `command timed out and was killed: ${cmd}`;
  if (o.signal) return `command killed by ${o.signal}: ${cmd}`;
  const why = lastLine(o.stderr) || lastLine(o.stdout);
  return `command failed with exit code ${o.exitCode}: ${cmd}${why ? `: ${why}` : ''}`;
}

/**
 * A child process exited with a code that was not accepted, was killed by a signal, or timed out.
 * The message is one line (the command and the last line of its stderr); the fields carry the rest.
 */
export class ProcessError extends TenantnetError implements ProcessOutcome {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;

  /** @param outcome what the process left behind */
  constructor(outcome: ProcessOutcome) {
    super(describe(outcome));
    this.argv = outcome.argv;
    this.exitCode = outcome.exitCode;
    this.signal = outcome.signal;
    this.stdout = outcome.stdout;
    this.stderr = outcome.stderr;
    this.timedOut = outcome.timedOut;
  }
}

/** The program to run does not exist (ENOENT at spawn): usually a missing system package. */
export class CommandNotFoundError extends TenantnetError {
  /**
   * @param command the program name that was not found
   * @param argv the full argv
   */
  constructor(
    readonly command: string,
    readonly argv: readonly string[],
  ) {
    super(`command not found: "${command}" (is the package that provides it installed?)`);
  }
}

/**
 * True when a failed run never got into its namespace (nsenter could not open or enter it). Such a
 * failure is never an "ok" exit code, whatever `extraOkCodes` says.
 */
export function failedToEnterNamespace(o: Pick<ProcessOutcome, 'stderr'>): boolean {
  return /^nsenter: (cannot open|reassociate to namespace)/m.test(o.stderr);
}
