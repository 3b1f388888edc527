// Planning a topology's firewall on one host (pure): the wanted iptables model, ipset contents and
// conntrack zones from the desired state, compared with what the host place holds, as one Change
// whose steps the engine applies in one ipset restore, one iptables-restore per family and the
// conntrack deletes that cut what is no longer allowed. Neutron: iptables_firewall's
// defer_apply_off (rebuild the port chains, one apply, then conntrack cleanup and unused-ipset GC).
import { InvalidInputError } from '../errors.js';
import { countOps } from '../iptables/diff.js';
import { canonicalMembers, IpsetManager } from '../iptables/ipset.js';
import { IptablesManager } from '../iptables/manager.js';
import { parseSave, type SavedState } from '../iptables/save-parser.js';
import { NamespaceNotFoundError } from '../net/namespace.js';
import { type ResourceName, resourceId, type TopologyName } from '../net/ownership.js';
import type { IpFamily } from '../net/types.js';
import type { Executors } from '../reconcile/executors.js';
import type { Change, IpsetStep, ResourceRef, Step } from '../reconcile/step.js';
import { buildFirewall, FAMILIES, portAddresses, portId } from './chains.js';
import type { FirewallDesired } from './desired.js';
import { BridgeNetfilterError } from './errors.js';
import { cutFilters, type FlowPort } from './flows.js';
import { egressChain, firewallPrefix, ingressChain, parsePortChain, spoofChain } from './names.js';
import { BRIDGE_NF_KEYS, type FirewallObserved } from './observe.js';
import { emptyModel, FIREWALL_TABLES, teardownText } from './removal.js';
import { firewallDesired } from './validate.js';
import { allocateZones, observedZones } from './zones.js';

/** What planning needs besides desired and observed state: where the managers apply. */
export interface FirewallContext {
  /** The executors the steps' managers apply through, and the host place. */
  readonly executors: Pick<Executors, 'iptables' | 'ipset' | 'host'>;
}

/** The resource a topology's firewall change is about (one per topology and host). */
export function firewallResource(topology: TopologyName): ResourceRef {
  return { topology, kind: 'host', name: 'firewall' as ResourceName };
}

type SetEntry = IpsetStep['sets'][number];

/** How many conntrack steps (run side by side by the engine) the cuts of one apply are spread over. */
const CONNTRACK_LANES = 4;

function checkBridgeNetfilter(observed: FirewallObserved, ns: string | null): void {
  if (observed.bridgeNetfilter === null) {
    throw new InvalidInputError(
      'firewall: observed without the bridge-netfilter check; call observeFirewall(topology, obs, true) when ports are to be filtered',
      'observed',
    );
  }
  const bad: Record<string, string> = {};
  for (const family of FAMILIES) {
    const v = observed.bridgeNetfilter?.[family] ?? null;
    if (v !== '1') bad[BRIDGE_NF_KEYS[family]] = v ?? 'missing';
  }
  if (Object.keys(bad).length > 0) throw new BridgeNetfilterError(ns, bad);
}

/** Port ids whose chains the saved tables hold. */
function portsSeen(saved: SavedState, lead: string): Set<string> {
  const out = new Set<string>();
  for (const chain of saved.get('filter')?.chains.keys() ?? []) {
    if (!chain.startsWith(lead)) continue;
    const pc = parsePortChain(chain.slice(lead.length));
    if (pc) out.add(pc.portId);
  }
  return out;
}

function hasOwn(saved: SavedState, lead: string): boolean {
  for (const t of FIREWALL_TABLES) {
    for (const c of saved.get(t)?.chains.keys() ?? []) if (c.startsWith(lead)) return true;
  }
  return false;
}

/**
 * Plans the firewall of `observed.topology` on this host: `desired` (validated here) or null to
 * remove all of it. Returns [] when the host already holds exactly that; otherwise ONE change (the
 * topology's `firewall` host resource) whose steps are, in the engine's netfilter order: the ipsets
 * to create or refill, the iptables manager (both families, tables filter and raw), the conntrack
 * deletes of flows no longer allowed, and the sets no rule uses any more (destroyed after the rules
 * that used them: in the `service` phase of an update, or the netfilter phase of a removal, where
 * the engine runs iptables before ipset). Pure: it builds the managers' models, runs nothing.
 *
 * @throws {InvalidInputError} on a bad desired state (before anything runs)
 * @throws {BridgeNetfilterError} when ports are to be filtered and bridged traffic bypasses iptables
 * @throws {NamespaceNotFoundError} when ports are to be filtered and the host namespace is missing
 * @throws {ConntrackZonesExhaustedError} when no conntrack zone is free for a network
 */
export function planFirewall(
  desired: FirewallDesired | null,
  observed: FirewallObserved,
  ctx: FirewallContext,
): Change[] {
  const topology = observed.topology;
  const d = desired === null ? null : firewallDesired(desired);
  if (d && d.topology !== topology) {
    throw new InvalidInputError(
      `firewall.topology: "${d.topology}" is not the observed topology "${topology}"`,
      'firewall.topology',
    );
  }
  const ns = ctx.executors.host.namespace;
  const ports = d?.ports ?? [];
  const removal = ports.length === 0;
  if (observed.iptables === null) {
    if (!removal) throw new NamespaceNotFoundError(ns ?? '');
    return [];
  }
  if (!removal) checkBridgeNetfilter(observed, ns);
  const prefix = firewallPrefix(topology);
  const lead = `tn-${prefix}-`;
  const saved: Record<IpFamily, SavedState> = {
    4: parseSave(observed.iptables[4]),
    6: parseSave(observed.iptables[6]),
  };
  const view = observedZones(saved[4], prefix);
  const zones = allocateZones([...new Set(ports.map((p) => resourceId(p.network)))].sort(), view);
  const ipsets = new IpsetManager({ namespace: ns, prefix, executor: ctx.executors.ipset });
  const managerOpts = { namespace: ns, prefix, executor: ctx.executors.iptables, tables: FIREWALL_TABLES };
  const manager = new IptablesManager(managerOpts);
  if (removal) emptyModel(manager);
  const build = removal
    ? { sets: new Map() }
    : buildFirewall(manager, d as FirewallDesired, {
        zones,
        setName: d?.ipset === false ? null : (id, family) => ipsets.setName(id, family),
      });

  const text: Partial<Record<IpFamily, string>> = {};
  let operations = 0;
  for (const family of FAMILIES) {
    const save = observed.iptables[family];
    const t = removal ? teardownText(manager, family, save) : manager.plan(family, save);
    if (t !== '') text[family] = t;
    operations += countOps(t);
  }

  const fills: SetEntry[] = [];
  const removedMembers = new Map<string, { family: IpFamily; members: string[] }>();
  for (const [name, want] of build.sets) {
    const members = canonicalMembers(want.members, want.family);
    const have = observed.sets?.get(name);
    const wantSet = new Set(members);
    if (!have || have.members.length !== wantSet.size || have.members.some((m) => !wantSet.has(m))) {
      fills.push({ id: want.id, family: want.family, members });
    }
    if (have)
      removedMembers.set(name, { family: want.family, members: have.members.filter((m) => !wantSet.has(m)) });
  }
  const destroys: SetEntry[] = [];
  for (const [name, have] of observed.sets ?? []) {
    if (build.sets.has(name)) continue;
    destroys.push({ id: name.slice(prefix.length + 2), family: have.family, members: null });
  }

  const flowPorts = new Map<string, FlowPort>();
  for (const p of ports) {
    const id = portId(p);
    const chains = (family: IpFamily) => {
      const f = manager.table('filter', family);
      return { i: f.rules(ingressChain(id)), o: f.rules(egressChain(id)), s: f.rules(spoofChain(id)) };
    };
    flowPorts.set(id, {
      zone: zones.get(resourceId(p.network)) as number,
      addresses: { 4: portAddresses(p, 4), 6: portAddresses(p, 6) },
      filtered: p.securityGroups.length > 0,
      chains: { 4: chains(4), 6: chains(6) },
    });
  }
  const filters = cutFilters({ prefix, saved, ports: flowPorts, deviceZones: view.devices, removedMembers });

  const steps: Step[] = [];
  if (fills.length > 0)
    steps.push({ via: 'ipset', phase: 'netfilter', place: 'host', manager: ipsets, sets: fills });
  if (operations > 0) {
    steps.push({
      via: 'iptables',
      phase: 'netfilter',
      place: 'host',
      manager,
      planned: { operations, text },
      ...(removal ? { teardown: true } : {}),
    });
  }
  // The engine runs conntrack steps side by side, one `conntrack -D` process per filter each: a few
  // steps of filters dealt round, so many cuts take a few process lifetimes, not one per filter.
  const lanes = Math.min(CONNTRACK_LANES, filters.length);
  for (let lane = 0; lane < lanes; lane++) {
    const mine = filters.filter((_, i) => i % lanes === lane);
    steps.push({ via: 'conntrack', phase: 'netfilter', place: 'host', filters: mine });
  }
  if (destroys.length > 0) {
    const phase = removal ? 'netfilter' : 'service';
    steps.push({ via: 'ipset', phase, place: 'host', manager: ipsets, sets: destroys });
  }
  if (steps.length === 0) return [];

  const existed = hasOwn(saved[4], lead) || hasOwn(saved[6], lead) || (observed.sets?.size ?? 0) > 0;
  const action = removal ? 'delete' : existed ? 'update' : 'create';
  const seen = portsSeen(saved[4], lead);
  const ids = new Set(ports.map(portId));
  const added = [...ids].filter((id) => !seen.has(id)).length;
  const gone = [...seen].filter((id) => !ids.has(id)).length;
  const parts = [
    removal ? `${seen.size} ports` : `${ports.length} ports${added || gone ? ` (+${added} -${gone})` : ''}`,
    operations > 0 ? `${operations} iptables lines` : '',
    fills.length > 0 ? `${fills.length} ipsets filled` : '',
    destroys.length > 0 ? `${destroys.length} ipsets destroyed` : '',
    filters.length > 0 ? `${filters.length} conntrack deletes` : '',
  ].filter((s) => s !== '');
  const sign = action === 'create' ? '+' : action === 'update' ? '~' : '-';
  return [
    {
      resource: firewallResource(topology),
      action,
      summary: `${sign} firewall ${topology}: ${parts.join(', ')}`,
      steps,
    },
  ];
}
