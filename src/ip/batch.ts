import { statSync } from 'node:fs';
import { TenantnetError } from '../errors.js';
import { Coproc, CoprocExitedError } from '../exec/coproc.js';
import { NamespaceNotFoundError } from '../net/namespace.js';
import type { NamespaceName } from '../net/types.js';
import { IpCommandError, IpProcessExitedError, mapIpError } from './errors.js';
import { batchLine, type IpOp, isRead } from './ops.js';

/**
 * The line written after every command. It always fails (no device can have a `/` in its name),
 * and its `Command failed -:N` line tells that the command before it has finished.
 */
export const MARKER = 'addr show dev tn/mark';
const MARKER_TEXT = 'Device "tn/mark" does not exist.';

/** What one batch line produced: its output lines, or the error text `ip` printed for it. */
export type LineOutcome = { ok: true; output: string[] } | { ok: false; errorText: string };

/**
 * Frames the response to one command written on input line `line`, followed by {@link MARKER} on
 * `line + 1`. Feed it output lines in order; it returns the outcome once the marker's
 * `Command failed -:line+1` arrives. Lines before `Command failed -:line` are that command's error
 * text. Pure: the unit tests drive it with recorded output.
 */
export class MarkerFrame {
  private buf: string[] = [];
  private errorText: string | null = null;

  /** @param line the 1-based input line number of the command */
  constructor(readonly line: number) {}

  /** Takes one output line; returns the outcome when the response is complete. */
  push(text: string): LineOutcome | undefined {
    if (text === `Command failed -:${this.line}`) {
      this.errorText = this.buf.join('\n');
      this.buf = [];
      return undefined;
    }
    if (text === `Command failed -:${this.line + 1}`) {
      if (this.errorText !== null) return { ok: false, errorText: this.errorText };
      return { ok: true, output: this.buf.filter((l) => l !== MARKER_TEXT) };
    }
    this.buf.push(text);
    return undefined;
  }
}

/** The result of one operation: its batch line and, for reads, the parsed JSON. */
export interface OpResult {
  readonly op: IpOp;
  readonly line: string;
  /** The parsed `-json` output of a read; undefined for writes. */
  readonly output: unknown;
}

/** Options for an {@link IpBatch}. */
export interface IpBatchOptions {
  /** Start `ip` with `-6`: IPv6 dumps and flushes of routes and rules need it. */
  readonly family?: 4 | 6;
  /** Fail a command (and restart `ip`) when it has no answer within this many ms (default 60000). */
  readonly requestTimeoutMs?: number;
  /** Run through the root helper when not root (default true); false for read-only use. */
  readonly root?: boolean;
}

/**
 * One long-lived `ip [-n NS] [-6] -d -force -json -batch -` coprocess, started on the first command
 * and restarted after it exits. Commands are pipelined: {@link apply} writes every line at once and
 * each line's answer is framed by {@link MARKER}. stderr is merged into stdout so errors arrive in
 * order with the marker lines.
 */
export class IpBatch {
  private coproc: Coproc;
  private nsInode: number | null = null;

  /**
   * @param namespace the namespace to run in (null: the root namespace)
   * @param options family and timeout
   */
  constructor(
    readonly namespace: NamespaceName | null,
    private readonly options: IpBatchOptions = {},
  ) {
    this.coproc = this.makeCoproc();
  }

  private makeCoproc(): Coproc {
    const argv = ['ip', ...(this.namespace ? ['-n', this.namespace] : [])];
    if (this.options.family === 6) argv.push('-6');
    argv.push('-d', '-force', '-json', '-batch', '-');
    return new Coproc(argv, {
      mergeStderr: true,
      requestTimeoutMs: this.options.requestTimeoutMs ?? 60000,
      ...(this.options.root === false ? { root: false } : {}),
    });
  }

  /** PID of the running `ip`, or null. */
  get pid(): number | null {
    return this.coproc.pid;
  }

  /** How many `ip` processes this batch has started. */
  get generation(): number {
    return this.coproc.generation;
  }

  /**
   * Runs operations in order, all written at once, and waits for every answer.
   *
   * @returns one result per operation
   * @throws the first operation's typed error ({@link IpCommandError} and subclasses), after all have
   *   answered; {@link NamespaceNotFoundError}; {@link IpProcessExitedError} when `ip` died
   */
  async apply(ops: readonly IpOp[]): Promise<OpResult[]> {
    const settled = await this.settle(ops);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<OpResult>).value);
  }

  /** Like {@link apply}, but reports each operation's outcome instead of throwing the first error. */
  async settle(ops: readonly IpOp[]): Promise<PromiseSettledResult<OpResult>[]> {
    try {
      await this.checkNamespace();
    } catch (e) {
      return ops.map(() => ({ status: 'rejected', reason: e }));
    }
    return Promise.allSettled(ops.map((op) => this.one(op)));
  }

  /**
   * A namespace file that vanished or was replaced means the running `ip` is stuck in a namespace
   * nobody can see any more: refuse, or start over in the new one. One stat() per call; the old
   * process is awaited so that no new line is written to it.
   */
  private async checkNamespace(): Promise<void> {
    if (!this.namespace) return;
    const st = statSync(`/run/netns/${this.namespace}`, { throwIfNoEntry: false });
    if (!st) {
      this.nsInode = null;
      if (this.coproc.pid !== null) await this.coproc.kill('SIGKILL');
      throw new NamespaceNotFoundError(this.namespace);
    }
    if (this.nsInode !== null && this.nsInode !== st.ino && this.coproc.pid !== null) {
      await this.coproc.kill('SIGKILL');
    }
    this.nsInode = st.ino;
  }

  private async one(op: IpOp): Promise<OpResult> {
    const line = batchLine(op);
    let outcome: LineOutcome;
    try {
      outcome = await this.coproc.request((ctx) => {
        const frame = new MarkerFrame(ctx.firstLine);
        return {
          write: `${line}\n${MARKER}\n`,
          onLine: (text) => {
            const r = frame.push(text);
            return r ? { done: true, value: r } : undefined;
          },
        };
      });
    } catch (e) {
      throw this.exitError(e, line);
    }
    if (!outcome.ok) throw mapIpError(line, this.namespace, outcome.errorText);
    if (!isRead(op)) return { op, line, output: undefined };
    return { op, line, output: parseJson(outcome.output, line, this.namespace) };
  }

  private exitError(e: unknown, line: string): Error {
    if (!(e instanceof CoprocExitedError)) return e as Error;
    const ns = /Cannot open network namespace "([^"]*)"/.exec(e.lastOutput);
    if (ns) return new NamespaceNotFoundError(ns[1]!, line, e.lastOutput);
    return new IpProcessExitedError(this.namespace, line, e.lastOutput, { cause: e });
  }

  /** Kills the running `ip` (tests use this); in-flight commands fail, the next one restarts it. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.coproc.kill(signal);
  }

  /** Stops the `ip` process for good; later commands are refused. */
  close(): Promise<void> {
    return this.coproc.close();
  }
}

function parseJson(lines: string[], line: string, namespace: string | null): unknown {
  // `addr show group N` prints `{}` for every link outside the group: drop those.
  const text = lines.join('\n').trim();
  try {
    const value: unknown = text === '' ? [] : JSON.parse(text);
    return Array.isArray(value) ? value.filter((v) => !isEmptyObject(v)) : value;
  } catch {
    throw new IpCommandError(line, namespace, `unparsable output: ${text.slice(0, 200)}`);
  }
}

function isEmptyObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}

const batches = new Map<string, IpBatch>();

/** PIDs of the shared `ip` coprocesses now running (they sit inside their namespaces). */
export function ipBatchPids(): Set<number> {
  const pids = new Set<number>();
  for (const b of batches.values()) if (b.pid !== null) pids.add(b.pid);
  return pids;
}

/**
 * The shared {@link IpBatch} for a namespace (and family), created on first use.
 *
 * @param namespace null for the root namespace
 * @param family 6 for the `-6` coprocess (started only if something needs it)
 */
export function ipBatch(namespace: NamespaceName | null, family: 4 | 6 = 4): IpBatch {
  const key = `${namespace ?? ''}|${family}`;
  let b = batches.get(key);
  if (!b) {
    b = new IpBatch(namespace, { family });
    batches.set(key, b);
  }
  return b;
}

/**
 * Stops the shared coprocesses of one namespace (`namespace` given, null for root) or of all
 * (no argument). Call before deleting a namespace, and at exit so Node can end.
 */
export async function closeIpBatches(namespace?: NamespaceName | null): Promise<void> {
  const closing: Promise<void>[] = [];
  for (const [key, b] of batches) {
    if (namespace === undefined || b.namespace === namespace) {
      batches.delete(key);
      closing.push(b.close());
    }
  }
  await Promise.all(closing);
}

/** Runs operations somewhere: the real executor uses {@link ipBatch}; unit tests install a fake. */
export interface IpExecutor {
  /** Runs `ops` in order in `namespace`; resolves with one result per op or throws the first error. */
  apply(namespace: NamespaceName | null, ops: readonly IpOp[]): Promise<OpResult[]>;
  /** Runs `ops` in order; reports each outcome. */
  settle(namespace: NamespaceName | null, ops: readonly IpOp[]): Promise<PromiseSettledResult<OpResult>[]>;
}

/**
 * The real executor. Operations that need `-6` go to that namespace's `-6` coprocess; a list that
 * mixes families runs in consecutive same-family groups so that order holds.
 */
export const batchExecutor: IpExecutor = {
  async apply(namespace, ops) {
    const settled = await this.settle(namespace, ops);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<OpResult>).value);
  },
  async settle(namespace, ops) {
    const out: PromiseSettledResult<OpResult>[] = [];
    let i = 0;
    while (i < ops.length) {
      const fam = familyNeed(ops[i]!);
      let j = i;
      while (j < ops.length && familyNeed(ops[j]!) === fam) j++;
      out.push(...(await ipBatch(namespace, fam).settle(ops.slice(i, j))));
      i = j;
    }
    return out;
  },
};

function familyNeed(o: IpOp): 4 | 6 {
  return 'family' in o && o.family === 6 ? 6 : 4;
}

let current: IpExecutor = batchExecutor;

/** The executor the ip_lib functions use (the real one unless a test installed another). */
export function ipExecutor(): IpExecutor {
  return current;
}

/**
 * Installs an executor (a fake in unit tests); returns the previous one so it can be restored.
 *
 * @throws {TenantnetError} never; typed for symmetry with other setters
 */
export function setIpExecutor(executor: IpExecutor): IpExecutor {
  if (!executor) throw new TenantnetError('setIpExecutor: executor is required');
  const prev = current;
  current = executor;
  return prev;
}
