// The imperative verbs of a network's DHCP server: enable (which also reloads and restarts: it is the
// one plan towards the network as given) and disable, each its plan applied through the reconcile
// engine. Neutron: the DHCP agent's call_driver('enable' | 'reload_allocations' | 'restart' | 'disable').
import { TenantnetError } from '../errors.js';
import { type ApplyEvent, applyChanges } from '../reconcile/apply.js';
import type { Executors } from '../reconcile/executors.js';
import { Observation } from '../reconcile/observation.js';
import type { Change } from '../reconcile/step.js';
import type { DhcpLayout } from './layout.js';
import { observeDhcp } from './observe.js';
import { type DhcpPlanOptions, planDhcp } from './plan.js';
import type { DhcpNetwork } from './types.js';
import { dhcpNetwork } from './validate.js';

/** How a verb observes and applies. */
export interface DhcpApplyOptions extends DhcpPlanOptions {
  /** The executors (and host settings) to observe and apply through. */
  readonly executors: Executors;
  /** Progress events of the apply. */
  readonly onProgress?: (event: ApplyEvent) => void;
}

/** What a verb did. */
export interface DhcpOutcome {
  /** The names the server uses. */
  readonly layout: DhcpLayout;
  /** The changes planned ([] when it was already as asked: nothing was sent). */
  readonly planned: readonly Change[];
  /** State-changing operations sent. */
  readonly operations: number;
}

async function applyPlan(
  desired: DhcpNetwork | null,
  subject: DhcpNetwork,
  opts: DhcpApplyOptions,
): Promise<DhcpOutcome> {
  const obs = new Observation(opts.executors);
  const withNetwork = desired === null ? opts.removeNetwork === true : opts.withNetwork !== false;
  const observed = await observeDhcp(subject, obs, { ...opts, withNetwork });
  const planned = planDhcp(desired, observed, { ...opts, withNetwork });
  if (planned.length === 0) return { layout: observed.layout, planned, operations: 0 };
  const result = await applyChanges(planned, opts.executors, {
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const failed = result.outcomes.find((o) => o.status === 'failed');
  if (failed?.status === 'failed') throw failed.error;
  if (!result.ok) throw new TenantnetError(`dhcp ${observed.layout.owner.name}: the apply did not complete`);
  return { layout: observed.layout, planned, operations: result.changes };
}

/**
 * Makes a network's DHCP server serve exactly `net`: the `qdhcp-` namespace, the DHCP port plugged
 * (and, unless `withNetwork: false`, the network's L2 the driver needs), its addresses and default
 * routes, dnsmasq's files and dnsmasq itself. The same call reloads (ports changed: files rewritten,
 * SIGHUP, same PID), restarts (a subnet's CIDR or DHCP switch, the MTU: the command line changed) or
 * does nothing at all when everything is as asked.
 *
 * @throws {InvalidInputError} for an invalid network (a port's address outside its subnet or used
 *   twice, a MAC twice, a bad CIDR…), naming the port, before anything is read or changed
 * @throws the failing step's error (the interface driver's, `ip`'s, dnsmasq's start)
 */
export async function enableDhcp(net: DhcpNetwork, opts: DhcpApplyOptions): Promise<DhcpOutcome> {
  const valid = dhcpNetwork(net);
  return applyPlan(valid, valid, opts);
}

/**
 * Removes a network's DHCP server: dnsmasq stopped, its files and config directory, the DHCP port
 * unplugged (its OVS row first), the namespace (and with `removeNetwork`, the network's `brq`).
 * Nothing there is success.
 *
 * @param net the network as it was served (its owner and DHCP port name what to remove)
 * @throws {InvalidInputError} for an invalid network, before anything runs
 */
export async function disableDhcp(net: DhcpNetwork, opts: DhcpApplyOptions): Promise<DhcpOutcome> {
  return applyPlan(null, dhcpNetwork(net), opts);
}
