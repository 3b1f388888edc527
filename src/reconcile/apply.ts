// The engine: applies Change[] under the host's apply lock, batch by batch in Neutron's order (see
// order.ts), merging steps per executor, pinning failures on their change and skipping what depends
// on a failed one, counting the state-changing operations actually sent, and telling a progress
// display what happens. The only code that changes the host on behalf of a plan.
import { performance } from 'node:perf_hooks';
import { TenantnetError } from '../errors.js';
import type { Executors } from './executors.js';
import { type ApplyLock, applyLockPath, heldApplyLock, takeApplyLock } from './lock.js';
import { type ExecutorKind, type Pass, refKey, schedule, waves } from './order.js';
import type { RunContext, Runner } from './run-context.js';
import { runIp } from './run-ip.js';
import { runConntrack, runIpset, runIptables } from './run-netfilter.js';
import { runOvs } from './run-ovs.js';
import { runCommands, runFiles, runProcesses } from './run-service.js';
import type { Change, Phase } from './step.js';

/** What an apply tells a progress display or a log, as it happens. */
export type ApplyEvent =
  | { readonly type: 'phase-start' | 'phase-done'; readonly pass: Pass; readonly phase: Phase }
  | { readonly type: 'change-start'; readonly index: number; readonly change: Change }
  | {
      readonly type: 'change-done';
      readonly index: number;
      readonly change: Change;
      readonly operations: number;
    }
  | {
      readonly type: 'change-failed';
      readonly index: number;
      readonly change: Change;
      readonly error: unknown;
    }
  | {
      readonly type: 'change-skipped';
      readonly index: number;
      readonly change: Change;
      readonly reason: string;
    };

/** How one change ended. */
export type ChangeOutcome =
  | { readonly change: Change; readonly status: 'done'; readonly operations: number }
  | {
      readonly change: Change;
      readonly status: 'failed';
      readonly operations: number;
      /** The typed error of the step that failed. */
      readonly error: unknown;
    }
  | {
      readonly change: Change;
      readonly status: 'skipped';
      readonly operations: number;
      /** Why (`after router r1, which failed`). */
      readonly reason: string;
      /** Some of its steps ran before the change it needs failed. */
      readonly partial: boolean;
    };

/** What an apply did. */
export interface ApplyResult {
  /** State-changing operations sent (what `tenantnet apply --json` prints as `{"changes": N}`); 0 when converged. */
  readonly changes: number;
  /** One outcome per change, in the order given. */
  readonly outcomes: readonly ChangeOutcome[];
  /** True when every change is done. */
  readonly ok: boolean;
  /** Time spent per pass and phase (ms), in the order they ran. */
  readonly timings: readonly { readonly pass: Pass; readonly phase: Phase; readonly ms: number }[];
  /** Time spent waiting for ovs-vswitchd after the deletions were committed (ms). */
  readonly vswitchdWaitMs: number;
}

/** Options for {@link applyChanges}. */
export interface ApplyOptions {
  /** Called for every event, synchronously (keep it cheap). */
  readonly onProgress?: (event: ApplyEvent) => void;
  /**
   * An apply lock this caller already holds (from {@link takeApplyLock}); it is used and not
   * released. Without it the apply takes the host's lock, or reuses the one the current apply holds
   * when called from inside one.
   */
  readonly lock?: ApplyLock;
  /** How long to wait for another apply holding the lock (ms; default 60 s). */
  readonly lockWaitMs?: number;
}

/** Some changes of an apply failed (see {@link assertApplied}). */
export class ApplyFailedError extends TenantnetError {
  /** @param result the apply's result */
  constructor(readonly result: ApplyResult) {
    const failed = result.outcomes.filter((o) => o.status === 'failed');
    const skipped = result.outcomes.filter((o) => o.status === 'skipped').length;
    const first = failed[0];
    super(
      `${failed.length} change(s) failed${skipped > 0 ? `, ${skipped} skipped` : ''}` +
        (first?.status === 'failed'
          ? `; first: ${refKey(first.change.resource)}: ${first.error instanceof Error ? first.error.message : String(first.error)}`
          : ''),
      first?.status === 'failed' ? { cause: first.error } : undefined,
    );
  }
}

/**
 * Throws unless every change of an apply is done.
 *
 * @throws {ApplyFailedError} naming the first failure (its error is the `cause`)
 */
export function assertApplied(result: ApplyResult): ApplyResult {
  if (!result.ok) throw new ApplyFailedError(result);
  return result;
}

const RUNNERS: Record<ExecutorKind, Runner> = {
  ovs: runOvs,
  'ip-host': runIp,
  'ip-ns': runIp,
  ipset: runIpset,
  iptables: runIptables,
  conntrack: runConntrack,
  command: runCommands,
  file: runFiles,
  process: runProcesses,
};

/**
 * Applies changes: deletions first, in reverse phase order, then creations and updates in phase
 * order; within a phase, one batch per executor (OVS rows, then the host's links, then every
 * namespace side by side, sets, rules, conntrack, commands, files, processes; the other way round
 * for deletions). Steps of one executor are merged: one pipelined `ip -batch` round per place, one
 * OVSDB transaction, one `iptables-restore` per manager (none when it has nothing to send), one
 * `ipset restore` per manager. A failing step fails its change; changes after it (`after`) are
 * skipped, independent ones still run. Holds the host's apply lock throughout (see
 * {@link ApplyOptions.lock}).
 *
 * @returns per change done, failed (with its typed error) or skipped (and why), and the number of
 *   state-changing operations sent (0 when everything was converged)
 * @throws {DependencyCycleError} when changes depend on each other in a cycle (nothing runs)
 * @throws {ApplyLockTimeoutError} when another apply holds the lock too long (nothing runs)
 */
export async function applyChanges(
  changes: readonly Change[],
  executors: Executors,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const plan = schedule(changes);
  const path = applyLockPath(executors.host.stateDir);
  const given = opts.lock ?? heldApplyLock(path);
  if (given && !given.held) throw new TenantnetError(`apply: the lock ${given.path} passed in is not held`);
  const lock = given ?? (await takeApplyLock(executors.host.stateDir, opts.lockWaitMs));
  try {
    return await lock.within(() => run(changes, executors, plan, opts.onProgress ?? (() => {})));
  } finally {
    if (!given) lock.release();
  }
}

type Status = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

async function run(
  changes: readonly Change[],
  executors: Executors,
  plan: ReturnType<typeof schedule>,
  emit: (e: ApplyEvent) => void,
): Promise<ApplyResult> {
  const n = changes.length;
  const status: Status[] = changes.map(() => 'pending');
  const ops = changes.map(() => 0);
  const errors: unknown[] = changes.map(() => undefined);
  const reasons: string[] = changes.map(() => '');
  const partial = changes.map(() => false);
  const dependants: number[][] = changes.map(() => []);
  plan.deps.forEach((d, i) => {
    for (const j of d) dependants[j]!.push(i);
  });
  const lastBatch = new Array<number>(n).fill(-1);
  plan.batches.forEach((b, k) => {
    for (const it of b.items) lastBatch[it.change] = k;
  });
  const deferred: { wait: () => Promise<void>; changes: number[] }[] = [];
  let current: number[] = [];

  const alive = (i: number) => status[i] !== 'failed' && status[i] !== 'skipped';
  const skip = (i: number, because: number) => {
    for (const d of dependants[i]!) {
      if (!alive(d)) continue;
      partial[d] = status[d] === 'running';
      status[d] = 'skipped';
      reasons[d] = `after ${refKey(changes[because]!.resource)}, which failed`;
      emit({ type: 'change-skipped', index: d, change: changes[d]!, reason: reasons[d]! });
      skip(d, because);
    }
  };
  const fail = (i: number, e: unknown) => {
    if (status[i] === 'failed') return;
    status[i] = 'failed';
    errors[i] = e;
    emit({ type: 'change-failed', index: i, change: changes[i]!, error: e });
    skip(i, i);
  };
  const ctx = (pass: Pass): RunContext => ({
    executors,
    pass,
    count(i, k) {
      ops[i]! += k;
    },
    fail,
    alive,
    deferVswitchd(wait) {
      deferred.push({ wait, changes: current });
    },
  });

  const timings: { pass: Pass; phase: Phase; ms: number }[] = [];
  let at: { pass: Pass; phase: Phase; start: number } | null = null;
  const endPhase = () => {
    if (!at) return;
    timings.push({ pass: at.pass, phase: at.phase, ms: performance.now() - at.start });
    emit({ type: 'phase-done', pass: at.pass, phase: at.phase });
    at = null;
  };

  for (const [k, batch] of plan.batches.entries()) {
    if (!at || at.pass !== batch.pass || at.phase !== batch.phase) {
      endPhase();
      at = { pass: batch.pass, phase: batch.phase, start: performance.now() };
      emit({ type: 'phase-start', pass: batch.pass, phase: batch.phase });
    }
    for (const wave of waves(batch.items, plan.deps)) {
      const live = wave.filter((it) => alive(it.change));
      if (live.length === 0) continue;
      current = [...new Set(live.map((it) => it.change))];
      for (const i of current) {
        if (status[i] === 'pending') {
          status[i] = 'running';
          emit({ type: 'change-start', index: i, change: changes[i]! });
        }
      }
      await RUNNERS[batch.kind](live, ctx(batch.pass));
    }
    for (const it of batch.items) {
      const i = it.change;
      if (lastBatch[i] === k && status[i] === 'running') {
        status[i] = 'done';
        emit({ type: 'change-done', index: i, change: changes[i]!, operations: ops[i]! });
      }
    }
  }
  endPhase();

  // OVS deletions were committed without waiting for vswitchd: wait now, once, for all of them.
  const t0 = performance.now();
  for (const d of deferred) {
    try {
      await d.wait();
    } catch (e) {
      for (const i of d.changes) {
        if (status[i] === 'done') status[i] = 'running';
        fail(i, e);
      }
    }
  }
  const vswitchdWaitMs = deferred.length > 0 ? performance.now() - t0 : 0;

  const outcomes: ChangeOutcome[] = changes.map((change, i) => {
    if (status[i] === 'failed') return { change, status: 'failed', operations: ops[i]!, error: errors[i] };
    if (status[i] === 'skipped') {
      return { change, status: 'skipped', operations: ops[i]!, reason: reasons[i]!, partial: partial[i]! };
    }
    if (status[i] !== 'done') emit({ type: 'change-done', index: i, change, operations: ops[i]! });
    return { change, status: 'done', operations: ops[i]! };
  });
  return {
    changes: ops.reduce((a, b) => a + b, 0),
    outcomes,
    ok: outcomes.every((o) => o.status === 'done'),
    timings,
    vswitchdWaitMs,
  };
}
