// One long-lived `bridge -batch` coprocess per namespace, framed like `ip -batch` (a marker line that
// always fails after each command), and the executor seam the FDB verbs run on. Neutron runs one
// `bridge` process per command (bridge_lib); here a list of FDB changes is one pipeline.
import { Coproc, CoprocExitedError } from '../exec/coproc.js';
import { NamespaceNotFoundError } from '../net/namespace.js';
import type { NamespaceName } from '../net/types.js';
import { type LineOutcome, MarkerFrame } from './batch.js';
import { IpCommandError, IpProcessExitedError, mapIpError } from './errors.js';
import { type FdbOp, type FdbResult, fdbLine, isFdbRead } from './fdb-ops.js';
import { NamespacePin, onNetnsChange } from './namespace-pin.js';

/**
 * The line written after every command: it always fails cheaply (no device name has a `/`), and its
 * `Command failed -:N` tells that the command before it has answered.
 */
const MARKER = 'fdb show dev tn/mark';
const MARKER_TEXT = 'Cannot find device "tn/mark"';

/**
 * Runs FDB operations somewhere: the real {@link bridgeBatchExecutor} uses one `bridge -batch`
 * coprocess per namespace; unit tests pass the stateful fake of `test/fakes/bridge.ts`.
 */
export interface BridgeExecutor {
  /** Runs `ops` in order in `namespace`; resolves with one result per op or throws the first error. */
  apply(namespace: NamespaceName | null, ops: readonly FdbOp[]): Promise<FdbResult[]>;
  /** Runs `ops` in order; reports each outcome. */
  settle(namespace: NamespaceName | null, ops: readonly FdbOp[]): Promise<PromiseSettledResult<FdbResult>[]>;
  /** The namespace is about to be deleted: let go of anything running in it. Optional. */
  release?(namespace: NamespaceName): Promise<void>;
}

/** Where an FDB verb's operations run: `executor`, else the real {@link bridgeBatchExecutor}. */
export interface BridgeVia {
  readonly executor?: BridgeExecutor;
}

/** The executor a call runs on. */
export function bridgeExecutorOf(via?: BridgeVia): BridgeExecutor {
  return via?.executor ?? bridgeBatchExecutor;
}

/**
 * One `bridge [-n NS] -force -json -batch -` coprocess (stderr merged, so errors arrive in order),
 * started on the first command and again after it exits. Lines are pipelined and each answer is
 * framed by {@link MARKER}, exactly as `IpBatch` frames `ip`.
 */
export class BridgeBatch {
  private readonly coproc: Coproc;
  private readonly pin: NamespacePin;

  /** @param namespace where to run (null: the root namespace) */
  constructor(readonly namespace: NamespaceName | null) {
    const argv = ['bridge', ...(namespace ? ['-n', namespace] : []), '-force', '-json', '-batch', '-'];
    this.coproc = new Coproc(argv, { mergeStderr: true, requestTimeoutMs: 60_000 });
    this.pin = new NamespacePin(namespace, () => this.coproc);
  }

  /** PID of the running `bridge`, or null. */
  get pid(): number | null {
    return this.coproc.pid;
  }

  /**
   * Runs operations in order, all written at once; reports each outcome. Nothing is written when an
   * op does not render to a safe line or the namespace is missing.
   */
  async settle(ops: readonly FdbOp[]): Promise<PromiseSettledResult<FdbResult>[]> {
    let lines: string[];
    try {
      lines = ops.map(fdbLine);
      await this.pin.check();
    } catch (e) {
      return ops.map(() => ({ status: 'rejected', reason: e }));
    }
    return Promise.allSettled(ops.map((op, i) => this.one(op, lines[i]!)));
  }

  /** Lets go of the process when its namespace was deleted or replaced. @returns true when it did */
  releaseIfGone(): Promise<boolean> {
    return this.pin.releaseIfGone();
  }

  private async one(op: FdbOp, line: string): Promise<FdbResult> {
    let outcome: LineOutcome;
    try {
      outcome = await this.coproc.request((ctx) => {
        const frame = new MarkerFrame(ctx.firstLine, MARKER_TEXT);
        return {
          write: `${line}\n${MARKER}\n`,
          onLine: (text) => {
            const r = frame.push(text);
            return r ? { done: true, value: r } : undefined;
          },
        };
      });
    } catch (e) {
      if (!(e instanceof CoprocExitedError)) throw e;
      if (this.pin.gone()) {
        throw new NamespaceNotFoundError(this.namespace!, line, e.lastOutput);
      }
      throw new IpProcessExitedError(this.namespace, `bridge ${line}`, e.lastOutput, { cause: e });
    }
    if (!outcome.ok) {
      const e = mapIpError(line, this.namespace, outcome.errorText);
      // The ip error classes say `ip <command>` in their default message; this one is bridge's.
      if (e.message.startsWith(`ip ${line}`)) e.message = `bridge${e.message.slice(2)}`;
      throw e;
    }
    if (!isFdbRead(op)) return { op, line, output: undefined };
    const text = outcome.output.join('\n').trim();
    try {
      return { op, line, output: text === '' ? [] : JSON.parse(text) };
    } catch {
      throw new IpCommandError(line, this.namespace, `unparsable output: ${text.slice(0, 200)}`);
    }
  }

  /** Stops the process for good; later commands are refused. */
  close(): Promise<void> {
    return this.coproc.close();
  }
}

const batches = new Map<string, BridgeBatch>();
let unwatch: (() => void) | null = null;

/** The shared {@link BridgeBatch} of a namespace (null: the root one), created on first use. */
export function bridgeBatch(namespace: NamespaceName | null): BridgeBatch {
  let b = batches.get(namespace ?? '');
  if (!b) {
    b = new BridgeBatch(namespace);
    batches.set(namespace ?? '', b);
    // As for the ip coprocesses: an idle `bridge -n NS` keeps a namespace deleted behind tenantnet's
    // back alive, with its devices; the shared /run/netns watch lets go of it at once.
    if (namespace !== null) unwatch ??= onNetnsChange(onNamespaceEvent);
  }
  return b;
}

function onNamespaceEvent(file: string | null): void {
  for (const b of batches.values()) {
    if (b.namespace === null || (file !== null && b.namespace !== file)) continue;
    b.releaseIfGone().catch(() => {});
  }
}

/**
 * Stops the shared `bridge` coprocesses of one namespace (`namespace` given, null for root) or all.
 * Call before deleting a namespace, and at exit so Node can end.
 */
export async function closeBridgeBatches(namespace?: NamespaceName | null): Promise<void> {
  const closing: Promise<void>[] = [];
  for (const [key, b] of batches) {
    if (namespace === undefined || b.namespace === namespace) {
      batches.delete(key);
      closing.push(b.close());
    }
  }
  if (unwatch && ![...batches.values()].some((b) => b.namespace !== null)) {
    unwatch();
    unwatch = null;
  }
  await Promise.all(closing);
}

/** The real executor: every op rendered and checked before the first line is written. */
export const bridgeBatchExecutor: BridgeExecutor = {
  async apply(namespace, ops) {
    const settled = await this.settle(namespace, ops);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<FdbResult>).value);
  },
  settle(namespace, ops) {
    return bridgeBatch(namespace).settle(ops);
  },
  release(namespace) {
    return closeBridgeBatches(namespace);
  },
};
