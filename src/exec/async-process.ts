// A long-running child whose output arrives as lines, restarted when it dies (Neutron: agent.linux.async_process.AsyncProcess).
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { TenantnetError } from '../errors.js';
import { LineQueue } from './line-queue.js';
import { LineSplitter } from './line-splitter.js';
import { killTree } from './proc.js';
import { buildArgv, type RunOptions } from './run.js';

/** Options for an {@link AsyncProcess}. */
export interface AsyncProcessOptions extends Pick<RunOptions, 'namespace' | 'root' | 'rootHelper' | 'env'> {
  /**
   * Restart the command this many milliseconds after it exits on its own. Omit to let it stay
   * dead. A negative value is refused.
   */
  readonly respawnIntervalMs?: number;
}

/** `start` on a running process or `stop` on a stopped one. */
export class AsyncProcessStateError extends TenantnetError {}

/**
 * A long-running command (a monitor, a tail) whose stdout and stderr arrive as async iterables of
 * lines, in order, across respawns. `stop()` kills the whole process tree. After an exit that
 * `stop()` did not cause, the command is started again after `respawnIntervalMs`.
 *
 * Events: `start` (pid), `exit` (code, signal), `respawn` (pid), and `error` (Error) when a respawn
 * cannot spawn the command (emitted only if someone listens): the process then counts as stopped
 * and its line iterables end.
 */
export class AsyncProcess extends EventEmitter {
  private child: ChildProcess | null = null;
  private running = false;
  private respawnTimer: NodeJS.Timeout | null = null;
  private stdoutQueue = new LineQueue();
  private stderrQueue = new LineQueue();
  private queuesEnded = false;
  /** The argv actually executed. */
  readonly argv: readonly string[];

  /**
   * @param command the argv to run (not started until {@link start})
   * @throws {RangeError} for a negative respawn interval
   */
  constructor(
    command: readonly string[],
    private readonly options: AsyncProcessOptions = {},
  ) {
    super();
    if (options.respawnIntervalMs !== undefined && options.respawnIntervalMs < 0) {
      throw new RangeError(`respawnIntervalMs must be >= 0, got ${options.respawnIntervalMs}`);
    }
    this.argv = buildArgv(command, options);
  }

  /** True between `start()` and `stop()`, including while waiting to respawn. */
  get isRunning(): boolean {
    return this.running;
  }

  /** PID of the current child, or null between an exit and its respawn. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Lines written to stdout, in order; ends after `stop()`. */
  stdout(): AsyncIterable<string> {
    return this.stdoutQueue;
  }

  /** Lines written to stderr, in order; ends after `stop()`. */
  stderr(): AsyncIterable<string> {
    return this.stderrQueue;
  }

  /**
   * Starts the command and resolves once it has a PID.
   *
   * @throws {AsyncProcessStateError} if it is already running
   * @throws {Error} if the program cannot be spawned
   */
  async start(): Promise<void> {
    if (this.running) throw new AsyncProcessStateError(`already running: ${this.argv.join(' ')}`);
    if (this.queuesEnded) {
      // A new run gets new iterables: the previous ones ended with the previous run.
      this.stdoutQueue = new LineQueue();
      this.stderrQueue = new LineQueue();
      this.queuesEnded = false;
    }
    this.running = true;
    await this.spawnChild();
  }

  /**
   * Kills the process tree with `signal` (default SIGKILL) and waits for the child to exit; no
   * respawn follows, and the line iterables end.
   *
   * @throws {AsyncProcessStateError} if it is not running
   */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) throw new AsyncProcessStateError(`not running: ${this.argv.join(' ')}`);
    this.running = false;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    this.respawnTimer = null;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('close', () => r()));
      await killTree(child.pid!, signal);
      await exited;
    }
    this.child = null;
    this.endQueues();
  }

  private endQueues(): void {
    this.stdoutQueue.end();
    this.stderrQueue.end();
    this.queuesEnded = true;
  }

  private spawnChild(): Promise<void> {
    const [cmd, ...args] = this.argv as [string, ...string[]];
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.options.env ? { ...process.env, ...this.options.env } : process.env,
    });
    this.child = child;
    const out = new LineSplitter();
    const err = new LineSplitter();
    child.stdout!.on('data', (b: Buffer) => {
      for (const l of out.push(b)) this.stdoutQueue.push(l);
    });
    child.stderr!.on('data', (b: Buffer) => {
      for (const l of err.push(b)) this.stderrQueue.push(l);
    });
    child.on('close', (code, signal) => {
      for (const l of out.end()) this.stdoutQueue.push(l);
      for (const l of err.end()) this.stderrQueue.push(l);
      this.emit('exit', code, signal);
      if (this.child !== child || !this.running) return;
      this.child = null;
      const interval = this.options.respawnIntervalMs;
      if (interval === undefined) {
        this.running = false;
        this.endQueues();
        return;
      }
      this.respawnTimer = setTimeout(() => {
        this.respawnTimer = null;
        if (!this.running) return;
        this.spawnChild().then(
          () => this.emit('respawn', this.pid),
          // An 'error' event nobody listens to would be thrown and end the whole Node process.
          (e: unknown) => this.listenerCount('error') > 0 && this.emit('error', e),
        );
      }, interval);
    });
    return new Promise((resolve, reject) => {
      child.once('spawn', () => {
        this.emit('start', child.pid);
        resolve();
      });
      child.once('error', (e) => {
        // A failed spawn still emits 'close', but by then this child is no longer ours to handle:
        // end the iterables here, or their readers wait forever.
        if (this.child === child) {
          this.child = null;
          this.running = false;
          this.endQueues();
        }
        reject(e);
      });
    });
  }
}
