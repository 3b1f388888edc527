// One long-lived `bridge -batch` coprocess per namespace, framed like `ip -batch` (a marker line that
// always fails after each command), and the executor seam the FDB verbs run on. Neutron runs one
// `bridge` process per command (bridge_lib); here a list of FDB changes is one pipeline.
import { type FSWatcher, watch } from 'node:fs';
import { Coproc, CoprocExitedError } from '../exec/coproc.js';
import { NamespaceNotFoundError, NETNS_DIR, statNamespace } from '../net/namespace.js';
import type { NamespaceName } from '../net/types.js';
import { type LineOutcome, MarkerFrame } from './batch.js';
import { IpCommandError, IpProcessExitedError, mapIpError } from './errors.js';
import { type FdbOp, type FdbResult, fdbLine, isFdbRead } from './fdb-ops.js';

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
  private nsInode: number | null = null;

  /** @param namespace where to run (null: the root namespace) */
  constructor(readonly namespace: NamespaceName | null) {
    const argv = ['bridge', ...(namespace ? ['-n', namespace] : []), '-force', '-json', '-batch', '-'];
    this.coproc = new Coproc(argv, { mergeStderr: true, requestTimeoutMs: 60_000 });
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
      await this.checkNamespace();
    } catch (e) {
      return ops.map(() => ({ status: 'rejected', reason: e }));
    }
    return Promise.allSettled(ops.map((op, i) => this.one(op, lines[i]!)));
  }

  // A namespace file that vanished or was replaced: the running `bridge` is stuck in a namespace
  // nobody sees any more (and keeps it alive). Refuse, or start over in the new one.
  private async checkNamespace(): Promise<void> {
    if (!this.namespace) return;
    const ino = statNamespace(this.namespace);
    if (ino === null) {
      this.nsInode = null;
      if (this.coproc.pid !== null) await this.coproc.kill('SIGKILL');
      throw new NamespaceNotFoundError(this.namespace);
    }
    if (this.nsInode !== null && this.nsInode !== ino && this.coproc.pid !== null) {
      await this.coproc.kill('SIGKILL');
    }
    this.nsInode = ino;
  }

  /** Lets go of the process when its namespace was deleted or replaced. @returns true when it did */
  async releaseIfGone(): Promise<boolean> {
    if (!this.namespace || this.nsInode === null) return false;
    if (statNamespace(this.namespace) === this.nsInode) return false;
    this.nsInode = null;
    await this.coproc.kill('SIGKILL');
    return true;
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
      if (this.namespace && statNamespace(this.namespace) === null) {
        throw new NamespaceNotFoundError(this.namespace, line, e.lastOutput);
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
let watcher: FSWatcher | null = null;

/** The shared {@link BridgeBatch} of a namespace (null: the root one), created on first use. */
export function bridgeBatch(namespace: NamespaceName | null): BridgeBatch {
  let b = batches.get(namespace ?? '');
  if (!b) {
    b = new BridgeBatch(namespace);
    batches.set(namespace ?? '', b);
    if (namespace !== null) watchNamespaces();
  }
  return b;
}

// As for the ip coprocesses: an idle `bridge -n NS` keeps a namespace deleted behind tenantnet's back
// alive, with its devices. One inotify watch on /run/netns while coprocesses in named namespaces
// exist lets go of them at once; it never keeps Node running.
function watchNamespaces(): void {
  if (watcher) return;
  try {
    watcher = watch(NETNS_DIR, { persistent: false });
  } catch {
    return; // no /run/netns yet: every call still stats its namespace first
  }
  watcher.on('change', (_event, file) => {
    for (const b of batches.values()) {
      if (b.namespace === null || (typeof file === 'string' && b.namespace !== file)) continue;
      b.releaseIfGone().catch(() => {});
    }
  });
  watcher.on('error', () => {
    watcher?.close();
    watcher = null;
  });
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
  if (watcher && ![...batches.values()].some((b) => b.namespace !== null)) {
    watcher.close();
    watcher = null;
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
