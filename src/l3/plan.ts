// Planning a router (pure): the legacy router of Neutron's L3 agent as a diff of what was observed.
// Its namespace (created when missing, sysctls only when they differ), its ports through the
// interface driver (stale ones unplugged, OVS rows first), addresses and default route (init_l3,
// floating /32s on the gateway port), extra routes, NAT (one iptables manager per namespace) and
// the conntrack entries of floating IPs that went away. Unchanged: no change at all.
// Neutron: legacy_router.py / router_info.py process() and delete().
import type { InterfaceDriver, PlugNetwork } from '../interface/driver.js';
import { planInitL3 } from '../interface/init-l3.js';
import type { IpOp } from '../ip/ops.js';
import type { ConntrackFilter } from '../iptables/conntrack.js';
import { countOps } from '../iptables/diff.js';
import { ownerMark } from '../net/ownership.js';
import type { Cidr, IpAddress } from '../net/types.js';
import type { Executors } from '../reconcile/executors.js';
import type { Change, ResourceRef, Step } from '../reconcile/step.js';
import type { RouterPort, RouterSpec } from './desired.js';
import { planRouterNamespace } from './namespace.js';
import { addRouterRules, forgetRouterManager, routerManager, savedFloatingIps } from './nat.js';
import { goesWithNamespace, type RouterObserved } from './observe.js';
import { planExtraRoutes } from './routes.js';

/** What planning a router needs besides desired and observed state. */
export interface RouterContext {
  /** The interface driver that plugs the router's ports (the topology's backend). */
  readonly driver: InterfaceDriver;
  /** Where the iptables manager of the plan applies (the engine calls its `apply()`). */
  readonly executors: Pick<Executors, 'iptables'>;
}

function ref(o: ResourceRef): ResourceRef {
  return { topology: o.topology, kind: o.kind, name: o.name };
}

function ports(spec: RouterSpec): RouterPort[] {
  return [...spec.interfaces, ...(spec.gateway ? [spec.gateway.port] : [])];
}

function address(c: string): string {
  return c.slice(0, c.lastIndexOf('/'));
}

/**
 * The addresses the router's gateway ports carry now, apart: the gateway IPs and the floating /32s
 * (with the fixed IP each forwarded to, as the saved DNAT rules say).
 */
function observedGateway(observed: RouterObserved): { ips: Set<string>; fips: Map<string, string | null> } {
  const ips = new Set<string>();
  const fips = new Map<string, string | null>();
  for (const l of observed.state?.links ?? []) {
    if (!l.name.startsWith('qg-')) continue;
    for (const a of l.addresses) {
      if (a.family !== 4 || a.scope !== 'global') continue;
      if (a.cidr.endsWith('/32')) fips.set(address(a.cidr), null);
      else ips.add(address(a.cidr));
    }
  }
  for (const [a, fixed] of savedFloatingIps(observed.iptables ?? '')) fips.set(a, fixed);
  return { ips, fips };
}

/**
 * The conntrack entries to delete so that no flow survives a floating IP's removal (or its move to
 * another fixed IP) or the gateway IP's change: `conntrack -D -d IP` (flows to it: DNATed ones) and
 * `-D -q IP` (flows whose replies go to it: SNATed ones), as Neutron's delete_conntrack_state.
 */
function conntrackFilters(spec: RouterSpec | null, observed: RouterObserved): ConntrackFilter[] {
  if (observed.state === null) return [];
  const seen = observedGateway(observed);
  const wantFips = new Map((spec?.floatingIps ?? []).map((f) => [f.address as string, f.fixedIp as string]));
  const gone = new Set<string>();
  for (const [a, fixed] of seen.fips) {
    const want = wantFips.get(a);
    if (want === undefined || (fixed !== null && fixed !== want)) gone.add(a);
  }
  for (const ip of seen.ips) if (ip !== spec?.gateway?.ip) gone.add(ip);
  return [...gone].sort().flatMap((dst): ConntrackFilter[] => [
    { family: 4, dst },
    { family: 4, replyDst: dst },
  ]);
}

/**
 * Plans a router: `spec` (from {@link routerSpec}, checked) towards what `observed` holds, or `null`
 * to remove it. Returns [] when the router is exactly as wanted (an unchanged re-apply sends
 * nothing). Otherwise:
 * - `delete` changes first: ports of the router no longer wanted (the driver's unplug: OVS rows, then
 *   links), and — when `spec` is null — the namespace (`netns del`, after every unplug);
 * - the networks' changes the driver needs (a Linux bridge's `brq`), each port's plug (create, MTU,
 *   MAC, replacement of what is missing or wrong);
 * - the router's own change (resource `router <name>`, after its ports): the namespace and its sysctls,
 *   the ports' addresses (floating /32s on the gateway port), the default route via the external
 *   subnet's gateway, extra routes, a gratuitous ARP when a floating IP is added (the gateway port's
 *   MAC set to itself: with `arp_notify` the kernel announces every address of the port), the NAT
 *   rules (one iptables step when any line differs) and the conntrack deletes of floating IPs that
 *   went away.
 * Pure: it reads nothing and runs nothing. The iptables model it fills is the namespace's manager
 * kept for the process ({@link routerManager}, its router rules reset first: the model is exactly a
 * new manager's), which applies when the engine calls it.
 *
 * @throws {PlugConflictError} / {BridgeNotFoundError} from the driver; {RouterNamespaceConflictError}
 */
export function planRouter(spec: RouterSpec | null, observed: RouterObserved, ctx: RouterContext): Change[] {
  const driver = ctx.driver;
  const router = ref(observed.owner);
  const label = `router ${router.name}`;
  const changes: Change[] = [];
  const removal = spec === null && observed.state !== null;
  for (const t of observed.stale) {
    // A veth whose end is in the namespace goes with it (both ends): deleting the namespace is the
    // unplug, one kernel teardown instead of one link deletion each. OVS rows always go first.
    if (removal && goesWithNamespace(driver, t, observed.state)) continue;
    const seen = observed.plugs.get(t.device) ?? { host: null, target: observed.state };
    changes.push(...driver.planUnplug(t, seen));
  }

  if (spec === null) {
    forgetRouterManager(observed.namespace, ctx.executors.iptables);
    if (observed.state !== null) {
      changes.push({
        resource: router,
        action: 'delete',
        summary: `- ${label}: namespace ${observed.namespace}`,
        steps: [
          {
            via: 'ip',
            phase: 'namespace',
            place: 'host',
            ops: [{ op: 'netns.del', name: observed.namespace }],
          },
        ],
      });
    }
    return changes;
  }

  const ns = spec.namespace;
  const state = observed.state;
  const all = ports(spec);
  const networks = new Map<string, PlugNetwork>(
    all.map((p) => [ownerMark(p.request.network.owner), p.request.network]),
  );
  for (const [mark, n] of networks) {
    const seen = observed.networks.get(mark);
    if (seen) changes.push(...driver.planNetwork(n, seen));
  }
  const portRefs: ResourceRef[] = [];
  for (const p of all) {
    const seen = observed.plugs.get(p.request.device) ?? { host: null, target: state };
    const planned = driver.planPlug(p.request, seen);
    changes.push(...planned);
    if (planned.some((c) => c.action !== 'delete')) portRefs.push(ref(p.request.port.owner));
  }

  const what: string[] = [];
  const nsPlan = planRouterNamespace(spec, state, observed.sysctls);
  if (nsPlan.created) what.push(`namespace ${ns}`);
  else if (nsPlan.inside.length > 0) what.push('namespace settings');
  const l3: IpOp[] = [...nsPlan.inside];
  for (const p of spec.interfaces) {
    l3.push(...planInitL3({ device: p.request.device, place: ns, cidrs: p.cidrs }, state));
  }
  const gw = spec.gateway;
  const seenGw = observedGateway(observed);
  let added = 0;
  if (gw) {
    const fips = spec.floatingIps.map((f) => `${f.address}/32` as Cidr);
    const qg = gw.port.request.device;
    const ops = planInitL3(
      {
        device: qg,
        place: ns,
        cidrs: [...gw.port.cidrs, ...fips],
        gateways: gw.nexthop ? [gw.nexthop as IpAddress] : [],
      },
      state,
    );
    l3.push(...ops);
    added = ops.filter((o) => o.op === 'addr.add' && o.cidr.endsWith('/32')).length;
    // With arp_notify on, the kernel sends a gratuitous ARP for every address of the port when its MAC
    // is set, even to the same value: one op announces the new floating IPs (Neutron: arping -U).
    if (added > 0) l3.push({ op: 'link.set', name: qg, set: { mac: gw.port.request.port.mac } });
  }
  const routeOps = planExtraRoutes(spec.routes, state);
  l3.push(...routeOps);

  const manager = routerManager(ns, ctx.executors.iptables);
  addRouterRules(manager, spec);
  const text = manager.plan(4, observed.iptables ?? '');
  const operations = countOps(text);
  const filters = conntrackFilters(spec, observed);

  const steps: Step[] = [];
  if (nsPlan.host.length > 0) steps.push({ via: 'ip', phase: 'namespace', place: 'host', ops: nsPlan.host });
  if (l3.length > 0) steps.push({ via: 'ip', phase: 'l3', place: ns, ops: l3 });
  if (operations > 0) {
    steps.push({
      via: 'iptables',
      phase: 'netfilter',
      place: ns,
      manager,
      planned: { operations, text: { 4: text } },
    });
  }
  // One step per filter: the engine runs steps side by side, the filters of one step in turn.
  for (const f of filters) steps.push({ via: 'conntrack', phase: 'netfilter', place: ns, filters: [f] });
  if (steps.length === 0) return changes;

  if (!nsPlan.created) {
    const removedFips = [...seenGw.fips.keys()].filter((a) => !spec.floatingIps.some((f) => f.address === a));
    if (added > 0) what.push(`+${added} floating IPs`);
    if (removedFips.length > 0) what.push(`-${removedFips.length} floating IPs`);
    if (routeOps.length > 0) what.push('extra routes');
    if (operations > 0) what.push(`${operations} NAT lines`);
  } else {
    what.push(`${spec.interfaces.length} interfaces`);
    if (gw) what.push(gw.snat ? `gateway ${gw.ip} (SNAT)` : `gateway ${gw.ip}`);
    if (spec.floatingIps.length > 0) what.push(`${spec.floatingIps.length} floating IPs`);
    if (spec.routes.length > 0) what.push(`${spec.routes.length} extra routes`);
  }
  if (what.length === 0) what.push('addresses and routes');
  const action = nsPlan.created ? 'create' : 'update';
  changes.push({
    resource: router,
    action,
    summary: `${action === 'create' ? '+' : '~'} ${label}: ${what.join(', ')}`,
    steps,
    ...(portRefs.length > 0 ? { after: portRefs } : {}),
  });
  return changes;
}
