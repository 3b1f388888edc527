// One long-lived `ip -batch` coprocess per namespace and family, with marker framing (Neutron: ip_lib, one process per command there).
import { Coproc, CoprocExitedError } from '../exec/coproc.js';
import { NamespaceNotFoundError, statNamespace } from '../net/namespace.js';
import type { IpFamily, NamespaceName } from '../net/types.js';
import { IpCommandError, IpProcessExitedError, mapIpError } from './errors.js';
import { batchLine } from './line.js';
import { NamespacePin } from './namespace-pin.js';
import { type IpOp, isRead } from './ops.js';

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

  /**
   * @param line the 1-based input line number of the command
   * @param markerText what the marker line prints when it fails (`bridge -batch` says it its own way)
   */
  constructor(
    readonly line: number,
    private readonly markerText: string = MARKER_TEXT,
  ) {}

  /** Takes one output line; returns the outcome when the response is complete. */
  push(text: string): LineOutcome | undefined {
    if (text === `Command failed -:${this.line}`) {
      this.errorText = this.buf.join('\n');
      this.buf = [];
      return undefined;
    }
    if (text === `Command failed -:${this.line + 1}`) {
      if (this.errorText !== null) return { ok: false, errorText: this.errorText };
      return { ok: true, output: this.buf.filter((l) => l !== this.markerText) };
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
  readonly family?: IpFamily;
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
  private readonly pin: NamespacePin;
  // Namespaces the running `ip` was given by name (a veth peer's, a move's), and for which child.
  private referenced = new Set<string>();
  private referencedBy = -1;
  private inflight = 0;
  private letGoWhenIdle = false;

  /**
   * @param namespace the namespace to run in (null: the root namespace)
   * @param options family and timeout
   */
  constructor(
    readonly namespace: NamespaceName | null,
    private readonly options: IpBatchOptions = {},
  ) {
    this.coproc = this.makeCoproc();
    this.pin = new NamespacePin(namespace, () => this.coproc);
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
   * @throws {InvalidInputError} when an op does not render to a safe line (nothing is written);
   *   {@link NamespaceNotFoundError} for this namespace or one an op moves a link into (nothing is
   *   written); the first operation's typed error ({@link IpCommandError} and subclasses), after all
   *   have answered; {@link IpProcessExitedError} when `ip` died
   */
  async apply(ops: readonly IpOp[]): Promise<OpResult[]> {
    return firstError(await this.settle(ops));
  }

  /** Like {@link apply}, but reports each operation's outcome instead of throwing the first error. */
  async settle(ops: readonly IpOp[]): Promise<PromiseSettledResult<OpResult>[]> {
    let lines: string[];
    try {
      lines = ops.map(batchLine);
      checkReferencedNamespaces(ops);
    } catch (e) {
      return ops.map(() => ({ status: 'rejected', reason: e }));
    }
    return this.runLines(ops, lines);
  }

  /**
   * Runs ops whose lines the caller has rendered with {@link batchLine} and whose referenced
   * namespaces it has checked ({@link checkReferencedNamespaces}): what an executor that splits one
   * list over several coprocesses uses, so that nothing is written before everything was checked.
   * Checks this batch's own namespace (one `stat()`).
   */
  async runLines(ops: readonly IpOp[], lines: readonly string[]): Promise<PromiseSettledResult<OpResult>[]> {
    try {
      await this.pin.check();
    } catch (e) {
      return ops.map(() => ({ status: 'rejected', reason: e }));
    }
    this.noteReferences(ops);
    return Promise.allSettled(ops.map((op, i) => this.one(op, lines[i]!)));
  }

  // iproute2 (6.1) opens a namespace named by `link add … netns NS` or `link set … netns NS` and
  // never closes it: for the life of this `ip` the namespace cannot go away, devices and all.
  private noteReferences(ops: readonly IpOp[]): void {
    const child = this.coproc.generation + (this.coproc.pid === null ? 1 : 0);
    if (child !== this.referencedBy) {
      this.referenced = new Set();
      this.referencedBy = child;
    }
    for (const o of ops) {
      const ref = o.op === 'veth.add' ? o.peerNamespace : o.op === 'link.set' ? o.set.namespace : undefined;
      if (ref !== undefined) this.referenced.add(ref);
    }
  }

  /** True when the running `ip` holds `namespace` open (it was given it by name; see {@link letGoOf}). */
  holds(namespace: string): boolean {
    return (
      this.coproc.pid !== null &&
      this.referencedBy === this.coproc.generation &&
      this.referenced.has(namespace)
    );
  }

  /**
   * Lets the running `ip` go when it holds `namespace` open (iproute2 keeps every namespace it was
   * given by name open for the rest of its life, and with it the namespace and its devices after
   * `ip netns del`): at once when it is idle, else as soon as its last pending command has answered.
   * The next command starts a new `ip`. Nothing in flight fails.
   */
  async letGoOf(namespace: string): Promise<void> {
    if (!this.holds(namespace)) return;
    if (this.inflight > 0) {
      this.letGoWhenIdle = true;
      return;
    }
    await this.retire();
  }

  private async retire(): Promise<void> {
    this.letGoWhenIdle = false;
    this.referenced = new Set();
    await this.coproc.kill('SIGTERM');
  }

  /**
   * Lets go of the `ip` process when its namespace was deleted (or replaced) behind tenantnet's back:
   * an idle `ip -n NS` would otherwise keep the deleted namespace, and every device in it, alive.
   * The next command starts a new process (or fails with {@link NamespaceNotFoundError}).
   *
   * @returns true when the process was let go
   */
  releaseIfGone(): Promise<boolean> {
    return this.pin.releaseIfGone();
  }

  private async one(op: IpOp, line: string): Promise<OpResult> {
    this.inflight++;
    try {
      return await this.answer(op, line);
    } finally {
      if (--this.inflight === 0 && this.letGoWhenIdle) void this.retire();
    }
  }

  private async answer(op: IpOp, line: string): Promise<OpResult> {
    // A dump the kernel interrupted (links came or went while it was read, e.g. a namespace being
    // torn down) is printed after "Dump was interrupted and may be inconsistent.": read it again.
    for (let attempt = 1; ; attempt++) {
      const r = await this.answerOnce(op, line);
      if (attempt >= DUMP_ATTEMPTS || !(r as { interrupted?: boolean }).interrupted) return r;
    }
  }

  private async answerOnce(op: IpOp, line: string): Promise<OpResult & { interrupted?: boolean }> {
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
    if (op.op === 'sysctl.show') return { op, line, output: parseSysctlValues(outcome.output) };
    const dump = dumpOutput(outcome.output);
    return { op, line, output: parseJson(dump.lines, line, this.namespace), interrupted: dump.interrupted };
  }

  private exitError(e: unknown, line: string): Error {
    if (!(e instanceof CoprocExitedError)) return e as Error;
    const ns = /Cannot open network namespace "([^"]*)"/.exec(e.lastOutput);
    if (ns) return new NamespaceNotFoundError(ns[1]!, line, e.lastOutput);
    // Killed because its namespace was deleted under it (see releaseIfGone).
    if (this.pin.gone()) {
      return new NamespaceNotFoundError(this.namespace!, line, e.lastOutput);
    }
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

/** What iproute2 prints before a dump the kernel interrupted (NLM_F_DUMP_INTR). */
const DUMP_INTERRUPTED = 'Dump was interrupted';

/** How many times a read whose dump was interrupted is made (the last one's answer is kept). */
const DUMP_ATTEMPTS = 5;

/**
 * A read's output lines without iproute2's "Dump was interrupted and may be inconsistent." line,
 * and whether it was there (the dump is then to be read again). Pure.
 */
export function dumpOutput(lines: readonly string[]): { lines: string[]; interrupted: boolean } {
  const interrupted = lines[0]?.startsWith(DUMP_INTERRUPTED) ?? false;
  return { lines: interrupted ? lines.slice(1) : [...lines], interrupted };
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

/**
 * `sysctl` output (`key = value` lines) as a record. Pure.
 */
export function parseSysctlValues(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(' = ');
    if (i > 0) out[l.slice(0, i).trim()] = l.slice(i + 3).trim();
  }
  return out;
}

function isEmptyObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
}

/**
 * The results of settled operations, or the first failure (thrown once all have answered).
 *
 * @throws the first rejection's reason
 */
export function firstError(settled: readonly PromiseSettledResult<OpResult>[]): OpResult[] {
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<OpResult>).value);
}

/**
 * Checks that every namespace an op names besides its own (a veth peer's `netns`, a `link set netns`)
 * exists, counting those a `netns add` earlier in the same list makes: `ip` ends its whole process
 * on a missing one. One `stat()` per distinct name.
 *
 * @throws {NamespaceNotFoundError} for the first missing one
 */
export function checkReferencedNamespaces(ops: readonly IpOp[]): void {
  const made = new Set<string>();
  const seen = new Set<string>();
  for (const o of ops) {
    if (o.op === 'netns.add') made.add(o.name);
    if (o.op === 'netns.del') made.delete(o.name);
    const ref = o.op === 'veth.add' ? o.peerNamespace : o.op === 'link.set' ? o.set.namespace : undefined;
    if (ref === undefined || made.has(ref) || seen.has(ref)) continue;
    if (statNamespace(ref) === null) throw new NamespaceNotFoundError(ref);
    seen.add(ref);
  }
}
