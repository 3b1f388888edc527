// The imperative instance verbs: converge one instance (its plan applied, then its DHCP client) and
// remove one, through the reconcile engine, so the CLI and a library user run the same code.
// Neutron: nova's plug_vifs / unplug_vifs.
import type { InterfaceDriver } from '../interface/driver.js';
import { topologyName, userName } from '../net/ownership.js';
import { applyChanges, assertApplied } from '../reconcile/apply.js';
import type { Executors } from '../reconcile/executors.js';
import { Observation } from '../reconcile/observation.js';
import type { Change } from '../reconcile/step.js';
import type { InstanceRef, InstanceSpec } from './desired.js';
import { observeInstance } from './observe.js';
import { planInstance, planInstanceClients } from './plan.js';

/** How an instance verb applies its plan. */
export interface InstanceApplyWith {
  readonly executors: Executors;
  /** The interface driver of the topology's backend. */
  readonly driver: InterfaceDriver;
}

/** What an instance verb did. */
export interface InstanceOutcome {
  /** The changes planned (empty: already as wanted). */
  readonly planned: readonly Change[];
  /** State-changing operations sent. */
  readonly operations: number;
}

async function applyAll(changes: readonly Change[], x: Executors): Promise<number> {
  if (changes.length === 0) return 0;
  const result = await applyChanges(changes, x);
  assertApplied(result);
  return result.changes;
}

/**
 * Converges one instance (see {@link planInstance}); then, for `dhcp`, runs its DHCP client when
 * its device does not hold its fixed IP (the network's DHCP server must be up).
 *
 * @throws the driver's planning errors; `ApplyFailedError` (the failing step's error as cause)
 */
export async function deployInstance(spec: InstanceSpec, opts: InstanceApplyWith): Promise<InstanceOutcome> {
  const obs = new Observation(opts.executors);
  const planned = planInstance(spec, await observeInstance(spec, obs, opts.driver), opts);
  let operations = await applyAll(planned, opts.executors);
  const again = new Observation(opts.executors);
  const clients = planInstanceClients(
    [{ spec, observed: await observeInstance(spec, again, opts.driver) }],
    opts.executors.host,
  );
  operations += await applyAll(clients, opts.executors);
  return { planned: [...planned, ...clients], operations };
}

/**
 * Removes an instance: its port's switch rows, its host links, then its namespace. Nothing there is
 * success.
 *
 * @throws {InvalidInputError} for a bad topology or instance name, before anything runs
 */
export async function removeInstance(ref: InstanceRef, opts: InstanceApplyWith): Promise<InstanceOutcome> {
  const checked = {
    topology: topologyName(ref?.topology, 'instance.topology'),
    name: userName(ref?.name, 'instance.name'),
  };
  const obs = new Observation(opts.executors);
  const observed = await observeInstance(
    { ...checked, prefix: opts.executors.host.netnsPrefix },
    obs,
    opts.driver,
  );
  const planned = planInstance(null, observed, opts);
  return { planned, operations: await applyAll(planned, opts.executors) };
}
