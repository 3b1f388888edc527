// Planning an instance (pure): its namespace (lo up, owner mark), its port plugged through the
// interface driver, its addresses (static: init_l3; dhcp: a one-shot client, planned apart because
// it must run after the network's dnsmasq is up), and what of its port is left from another wiring
// (a style switched by port security). Removal: switch rows, host links, then the namespace.
// Neutron: nova's VIF plug/unplug (os-vif) and the guest's own address configuration.

import { dhcpClientStep } from '../dhcp/client.js';
import type { InterfaceDriver } from '../interface/driver.js';
import { planInitL3 } from '../interface/init-l3.js';
import type { NamespaceState } from '../ip/observe.js';
import type { IpOp } from '../ip/ops.js';
import { ownerMark } from '../net/ownership.js';
import { deviceName } from '../net/types.js';
import type { HostSettings } from '../reconcile/executors.js';
import { namespaceRemovalSteps, namespaceSteps } from '../reconcile/kernel-plans.js';
import type { Change, ResourceRef, Step } from '../reconcile/step.js';
import type { InstanceSpec } from './desired.js';
import type { InstanceObserved } from './observe.js';
import { clientScript, clientScriptPath } from './script.js';

/** What planning an instance needs besides desired and observed state. */
export interface InstanceContext {
  /** The driver that plugs its port (the topology's backend). */
  readonly driver: InterfaceDriver;
}

function ref(o: InstanceObserved['owner']): ResourceRef {
  return { topology: o.topology, kind: o.kind, name: o.name };
}

/**
 * Parts of the instance's port that its wanted wiring does not use (or, for a removal, all of them):
 * switch rows (phase `port`), host links (phase `bridge`) and links in its namespace carrying the
 * port's mark. On removal the namespace's own veth end goes with the namespace, and so does its
 * host peer (`tap`), and `qvo` goes with `qvb`: they are not deleted one by one.
 */
function staleSteps(spec: InstanceSpec | null, observed: InstanceObserved, driver: InterfaceDriver): Step[] {
  const layout = spec ? driver.layout(spec.request) : null;
  const steps: Step[] = [];
  const rows = observed.rows.filter((r) => r.port.name !== layout?.ovsPort);
  if (rows.length > 0) {
    steps.push({
      via: 'ovs',
      phase: 'port',
      ops: rows.map((r) => ({ op: 'port.del', bridge: r.bridge, name: r.port.name, uuid: r.port.uuid })),
    });
  }
  const keep = new Set<string>(layout?.hostLinks ?? []);
  const withNamespace = (name: string) =>
    spec === null && observed.state !== null && (name.startsWith('tap') || name.startsWith('qvo'));
  const host = observed.hostLinks.filter((l) => !keep.has(l.name) && !withNamespace(l.name));
  if (host.length > 0) {
    steps.push({
      via: 'ip',
      phase: 'bridge',
      place: 'host',
      ops: host.map((l): IpOp => ({ op: 'link.del', name: l.name })),
    });
  }
  if (spec && observed.state) {
    const mark = ownerMark(spec.request.port.owner);
    const rowNames = new Set(rows.map((r) => r.port.name as string));
    const inside = observed.state.links.filter(
      (l) => l.owner === mark && l.name !== spec.request.device && !rowNames.has(l.name),
    );
    if (inside.length > 0) {
      steps.push({
        via: 'ip',
        phase: 'port',
        place: spec.namespace,
        ops: inside.map((l): IpOp => ({ op: 'link.del', name: deviceName(l.name) })),
      });
    }
  }
  return steps;
}

/**
 * The namespace as it will be once the stale steps ran: links they delete there gone, with their
 * routes (the kernel removes those with the device, so init_l3 must not remove them again).
 */
function withoutStale(state: NamespaceState | null, stale: readonly Step[]): NamespaceState | null {
  if (state === null) return null;
  const gone = new Set<string>();
  for (const s of stale) {
    if (s.via === 'ip' && s.place !== 'host')
      for (const o of s.ops) if (o.op === 'link.del') gone.add(o.name);
    if (s.via === 'ovs') for (const o of s.ops) if (o.op === 'port.del') gone.add(o.name);
  }
  if (gone.size === 0) return state;
  return {
    ...state,
    links: state.links.filter((l) => !gone.has(l.name)),
    routes: state.routes.filter((r) => r.dev === null || !gone.has(r.dev)),
  };
}

/**
 * Plans an instance: `spec` towards what `observed` holds, or `null` to remove it. [] when it is as
 * wanted. Otherwise: a `delete` change for what is in the way (rows and links of its port from
 * another wiring); the driver's plug changes; the instance's change (after its port): the namespace
 * with `lo` up and marked, and, for `static`, its addresses and default routes (init_l3). The DHCP
 * client of a `dhcp` instance is {@link planInstanceClients}'s. A removal is one `delete` change:
 * the port's switch rows (phase `port`), its host links (phase `bridge`), then the namespace.
 * Pure.
 *
 * @throws the driver's planning errors (`BridgeNotFoundError`, `PlugConflictError`)
 */
export function planInstance(
  spec: InstanceSpec | null,
  observed: InstanceObserved,
  ctx: InstanceContext,
): Change[] {
  const resource = ref(observed.owner);
  const label = `instance ${resource.name}`;
  const stale = staleSteps(spec, observed, ctx.driver);
  if (spec === null) {
    const ns = namespaceRemovalSteps(
      observed.namespace,
      ownerMark(observed.owner),
      observed.state?.links ?? null,
    );
    const steps = [...stale, ...ns.steps];
    return steps.length === 0
      ? []
      : [{ resource, action: 'delete', summary: `- ${label}: namespace ${observed.namespace}`, steps }];
  }
  const changes: Change[] = [];
  if (stale.length > 0) {
    changes.push({
      resource,
      action: 'delete',
      summary: `- ${label}: a previous wiring of its port`,
      steps: stale,
    });
  }
  const plug = ctx.driver.planPlug(spec.request, observed.plug ?? { host: null, target: observed.state });
  changes.push(...plug);
  const ns = namespaceSteps(spec.namespace, ownerMark(spec.owner), observed.state?.links ?? null);
  const steps: Step[] = [...ns.steps];
  if (spec.address === 'static') {
    const ops = planInitL3(
      { device: spec.request.device, place: spec.namespace, cidrs: spec.cidrs, gateways: spec.gateways },
      withoutStale(observed.state, stale),
    );
    if (ops.length > 0) steps.push({ via: 'ip', phase: 'l3', place: spec.namespace, ops });
  }
  if (steps.length > 0) {
    const port = spec.request.port.owner;
    const after = plug.some((c) => c.action !== 'delete')
      ? [{ topology: port.topology, kind: port.kind, name: port.name }]
      : [];
    changes.push({
      resource,
      action: ns.created ? 'create' : 'update',
      summary: `${ns.created ? '+' : '~'} ${label}: ${ns.created ? `namespace ${spec.namespace}, ` : ''}${spec.request.device} ${spec.address === 'static' ? spec.cidrs.join(' ') : 'by DHCP'}`,
      steps,
      ...(after.length > 0 ? { after } : {}),
    });
  }
  return changes;
}

/**
 * Does the instance's device hold its IPv4 fixed IP? (What a DHCP lease would have given it: a
 * converged `dhcp` instance runs no client.)
 */
export function holdsLease(spec: InstanceSpec, observed: InstanceObserved): boolean {
  if (spec.leaseIp === null) return true;
  const dev = observed.state?.links.find((l) => l.name === spec.request.device);
  return dev?.addresses.some((a) => a.cidr.split('/')[0] === spec.leaseIp) ?? false;
}

/**
 * The DHCP clients of `dhcp` instances whose device does not hold their fixed IP yet: one change
 * per instance running busybox udhcpc once in its namespace (phase `l3`; it fails, and so does the
 * change, when no lease comes), and the clients' event script when it is missing or differs (one
 * file under the state directory, phase `namespace`, mode 0755). Planned apart from
 * {@link planInstance} because a client must run after its network's dnsmasq has started, which
 * the engine does last (phase `service`): apply these after the rest. Pure.
 */
export function planInstanceClients(
  wanted: readonly { readonly spec: InstanceSpec; readonly observed: InstanceObserved }[],
  host: HostSettings,
): Change[] {
  const script = clientScriptPath(host.stateDir);
  const need = wanted.filter((w) => w.spec.address === 'dhcp' && !holdsLease(w.spec, w.observed));
  if (need.length === 0) return [];
  const changes: Change[] = [];
  const current = wanted.find((w) => w.spec.address === 'dhcp')?.observed.script ?? null;
  const first = need[0]!.spec.owner;
  const scriptRef: ResourceRef = { topology: first.topology, kind: 'host', name: 'dhcp-client' };
  if (current !== clientScript()) {
    changes.push({
      resource: scriptRef,
      action: current === null ? 'create' : 'update',
      summary: `+ DHCP client script ${script}`,
      steps: [{ via: 'file', phase: 'namespace', path: script, content: clientScript(), mode: 0o755 }],
    });
  }
  for (const { spec } of need) {
    changes.push({
      resource: { topology: spec.owner.topology, kind: 'instance', name: spec.owner.name },
      action: 'update',
      summary: `~ instance ${spec.owner.name}: DHCP lease for ${spec.leaseIp} on ${spec.request.device}`,
      steps: [dhcpClientStep(spec.namespace, spec.request.device, { script })],
      ...(changes.length > 0 && changes[0]!.resource === scriptRef ? { after: [scriptRef] } : {}),
    });
  }
  return changes;
}
