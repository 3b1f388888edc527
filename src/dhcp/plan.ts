// One network's DHCP server as a pure plan: desired + observed -> Change[] ([] = converged; null
// desired = remove it all). The namespace (sysctls, `lo` marked last), stale devices, the DHCP port
// through the interface driver, its addresses and default routes (init_l3), dnsmasq's files (written
// only when they differ) and its process: started when missing, SIGHUP when only the files changed,
// restarted when its command line differs, stopped on removal.
// Neutron: dhcp.py's Dnsmasq.enable/reload_allocations/restart/disable and DeviceManager.setup/destroy.
import { initL3Steps, planInitL3 } from '../interface/init-l3.js';
import { linkMark } from '../interface/layout.js';
import type { IpOp } from '../ip/ops.js';
import { sysctlOps, sysctlSpec } from '../ip/sysctl.js';
import { addressFamily, cidrFamily, prefixLength, withPrefix } from '../net/cidr.js';
import { type Cidr, deviceName, type IpAddress, type IpFamily } from '../net/types.js';
import type { OvsOp } from '../ovs/ovs-ops.js';
import type { Change, FileStep, ResourceRef, Step } from '../reconcile/step.js';
import { addnHostsFile, hostsFile, leasesSeed, optsFile } from './config.js';
import { type DhcpWiring, dhcpPlugRequest, dhcpResource, dnsmasqService } from './layout.js';
import type { DhcpObserved } from './observe.js';
import type { DhcpNetwork } from './types.js';
import { dhcpNetwork, isServed } from './validate.js';

/** Options of {@link planDhcp}. */
export interface DhcpPlanOptions extends DhcpWiring {
  /**
   * Also plan the network's own L2 (the Linux bridge driver's `brq<net>`): for a DHCP server used on
   * its own. A host orchestrator that plans every network's L2 itself leaves it off. Needs an
   * observation made with `withNetwork`.
   */
  readonly withNetwork?: boolean;
  /** On removal, also remove the network's L2 (`brq<net>`): only when nothing else is plugged there. */
  readonly removeNetwork?: boolean;
  /** The clock (ms) the seed lease file's expiry is counted from; default `Date.now()`. */
  readonly now?: number;
}

/** Sysctls of a DHCP namespace, as Neutron's DeviceManager sets them. */
const NAMESPACE_SYSCTLS = {
  // dnsmasq may bind an address before DAD has finished with it (IPv6) or before it is configured.
  'net.ipv4.ip_nonlocal_bind': 1,
  // The DHCP port must not configure itself from router advertisements on the network it serves.
  'net.ipv6.conf.default.accept_ra': 0,
} as const;

const LO = deviceName('lo');

function refs(changes: readonly Change[]): ResourceRef[] {
  const seen = new Map<string, ResourceRef>();
  for (const c of changes)
    seen.set(`${c.resource.topology}/${c.resource.kind}/${c.resource.name}`, c.resource);
  return [...seen.values()];
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

/**
 * The namespace's own ops: made when missing (`netns add`), then inside it the sysctls and `lo` up
 * with the owner mark as its alias — the mark last, so a namespace whose `lo` is unmarked is one
 * whose setup did not finish (an apply killed half way), and it is set up again.
 */
function namespaceSteps(observed: DhcpObserved): Step[] {
  const { namespace: ns, owner } = observed.layout;
  const alias = linkMark(owner).alias;
  const lo = observed.namespace?.links.find((l) => l.name === LO);
  if (observed.namespace !== null && lo?.alias === alias && lo.up) return [];
  const inside: IpOp[] = [
    ...sysctlOps(sysctlSpec(ns, NAMESPACE_SYSCTLS)),
    { op: 'link.set', name: LO, set: { up: true, alias } },
  ];
  return [
    ...(observed.namespace === null
      ? [
          {
            via: 'ip' as const,
            phase: 'namespace' as const,
            place: 'host' as const,
            ops: [{ op: 'netns.add' as const, name: ns }],
          },
        ]
      : []),
    { via: 'ip', phase: 'namespace', place: ns, ops: inside },
  ];
}

/**
 * Devices in the namespace other than `lo` and the DHCP port's (a port of an earlier run, another
 * style): unplugged — the OVS port deleted when the switch has one of that name, else the link.
 * Names the current plug uses are the driver's to replace.
 */
function staleSteps(observed: DhcpObserved, opts: DhcpWiring): Step[] {
  if (observed.namespace === null) return [];
  const layout = opts.driver.layout(observed.target);
  const ours = new Set<string>([
    LO,
    observed.layout.device,
    ...layout.hostLinks,
    ...(layout.ovsPort ? [layout.ovsPort] : []),
  ]);
  const ovs: OvsOp[] = [];
  const ip: IpOp[] = [];
  const bridge = observed.plug.bridge ?? null;
  const gone = new Set<string>();
  for (const l of observed.namespace.links) {
    // Deleting one end of a veth pair deletes the other: a second delete would fail the batch.
    if (ours.has(l.name) || gone.has(l.name)) continue;
    gone.add(l.name);
    if (l.peer) gone.add(l.peer);
    const port = bridge?.ports.get(l.name);
    if (bridge && port) ovs.push({ op: 'port.del', bridge: bridge.name, name: l.name, uuid: port.uuid });
    else ip.push({ op: 'link.del', name: l.name });
  }
  return [
    ...(ovs.length > 0 ? [{ via: 'ovs' as const, phase: 'port' as const, ops: ovs }] : []),
    ...(ip.length > 0
      ? [{ via: 'ip' as const, phase: 'port' as const, place: observed.layout.namespace, ops: ip }]
      : []),
  ];
}

/**
 * The DHCP port's addresses (one per DHCP subnet, with the subnet's prefix length) and, per family,
 * the default route via the first DHCP subnet's gateway (Neutron's _set_default_route).
 */
function l3Request(net: DhcpNetwork, observed: DhcpObserved) {
  const subnets = new Map(net.network.subnets.map((s) => [s.name, s]));
  const cidrs: Cidr[] = [];
  for (const f of net.port.fixedIps) {
    const s = subnets.get(f.subnet);
    if (s) cidrs.push(withPrefix(f.address, prefixLength(s.cidr)));
  }
  const gateways: IpAddress[] = [];
  const families = new Set<IpFamily>();
  for (const s of net.network.subnets) {
    const family = cidrFamily(s.cidr);
    if (!s.dhcp || s.gateway === null || families.has(family)) continue;
    if (!net.port.fixedIps.some((f) => f.subnet === s.name && addressFamily(f.address) === family)) continue;
    families.add(family);
    gateways.push(s.gateway);
  }
  return { device: observed.layout.device, place: observed.layout.namespace, cidrs, gateways };
}

function fileStep(path: string, content: string | null): FileStep {
  return { via: 'file', phase: 'service', path, content, mode: 0o644 };
}

/**
 * Plans one network's DHCP server: the changes that bring the host from `observed` to `desired`.
 * Pure. `desired = null` removes it all (dnsmasq stopped, its files and directory, the DHCP port
 * unplugged — OVS row first —, the namespace). An unchanged network plans [] (no file rewritten,
 * dnsmasq untouched); a port added, changed or removed rewrites the files that differ and SIGHUPs the
 * same dnsmasq; a change of its command line (a subnet's CIDR, DHCP on/off, the MTU, the domain)
 * restarts it; anything deleted by hand is made again.
 *
 * @param observed what {@link observeDhcp} read for the same network
 * @throws {InvalidInputError} for an invalid desired network (nothing is planned)
 * @throws the interface driver's planning errors (`BridgeNotFoundError`, `PlugConflictError`)
 */
export function planDhcp(
  desired: DhcpNetwork | null,
  observed: DhcpObserved,
  opts: DhcpPlanOptions,
): Change[] {
  if (desired === null) return planRemoval(observed, opts);
  const net = dhcpNetwork(desired);
  const { layout } = observed;
  const resource = dhcpResource(layout);
  const changes: Change[] = [];

  const networkChanges =
    opts.withNetwork && observed.network ? opts.driver.planNetwork(net.network, observed.network) : [];
  const stale = staleSteps(observed, opts);
  if (stale.length > 0) {
    changes.push({
      resource,
      action: 'delete',
      summary: `- dhcp ${layout.owner.name}: stale devices in ${layout.namespace}`,
      steps: stale,
    });
  }
  const plugChanges = opts.driver.planPlug(dhcpPlugRequest(net, layout), observed.plug);

  const steps: Step[] = [...namespaceSteps(observed)];
  const l3 = l3Request(net, observed);
  steps.push(...initL3Steps(l3, planInitL3(l3, observed.namespace)));

  const p = layout.paths;
  const files: FileStep[] = [];
  const want: [string, string, string | null][] = [
    [p.host, hostsFile(net), observed.files.host],
    [p.addnHosts, addnHostsFile(net), observed.files.addnHosts],
    [p.opts, optsFile(net), observed.files.opts],
  ];
  for (const [path, content, have] of want) if (content !== have) files.push(fileStep(path, content));

  const service = dnsmasqService(net, layout);
  const running = observed.process;
  const what: string[] = [];
  if (running === null || observed.namespace === null || !sameArgv(running.argv, service.argv)) {
    // dnsmasq (re)starts: its lease file is seeded first, as Neutron does.
    const action = running === null ? 'enable' : 'restart';
    steps.push(...files, fileStep(p.leases, leasesSeed(net, opts.now ?? Date.now())), {
      via: 'process',
      phase: 'service',
      action,
      service,
    });
    what.push(action === 'enable' ? 'start dnsmasq' : 'restart dnsmasq');
  } else if (files.length > 0) {
    steps.push(...files, { via: 'process', phase: 'service', action: 'reload', service });
    what.push(`rewrite ${files.length} file(s), reload dnsmasq`);
  }
  if (steps.length > 0) {
    const created = observed.namespace === null && running === null;
    changes.push({
      resource,
      action: created ? 'create' : 'update',
      summary: `${created ? '+' : '~'} dhcp ${layout.owner.name}: ${
        created
          ? `namespace ${layout.namespace}, ${net.hosts.length} host(s), ${net.network.subnets.filter(isServed).length} range(s)`
          : what.join(', ') || 'namespace and addresses'
      }`,
      steps,
      after: refs([...networkChanges, ...plugChanges]),
    });
  }
  return [...networkChanges, ...plugChanges, ...changes];
}

/** Everything of a DHCP server, removed: process, files and directory, the port, the namespace. */
function planRemoval(observed: DhcpObserved, opts: DhcpPlanOptions): Change[] {
  const { layout } = observed;
  const resource = dhcpResource(layout);
  const steps: Step[] = [];
  if (observed.pidfile !== null) {
    // The argv does not matter to a stop: the marker and the pidfile find the process.
    steps.push({
      via: 'process',
      phase: 'service',
      action: 'disable',
      service: {
        uuid: layout.marker,
        service: 'dnsmasq',
        place: layout.namespace,
        pidfile: layout.paths.pid,
        argv: observed.process?.argv ?? ['dnsmasq'],
        mode: 'daemonizes',
      },
    });
  }
  for (const name of observed.confFiles) {
    if (name === 'pid' && observed.pidfile !== null) continue; // the stop removes it
    steps.push(fileStep(`${layout.paths.dir}/${name}`, null));
  }
  if (observed.confFiles.length > 0 || observed.pidfile !== null) {
    // The directory itself (the files are removed first: deletions run files before commands).
    steps.push({
      via: 'command',
      phase: 'service',
      place: 'host',
      argv: ['rmdir', layout.paths.dir],
      okCodes: [1],
    });
  }
  const unplug = opts.driver.planUnplug(observed.target, observed.plug);
  // A namespace of our name whose `lo` carries another owner's mark is not ours to delete.
  const lo = observed.namespace?.links.find((l) => l.name === LO);
  const foreign = lo?.owner != null && lo.alias !== linkMark(layout.owner).alias;
  if (observed.namespace !== null && !foreign) {
    steps.push({
      via: 'ip',
      phase: 'namespace',
      place: 'host',
      ops: [{ op: 'netns.del', name: layout.namespace }],
    });
  }
  const network =
    opts.removeNetwork && observed.network
      ? opts.driver.planNetworkRemoval(observed.subject, observed.network)
      : [];
  const changes: Change[] = [...unplug, ...network];
  if (steps.length > 0) {
    changes.push({
      resource,
      action: 'delete',
      summary: `- dhcp ${layout.owner.name}: dnsmasq, files, namespace ${layout.namespace}`,
      steps,
    });
  }
  return changes;
}
