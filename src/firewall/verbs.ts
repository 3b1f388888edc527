// The firewall's imperative verbs: observe, plan, and apply the plan through the reconcile engine —
// exactly what an apply of a whole topology does for its firewall part. Neutron: the L2 agent's
// firewall calls (prepare/update/remove_port_filter inside defer_apply).
import type { TopologyName } from '../net/ownership.js';
import { topologyName } from '../net/ownership.js';
import { type ApplyEvent, type ApplyResult, applyChanges, assertApplied } from '../reconcile/apply.js';
import type { Executors } from '../reconcile/executors.js';
import { Observation } from '../reconcile/observation.js';
import type { Change } from '../reconcile/step.js';
import type { FirewallDesired } from './desired.js';
import { observeFirewall } from './observe.js';
import { planFirewall } from './plan.js';
import { firewallDesired } from './validate.js';

/** How a verb applies its plan. */
export interface FirewallApplyOptions {
  /** The executors (and host settings) to observe and apply through. */
  readonly executors: Executors;
  /** Progress events of the apply. */
  readonly onProgress?: (event: ApplyEvent) => void;
}

/** What a verb did. */
export interface FirewallOutcome {
  /** The changes planned ([] when the host already held the firewall: nothing was sent). */
  readonly planned: readonly Change[];
  /** State-changing operations sent (iptables lines, ipset lines, conntrack deletes); 0 when converged. */
  readonly operations: number;
  /** The engine's result (null when nothing was planned). */
  readonly result: ApplyResult | null;
}

async function run(
  topology: TopologyName,
  desired: FirewallDesired | null,
  opts: FirewallApplyOptions,
): Promise<FirewallOutcome> {
  const observed = await observeFirewall(
    topology,
    new Observation(opts.executors),
    (desired?.ports.length ?? 0) > 0,
  );
  const planned = planFirewall(desired, observed, { executors: opts.executors });
  if (planned.length === 0) return { planned, operations: 0, result: null };
  const result = assertApplied(
    await applyChanges(planned, opts.executors, opts.onProgress ? { onProgress: opts.onProgress } : {}),
  );
  return { planned, operations: result.changes, result };
}

/**
 * Brings the host's firewall of `desired.topology` to `desired`: chains, rules and ipsets as wanted,
 * conntrack entries of flows no longer allowed deleted. Applying it again sends nothing.
 *
 * Equivalent to: `ipset restore`, `iptables-restore -w --noflush` and `ip6tables-restore -w --noflush`
 * of the changed lines in the host place, then `conntrack -D …` per cut flow.
 *
 * @throws {InvalidInputError} on a bad desired state (before anything runs)
 * @throws {BridgeNetfilterError} when bridged traffic bypasses iptables in the host place
 * @throws {ApplyFailedError} when the engine could not apply a step (its error is the `cause`)
 */
export async function applyFirewall(
  desired: FirewallDesired,
  opts: FirewallApplyOptions,
): Promise<FirewallOutcome> {
  const d = firewallDesired(desired);
  return run(d.topology, d, opts);
}

/**
 * Removes the host's firewall of `topology`: its chains, rules and ipsets, and the shared chain when
 * no other tenantnet manager uses it; the entries of its ports' flows are deleted. Nothing there is
 * success.
 *
 * @throws {InvalidInputError} on a bad topology name
 * @throws {ApplyFailedError} when the engine could not apply a step
 */
export function removeFirewall(topology: string, opts: FirewallApplyOptions): Promise<FirewallOutcome> {
  return run(topologyName(topology, 'topology'), null, opts);
}
