// One host's deployment of a model, planned over ONE Observation: the integration bridge, every
// network's L2, DHCP servers, routers, instances and security groups, plus the removal of what the
// topology left and no longer wants. Pure planning over reads; the engine applies it in its phases.
// Neutron: what the L2, DHCP and L3 agents and nova's compute manager do for one host, in one pass.
import { dhcpNetworksFromModel } from '../dhcp/from-model.js';
import { type DhcpObserved, observeDhcp } from '../dhcp/observe.js';
import { planDhcp } from '../dhcp/plan.js';
import { firewallFromModel } from '../firewall/desired.js';
import { observeFirewall } from '../firewall/observe.js';
import { planFirewall } from '../firewall/plan.js';
import { type InstanceSpec, instanceSpecs } from '../instance/desired.js';
import { type InstanceObserved, observeInstance } from '../instance/observe.js';
import { planInstance, planInstanceClients } from '../instance/plan.js';
import { interfaceDriver } from '../interface/backend.js';
import type { InterfaceDriver } from '../interface/driver.js';
import { integrationBridgeView } from '../interface/observe.js';
import { OvsInterfaceDriver } from '../interface/ovs.js';
import { type RouterSpec, routerDesired, routerSpec } from '../l3/desired.js';
import { observeRouter, type RouterObserved } from '../l3/observe.js';
import { planRouter } from '../l3/plan.js';
import type { Model } from '../model/types.js';
import type { TopologyName } from '../net/ownership.js';
import type { Executors } from '../reconcile/executors.js';
import { refKey } from '../reconcile/order.js';
import type { Change, ResourceRef } from '../reconcile/step.js';
import { OpenVswitchUnavailableError } from './errors.js';
import { DeploymentObservation } from './observation.js';
import { planLeftovers, wantedOf } from './removal.js';

/** Options of {@link planDeployment}. */
export interface DeploymentOptions {
  /** The integration bridge of the OVS backend (default `br-int`). */
  readonly integrationBridge?: string;
  /** The datapath an integration bridge about to be made is planned for (default `netdev`). */
  readonly datapath?: 'system' | 'netdev';
  /** Where the ovsdb-server socket is (only for the message when Open vSwitch is missing). */
  readonly ovsdbSocket?: string;
}

/** What one DHCP server, router and instance looked like when the plan was made (status reads it). */
export interface DeploymentObserved {
  readonly dhcp: ReadonlyMap<string, DhcpObserved>;
  readonly routers: ReadonlyMap<string, { readonly spec: RouterSpec; readonly observed: RouterObserved }>;
  readonly instances: ReadonlyMap<
    string,
    { readonly spec: InstanceSpec; readonly observed: InstanceObserved }
  >;
}

/** A deployment's plan. */
export interface DeploymentPlan {
  readonly model: Model;
  /** The interface driver of the model's backend. */
  readonly driver: InterfaceDriver;
  /** Everything but the DHCP clients of instances, in one apply. */
  readonly changes: readonly Change[];
  /**
   * The DHCP clients of `dhcp` instances not holding their address yet: applied after `changes`
   * (they need their network's dnsmasq, which the engine starts last).
   */
  readonly clients: readonly Change[];
  /** The one observation every planner read through. */
  readonly observation: DeploymentObservation;
  /** What was read per resource. */
  readonly observed: DeploymentObserved;
}

/** The resource the host-wide pieces of a topology (integration bridge, DHCP client script) are reported under. */
export function hostResource(topology: TopologyName, name = 'host'): ResourceRef {
  return { topology, kind: 'host', name };
}

/** An empty model of `topology`: what `destroy` plans towards. */
export function emptyModel(topology: TopologyName, backend: Model['backend'] = 'ovs'): Model {
  return { topology, backend, networks: [], routers: [], securityGroups: [], instances: [] };
}

/**
 * The changes with a network's own change kept once: the router layer plans the L2 of the networks
 * its ports are on (a Linux bridge's `brq`), as the deployment does for every network, from the same
 * observation, so the two are the same change.
 */
function onceEach(changes: readonly Change[]): Change[] {
  const seen = new Set<string>();
  return changes.filter((c) => {
    if (c.resource.kind !== 'network') return true;
    const key = `${refKey(c.resource)} ${c.action} ${c.summary}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Is anything of the model plugged into a switch (so Open vSwitch is needed)? */
function plugsAnything(model: Model): boolean {
  return model.instances.length > 0 || model.routers.length > 0 || model.networks.some((n) => n.dhcpPort);
}

/**
 * Plans the deployment of `model` on the host of `executors`: reads once through one
 * {@link DeploymentObservation}, then plans, in this order (which is also the order local VLANs are
 * taken in): the integration bridge (OVS, when missing), each network's L2 (`brq` on Linux bridge),
 * DHCP servers, routers, instances, the topology's firewall, and the removal of what the topology
 * left on the host that the model does not want (routers, instances, DHCP servers, network bridges).
 * An unchanged host plans nothing. Changes nothing.
 *
 * @throws {OpenVswitchUnavailableError} when the backend is OVS, something is to be plugged, and the
 *   host has no Open vSwitch
 * @throws the layers' planning errors (`InvalidInputError`, `PlugConflictError`, `BridgeNetfilterError`…)
 */
export async function planDeployment(
  model: Model,
  executors: Executors,
  opts: DeploymentOptions = {},
): Promise<DeploymentPlan> {
  const driver = interfaceDriver(model.backend, { integrationBridge: opts.integrationBridge ?? 'br-int' });
  const bridge = driver instanceof OvsInterfaceDriver ? driver.bridge : null;
  const obs = new DeploymentObservation(executors, {
    bridge,
    ...(opts.datapath ? { datapath: opts.datapath } : {}),
  });
  const prefix = executors.host.netnsPrefix;
  const topology = model.topology;
  const changes: Change[] = [];

  if (bridge !== null && driver instanceof OvsInterfaceDriver) {
    const seen = await obs.switchRead({ ownerPrefix: '' });
    if (seen === null && plugsAnything(model))
      throw new OpenVswitchUnavailableError(opts.ovsdbSocket ?? null);
    if (seen !== null && plugsAnything(model)) {
      changes.push(
        ...driver.planIntegrationBridge(integrationBridgeView(bridge, seen), hostResource(topology)),
      );
    }
  }

  // Read everything side by side; plan in a fixed order afterwards.
  const dhcpNets = dhcpNetworksFromModel(model);
  const routers = model.routers.map((r) => routerSpec(routerDesired(model, r.name), prefix));
  const instances = instanceSpecs(model, driver, prefix);
  const firewall = firewallFromModel(model);
  const [networksSeen, dhcpSeen, routersSeen, instancesSeen, firewallSeen] = await Promise.all([
    Promise.all(model.networks.map((n) => driver.observeNetwork(obs, n))),
    Promise.all(dhcpNets.map((n) => observeDhcp(n, obs, { driver }))),
    Promise.all(routers.map((r) => observeRouter(r, obs, driver))),
    Promise.all(instances.map((i) => observeInstance(i, obs, driver))),
    observeFirewall(topology, obs, firewall.ports.length > 0),
  ]);

  model.networks.forEach((n, i) => {
    changes.push(...driver.planNetwork(n, networksSeen[i]!));
  });
  dhcpNets.forEach((n, i) => {
    changes.push(...planDhcp(n, dhcpSeen[i]!, { driver }));
  });
  routers.forEach((r, i) => {
    changes.push(...planRouter(r, routersSeen[i]!, { driver, executors }));
  });
  instances.forEach((s, i) => {
    changes.push(...planInstance(s, instancesSeen[i]!, { driver }));
  });
  changes.push(...planFirewall(firewall, firewallSeen, { executors }));
  changes.push(...(await planLeftovers(obs, topology, wantedOf(model, prefix), driver)));

  const pairs = instances.map((spec, i) => ({ spec, observed: instancesSeen[i]! }));
  return {
    model,
    driver,
    changes: onceEach(changes),
    clients: planInstanceClients(pairs, executors.host),
    observation: obs,
    observed: {
      dhcp: new Map(dhcpNets.map((n, i) => [n.network.owner.name as string, dhcpSeen[i]!])),
      routers: new Map(
        routers.map((r, i) => [r.owner.name as string, { spec: r, observed: routersSeen[i]! }]),
      ),
      instances: new Map(pairs.map((p) => [p.spec.owner.name as string, p])),
    },
  };
}
