// The imperative router verbs: process (converge one router) and delete, each its plan applied
// through the reconcile engine, so the CLI and a library user run the same code.
// Neutron: l3 agent's _process_router_if_compatible / RouterInfo.process and router delete.
import { applyOrThrow } from '../interface/apply.js';
import type { InterfaceDriver } from '../interface/driver.js';
import type { Owner } from '../net/ownership.js';
import { resourceName, topologyName } from '../net/ownership.js';
import type { Executors } from '../reconcile/executors.js';
import { Observation } from '../reconcile/observation.js';
import type { Change } from '../reconcile/step.js';
import { type RouterDesired, type RouterRef, routerNamespace, routerSpec } from './desired.js';
import { observeRouter } from './observe.js';
import { planRouter } from './plan.js';

/** How a router verb applies its plan. */
export interface RouterApplyWith {
  /** The executors (and host settings) to observe and apply through. */
  readonly executors: Executors;
  /** The interface driver of the topology's backend. */
  readonly driver: InterfaceDriver;
}

/** What a router verb did. */
export interface RouterOutcome {
  /** The changes that were planned (empty: already as wanted, nothing was sent). */
  readonly planned: readonly Change[];
  /** State-changing operations sent (0 when nothing was planned). */
  readonly operations: number;
}

/**
 * Converges one router: checks it (nothing runs when it is refused), observes its namespace, ports
 * and NAT, plans the difference and applies it. A router already as wanted sends nothing; a namespace
 * deleted by hand is rebuilt completely.
 *
 * @throws {InvalidInputError} before anything runs (see {@link routerSpec}); the driver's planning
 *   errors; the failing step's error
 */
export async function processRouter(desired: RouterDesired, opts: RouterApplyWith): Promise<RouterOutcome> {
  const spec = routerSpec(desired, opts.executors.host.netnsPrefix);
  const obs = new Observation(opts.executors);
  const planned = planRouter(spec, await observeRouter(spec, obs, opts.driver), opts);
  if (planned.length === 0) return { planned, operations: 0 };
  return { planned, operations: await applyOrThrow(planned, opts.executors) };
}

/**
 * Deletes a router: unplugs every port of it that is found (OVS rows first), then deletes its
 * namespace. Nothing there is success.
 *
 * @throws {InvalidInputError} for a bad topology or router name, before anything runs
 */
export async function deleteRouter(router: RouterRef, opts: RouterApplyWith): Promise<RouterOutcome> {
  const owner: Owner = {
    topology: topologyName(router?.topology, 'router.topology'),
    kind: 'router',
    name: resourceName(router?.name, 'router.name'),
  };
  const namespace = routerNamespace(owner, opts.executors.host.netnsPrefix);
  const obs = new Observation(opts.executors);
  const planned = planRouter(null, await observeRouter({ owner, namespace }, obs, opts.driver), opts);
  if (planned.length === 0) return { planned, operations: 0 };
  return { planned, operations: await applyOrThrow(planned, opts.executors) };
}
