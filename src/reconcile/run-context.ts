// What a batch runner gets from the engine: the executors, where `host` is, and the per-change
// bookkeeping (operations counted, failures recorded, whether a change still runs).
import type { NamespaceName } from '../net/types.js';
import type { Executors } from './executors.js';
import type { Pass, ScheduledStep } from './order.js';
import type { Place } from './step.js';

/** The engine's side of running one batch. */
export interface RunContext {
  /** Where everything runs. */
  readonly executors: Executors;
  /** Deletions or creations/updates. */
  readonly pass: Pass;
  /** Adds state-changing operations actually sent to a change's count. */
  count(change: number, operations: number): void;
  /** Records that a change failed (its dependants are then skipped). */
  fail(change: number, error: unknown): void;
  /** False once a change has failed or been skipped. */
  alive(change: number): boolean;
  /**
   * Registers a vswitchd wait that was put off (OVS deletions are committed without waiting, so the
   * namespaces that do not depend on them go at once); the engine runs it before the next OVS
   * commit and at the end of the apply.
   */
  deferVswitchd(wait: () => Promise<void>): void;
}

/** Runs one batch (or one wave of it): every item's step through one executor. */
export type Runner = (items: readonly ScheduledStep[], ctx: RunContext) => Promise<void>;

/** The namespace a place stands for: `host` is the host namespace (null: the root namespace). */
export function placeNamespace(executors: Executors, place: Place): NamespaceName | null {
  return place === 'host' ? executors.host.namespace : place;
}
