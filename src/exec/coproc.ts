// A long-lived child spoken to line by line, requests pipelined (what carries `ip -batch`; no Neutron twin, privsep's role).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { TenantnetError } from '../errors.js';
import { LineSplitter } from './line-splitter.js';
import { formatArgv } from './process-error.js';
import { buildArgv, type RunOptions } from './run.js';

/** What a request writes and how it recognises the end of its response. */
export interface Exchange<T> {
  /** Text written to the child's stdin; each line must end with `\n`. */
  readonly write: string;
  /**
   * Receives the child's output lines in order while this request is the oldest one pending.
   * Return `{ done: true, value }` when the response is complete, `{ done: true, error }` to fail
   * this request once its whole response has been read (the child is kept), or `undefined` to
   * keep reading. Throwing means the framing is lost: nobody knows where this response ends, so
   * this request fails with the thrown error, the child is killed, and the others in flight fail
   * with {@link CoprocExitedError}; the next request starts a new child.
   */
  onLine(line: string): ExchangeResult<T> | undefined;
}

/** The end of one response: its value, or the error it is to fail with. */
export type ExchangeResult<T> = { done: true; value: T } | { done: true; error: Error };

/** Where a request starts in the child's input: lets framing refer to input line numbers. */
export interface ExchangeContext {
  /** 1-based number of the first input line this request writes, counted since the child started. */
  readonly firstLine: number;
  /** How many times the child has been started (1 for the first child). */
  readonly generation: number;
}

/** Options for a {@link Coproc}. */
export interface CoprocOptions extends Pick<RunOptions, 'namespace' | 'root' | 'rootHelper' | 'env'> {
  /**
   * Send the child's stderr into the same pipe as stdout so that the two keep their order. Done
   * with a constant `sh -c 'exec "$@" 2>&1'` wrapper: argv stays positional, nothing is parsed.
   */
  readonly mergeStderr?: boolean;
  /** Fail a request (and restart the child) when it has no response within this many ms. */
  readonly requestTimeoutMs?: number;
}

/** The coprocess ended (or was killed) while requests were waiting for it. */
export class CoprocExitedError extends TenantnetError {
  /**
   * @param argv the coprocess argv
   * @param exitCode its exit code, or null
   * @param signal the signal that ended it, or null
   * @param lastOutput its last output lines (stderr, or merged output), for diagnosis
   */
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly lastOutput: string,
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    super(
      `coprocess ${how} with requests in flight: ${formatArgv(argv)}${lastOutput ? `: ${lastOutput}` : ''}`,
    );
  }
}

/** A request got no complete response within the coprocess's request timeout. */
export class CoprocTimeoutError extends TenantnetError {}

interface Pending {
  readonly exchange: Exchange<unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
}

/**
 * One child and what was written to it. Requests belong to the child they were written to, so a
 * child that is dying fails only its own requests, never those already sent to its successor.
 */
interface Session {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pending: Pending[];
  lines: number;
  /** Its last output lines, for the error that reports its death. */
  readonly recent: string[];
  /** Framing was lost: its output means nothing any more and is not delivered. */
  lost: boolean;
}

/**
 * A long-lived child process spoken to line by line (for example `ip -batch -`). Requests are
 * written as soon as they are made (pipelined) and answered in order. The child starts lazily on
 * the first request and again after it exits; requests in flight when it dies fail with
 * {@link CoprocExitedError}. Emits `start` (pid) and `exit` (code, signal).
 */
export class Coproc extends EventEmitter {
  private session: Session | null = null;
  private generations = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The argv actually executed (root helper and namespace included). */
  readonly argv: readonly string[];

  /**
   * @param command the child's argv (not started until the first request)
   * @param options namespace, root helper, stderr merging and request timeout
   */
  constructor(
    command: readonly string[],
    private readonly options: CoprocOptions = {},
  ) {
    super();
    const inner = buildArgv(command, options);
    this.argv = options.mergeStderr ? ['sh', '-c', 'exec "$@" 2>&1', 'coproc', ...inner] : inner;
  }

  /** PID of the running child, or null when none runs. */
  get pid(): number | null {
    return this.session?.child.pid ?? null;
  }

  /** How many children have been started so far. */
  get generation(): number {
    return this.generations;
  }

  /**
   * Sends one request. `build` receives where the request's input starts, so framing can use
   * input line numbers; the child is started first if needed.
   *
   * @throws {CoprocExitedError} if the child dies before the response is complete
   * @throws {CoprocTimeoutError} if the request timeout passes
   * @throws whatever `build` throws (as a rejection; nothing is written)
   */
  request<T>(build: (ctx: ExchangeContext) => Exchange<T>): Promise<T> {
    if (this.closed) return Promise.reject(new TenantnetError('coprocess is closed'));
    const session = this.ensureSession();
    let exchange: Exchange<T>;
    try {
      exchange = build({ firstLine: session.lines + 1, generation: this.generations });
    } catch (e) {
      return Promise.reject(e); // a promise API fails by rejecting, never by throwing
    }
    session.lines += countLines(exchange.write);
    return new Promise<T>((resolve, reject) => {
      session.pending.push({ exchange, resolve: resolve as (v: unknown) => void, reject });
      if (session.pending.length === 1) this.armTimer(session);
      session.child.stdin.write(exchange.write);
    });
  }

  /** Stops the child (SIGTERM, closing stdin first); pending requests fail. Further requests are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await this.kill('SIGTERM');
  }

  /**
   * Kills the current child and resolves once it has exited; its pending requests fail. A request
   * made after this call (even before it resolves) goes to a new child.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = null;
    this.clearTimer();
    const { child } = session;
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      child.kill(signal);
    }
    await exited;
  }

  private ensureSession(): Session {
    if (this.session) return this.session;
    const [cmd, ...args] = this.argv as [string, ...string[]];
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: this.options.env ? { ...process.env, ...this.options.env } : process.env,
    });
    const session: Session = { child, pending: [], lines: 0, recent: [], lost: false };
    this.session = session;
    this.generations += 1;
    const out = new LineSplitter();
    const err = new LineSplitter();
    child.stdout.on('data', (b: Buffer) => {
      for (const line of out.push(b)) this.onLine(session, line);
    });
    child.stderr.on('data', (b: Buffer) => {
      for (const line of err.push(b)) remember(session, line);
    });
    child.stdin.on('error', () => {}); // EPIPE after the child died: reported through 'close'
    child.on('error', () => {}); // spawn failure: reported through 'close' as well
    child.on('close', (code, signal) => {
      for (const line of out.end()) this.onLine(session, line);
      if (this.session === session) {
        this.session = null;
        this.clearTimer();
      }
      const failed = session.pending.splice(0);
      const error = new CoprocExitedError(this.argv, code, signal, session.recent.slice(-3).join(' | '));
      for (const p of failed) p.reject(error);
      this.emit('exit', code, signal);
    });
    if (child.pid !== undefined) this.emit('start', child.pid);
    return session;
  }

  private onLine(session: Session, line: string): void {
    remember(session, line);
    const head = session.pending[0];
    if (!head || session.lost) return; // unsolicited, or unreadable since framing was lost
    let result: ExchangeResult<unknown> | undefined;
    try {
      result = head.exchange.onLine(line);
    } catch (e) {
      // Framing lost: the rest of this response would be read as the next one's. Start over.
      session.pending.shift();
      session.lost = true;
      head.reject(e as Error);
      if (session === this.session) void this.kill('SIGKILL');
      return;
    }
    if (result) {
      session.pending.shift();
      if ('error' in result) head.reject(result.error);
      else head.resolve(result.value);
      this.armTimer(session);
    }
  }

  /** (Re)starts the timeout for the oldest pending request of the current child. */
  private armTimer(session: Session): void {
    if (session !== this.session) return;
    this.clearTimer();
    const ms = this.options.requestTimeoutMs;
    if (ms === undefined || session.pending.length === 0) return;
    this.timer = setTimeout(() => {
      const failed = session.pending.splice(0);
      const error = new CoprocTimeoutError(
        `coprocess gave no response within ${ms} ms: ${formatArgv(this.argv)}`,
      );
      for (const p of failed) p.reject(error);
      void this.kill('SIGKILL');
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Keeps a child's last output lines (its own: a successor's never mix in). */
function remember(session: Session, line: string): void {
  session.recent.push(line);
  if (session.recent.length > 20) session.recent.shift();
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
