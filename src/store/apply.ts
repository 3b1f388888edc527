// apply and destroy against the store, end to end: read what is there, build the model over it
// (allocations sticky, other topologies' VNIs skipped, MTUs from the live agents' underlay), plan the
// keys, commit them in one guarded transaction. What `tenantnet apply --store` runs.
import {
  buildModel,
  type HostUnderlay,
  type Model,
  type TopologyInput,
  type VniRange,
} from '../model/index.js';
import { topologyName } from '../net/ownership.js';
import { requireString } from '../net/text.js';
import type { Store } from './client.js';
import { type CommitOptions, type CommitResult, commitPlan } from './commit.js';
import { type PlanStoreOptions, planDestroy, planStore, type StorePlan } from './plan.js';
import { readTopology, reservedVnis, type StoredTopology } from './read.js';
import { readAgents } from './records.js';

/** Options of {@link applyTopology}. */
export interface ApplyOptions extends PlanStoreOptions, CommitOptions {
  /** Plan only: read and plan, write nothing. */
  readonly dryRun?: boolean;
  /** VNIs new networks take (default 4096-16777215). */
  readonly vniRange?: VniRange;
  /** Each host's underlay; default: what the live agents report (`hosts/<h>/agent`). */
  readonly underlay?: ReadonlyMap<string, HostUnderlay>;
}

/** What an apply read, built, planned and (unless a dry run) committed. */
export interface ApplyResult {
  readonly stored: StoredTopology;
  readonly model: Model;
  readonly plan: StorePlan;
  /** Null for a dry run. */
  readonly committed: CommitResult | null;
}

/**
 * Applies a topology to the store: reads it (one revision), builds the model with the stored spec as
 * `previous` (nothing is renumbered), the VNIs of other topologies reserved and each host's underlay
 * MTU, plans the keys and commits them in one guarded transaction. An unchanged topology writes
 * nothing.
 *
 * @throws {ModelError} for a topology that is not valid (nothing is written)
 * @throws {StoreConflictError} another apply won, or `expectRevision` is stale (nothing is written)
 * @throws {VniTakenError} {@link StoreLimitError} {@link StoreValueError} {@link StoreUnavailableError}
 */
export async function applyTopology(
  store: Store,
  input: TopologyInput,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  let name: string;
  try {
    name = topologyName(requireString((input as { name?: unknown })?.name, 'name'), 'name');
  } catch (e) {
    buildModel(input); // a ModelError listing every problem of the input, the name's among them
    throw e;
  }
  const underlay =
    options.underlay ??
    new Map(
      [...(await readAgents(store))].map(([h, a]) => [h, { mtu: a.underlayMtu, family: a.underlayFamily }]),
    );
  const stored = await readTopology(store, name);
  const model = buildModel(input, {
    ...(stored.spec ? { previous: stored.spec.value } : {}),
    reservedVnis: reservedVnis(stored),
    underlay,
    ...(options.vniRange ? { vniRange: options.vniRange } : {}),
  });
  const plan = planStore(model, stored, options);
  if (options.dryRun) return { stored, model, plan, committed: null };
  const committed = await commitPlan(store, plan, options);
  return { stored, model, plan, committed };
}

/**
 * Removes a topology from the store in one guarded transaction: spec, meta, every slice, every VNI
 * it holds (agents then tear down what they built). A topology that is not there writes nothing.
 *
 * @throws {StoreConflictError} the topology changed since it was read, or `expectRevision` is stale
 * @throws {StoreValueError} {@link StoreUnavailableError} {@link StoreLimitError}
 */
export async function destroyTopology(
  store: Store,
  topology: string,
  options: CommitOptions & { readonly dryRun?: boolean } = {},
): Promise<{ readonly plan: StorePlan; readonly committed: CommitResult | null }> {
  const stored = await readTopology(store, topology);
  const plan = planDestroy(stored);
  if (options.dryRun) return { plan, committed: null };
  return { plan, committed: await commitPlan(store, plan, options) };
}
