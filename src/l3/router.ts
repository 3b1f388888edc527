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
import { goesWithNamespace, observeRouter } from './observe.js';
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

/** How long {@link deleteRouter} waits for the kernel to finish tearing the namespace down. */
const TEARDOWN_WAIT_MS = 10_000;

/**
 * Deletes a router: unplugs every port of it that is found (OVS rows first), then deletes its
 * namespace, and returns once the kernel has torn it down (the host ends of its veths, which go with
 * the namespace, are gone: a router made again at once finds none of them). Nothing there is
 * success.
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
  const observed = await observeRouter({ owner, namespace }, obs, opts.driver);
  const planned = planRouter(null, observed, opts);
  if (planned.length === 0) return { planned, operations: 0 };
  const operations = await applyOrThrow(planned, opts.executors);
  const hostEnds = observed.stale
    .filter((t) => goesWithNamespace(opts.driver, t, observed.state))
    .flatMap((t) => opts.driver.layout(t).hostLinks);
  await untilGone(opts.executors, hostEnds);
  return { planned, operations };
}

// `ip netns del` returns before the kernel has destroyed the namespace's devices (and the far ends
// of its veths): one link listing of the host place every few milliseconds until they are gone.
async function untilGone(x: Executors, devices: readonly string[]): Promise<void> {
  if (devices.length === 0) return;
  const end = Date.now() + TEARDOWN_WAIT_MS;
  for (;;) {
    const links = await new Observation(x).links('host');
    if (!links?.some((l) => devices.includes(l.name)) || Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}
