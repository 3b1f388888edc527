// The CLI's one output module: the result on stdout (human text, or JSON with --json), progress and
// messages on stderr (a status line rewritten in place on a terminal, plain lines when piped), and the
// mapping from what went wrong to the exit code.
import { InvalidInputError, TenantnetError } from '../errors.js';

/** The exit codes of the tenantnet command. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** A failure tenantnet explains on stderr (a {@link TenantnetError}, or a command that did not get its way). */
  failure: 1,
  /** A usage error or invalid input (an unknown option, a bad value, a topology that does not validate). */
  usage: 2,
  /** An internal error: a bug in tenantnet (the stack trace is printed). */
  internal: 70,
} as const;

/** How much goes to stderr: `error` only errors, `warn` adds warnings, `info` progress, `debug` details. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Every log level, quietest first. */
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** A stream the output writes to (process.stdout/stderr, or a recorder in tests). */
export interface OutputStream {
  write(text: string): unknown;
  /** True for a terminal: progress then rewrites one status line instead of printing lines. */
  readonly isTTY?: boolean;
  /** The terminal's width, to keep the status line on one row. */
  readonly columns?: number;
}

/** Options for an {@link Output}. */
export interface OutputOptions {
  /** Print the result (or the error) as JSON on stdout. */
  readonly json?: boolean;
  /** Default `info`. */
  readonly logLevel?: LogLevel;
  /** Default `process.stdout`. */
  readonly stdout?: OutputStream;
  /** Default `process.stderr`. */
  readonly stderr?: OutputStream;
}

/**
 * Usage errors that do not come from tenantnet's own validation: commander's parse errors (unknown
 * option or command, missing or excess argument) are recognised by this code prefix.
 */
function isUsageError(e: unknown): boolean {
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('commander.');
}

/**
 * The exit code for an error: 2 for invalid input ({@link InvalidInputError} and its subclasses, such
 * as `ModelError`) and command-line usage errors, 1 for any other {@link TenantnetError}, 70 for
 * anything else (a bug).
 */
export function exitCodeOf(e: unknown): number {
  if (e instanceof InvalidInputError || isUsageError(e)) return EXIT.usage;
  if (e instanceof TenantnetError) return EXIT.failure;
  return EXIT.internal;
}

/** The problems of a `ModelError`-like error (`{ path, message }[]`), recognised by shape. */
function problemsOf(e: unknown): { path: readonly (string | number)[]; message: string }[] | null {
  const problems = (e as { problems?: unknown } | null)?.problems;
  return Array.isArray(problems) && problems.length > 0 ? problems : null;
}

/** The `FILE:LINE:COL: message` lines of a topology file's error (`TopologyError.lines`), recognised by shape. */
function located(e: unknown): string[] | null {
  const lines = (e as { lines?: unknown } | null)?.lines;
  return Array.isArray(lines) && lines.length > 0 && lines.every((l) => typeof l === 'string') ? lines : null;
}

/**
 * What a command prints. stdout carries only the result, so `tenantnet … --json | jq` always reads
 * one JSON document; everything a person watches (progress, warnings, errors) goes to stderr.
 */
export class Output {
  /** Whether the result is printed as JSON. */
  readonly json: boolean;
  /** The log level in force. */
  readonly logLevel: LogLevel;
  private readonly stdout: OutputStream;
  private readonly stderr: OutputStream;
  private statusShown = false;

  /** @param options where to write and how much; defaults are the process's streams at `info` */
  constructor(options: OutputOptions = {}) {
    this.json = options.json ?? false;
    this.logLevel = options.logLevel ?? 'info';
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
  }

  private enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(this.logLevel);
  }

  /** Clears the status line, if one is shown, so the next write starts on a clean row. */
  private clearStatus(): void {
    if (this.statusShown) this.stderr.write('\r\x1b[2K');
    this.statusShown = false;
  }

  private line(level: LogLevel, text: string): void {
    if (!this.enabled(level)) return;
    this.clearStatus();
    this.stderr.write(`${text}\n`);
  }

  /**
   * Reports what is happening now (level `info`). On a terminal it replaces the previous progress
   * text on one status line; piped, it is one line each, so logs keep every step.
   */
  progress(text: string): void {
    if (!this.enabled('info')) return;
    if (!this.stderr.isTTY) {
      this.stderr.write(`${text}\n`);
      return;
    }
    const width = Math.max(20, (this.stderr.columns ?? 80) - 1);
    const shown = text.length > width ? `${text.slice(0, width - 1).trimEnd()}…` : text;
    this.stderr.write(`\r\x1b[2K${shown}`);
    this.statusShown = true;
  }

  /** A line worth keeping on a terminal too (level `info`), e.g. a measured figure. */
  info(text: string): void {
    this.line('info', text);
  }

  /** A warning (level `warn`). */
  warn(text: string): void {
    this.line('warn', `tenantnet: warning: ${text}`);
  }

  /** Details for diagnosis (level `debug`). */
  debug(text: string): void {
    this.line('debug', text);
  }

  /**
   * Prints the result on stdout: `value` as JSON with `--json`, else what `human` makes of it (a
   * trailing newline is added when missing).
   */
  result<T>(value: T, human: (value: T) => string): void {
    this.clearStatus();
    if (this.json) {
      this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      return;
    }
    const text = human(value);
    if (text) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /**
   * Reports an error and returns its exit code ({@link exitCodeOf}). stderr gets one line a person can
   * act on (`tenantnet: …`), one line per problem for a topology with several, and the stack trace for
   * an internal error. With `--json`, stdout also gets `{"error": {type, message, where?, problems?},
   * "exitCode": N}` so a script reading stdout always finds a document.
   *
   * @param alreadyShown the message was printed already (commander prints its own usage errors)
   */
  fail(e: unknown, alreadyShown = false): number {
    this.clearStatus();
    const code = exitCodeOf(e);
    // commander's messages start with "error: ", which the `tenantnet:` prefix replaces.
    const message = e instanceof Error ? e.message.replace(/^error: /, '') : String(e);
    const problems = problemsOf(e);
    if (!alreadyShown) {
      if (code === EXIT.internal) {
        this.stderr.write(
          `tenantnet: internal error: ${e instanceof Error ? (e.stack ?? message) : message}\n`,
        );
      } else if (located(e)) {
        // A topology file's problems: `FILE:LINE:COL: message`, one per line, as compilers print.
        for (const l of located(e) ?? []) this.stderr.write(`${l}\n`);
      } else if (problems && problems.length > 1) {
        this.stderr.write(`tenantnet: ${problems.length} problems:\n`);
        for (const p of problems)
          this.stderr.write(`  ${p.path.length ? `${p.path.join('.')}: ` : ''}${p.message}\n`);
      } else {
        this.stderr.write(`tenantnet: ${message}\n`);
      }
    }
    if (this.json) {
      const where = e instanceof InvalidInputError ? e.where : undefined;
      const error = {
        type: e instanceof Error ? e.name : typeof e,
        message,
        ...(where !== undefined ? { where } : {}),
        ...(problems ? { problems } : {}),
      };
      this.stdout.write(`${JSON.stringify({ error, exitCode: code }, null, 2)}\n`);
    }
    return code;
  }

  /** Ends the output: clears a status line left on the terminal. */
  close(): void {
    this.clearStatus();
  }
}
