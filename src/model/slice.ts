// A topology for one host: the part of a model placed on it, itself a model, so the agent on that host
// hands it to the same planners the single-host CLI uses. Neutron: what the server sends one agent
// (get_devices_details_list, the routers of sync_routers for its host, security_group_info_for_devices).
import type { Model, Network, Router, SecurityGroup, Subnet } from './types.js';

/**
 * A topology's desired state on one host. It is a {@link Model} (every feature layer plans from it as
 * from a whole model on one host) of:
 * - `instances` and `routers` placed on the host (routers with their floating IPs and routes);
 * - `networks` present on the host (something placed there uses it), each with this host's DHCP port
 *   as `dhcpPort` and this host's DHCP-port address as the default name server;
 * - `securityGroups`: every group its instances use, whole, and every group their rules name as
 *   remote group with its complete members (and no rules: this host's ports do not use them).
 * What it does not hold, on purpose: the ports of other hosts. Those come from l2pop, which the
 * agents publish as they plug them; a slice changes only when something this host builds changes.
 */
export interface Slice extends Model {
  /** The host this slice is for. */
  readonly host: string;
}

/** The hosts a model places anything on (instances and routers), sorted. Empty on one host. Pure. */
export function modelHosts(model: Model): string[] {
  const hosts = new Set<string>();
  for (const r of [...model.instances, ...model.routers]) if (r.host !== null) hosts.add(r.host);
  return [...hosts].sort();
}

/** The networks a router has a port on: its interfaces' and its gateway's. */
function routerNetworks(r: Router): string[] {
  return [...r.interfaces.map((i) => i.network), ...(r.gateway ? [r.gateway.network] : [])];
}

/**
 * The hosts each network of a model is present on (an instance there is on it, or a router there has
 * a port on it), sorted; a network nothing placed uses is on no host. Pure.
 */
export function networkHostsOf(model: Model): Map<string, string[]> {
  const on = new Map<string, Set<string>>(model.networks.map((n) => [n.name, new Set<string>()]));
  for (const i of model.instances) if (i.host !== null) on.get(i.network)?.add(i.host);
  for (const r of model.routers) {
    if (r.host === null) continue;
    for (const n of routerNetworks(r)) on.get(n)?.add(r.host);
  }
  return new Map([...on].map(([n, hosts]) => [n, [...hosts].sort()]));
}

/** A network as one host sees it: its own DHCP port, and its DHCP port's address as name server. */
function networkOnHost(n: Network, host: string): Network {
  const { hostDhcpPorts, ...rest } = n;
  if (hostDhcpPorts === undefined) return n;
  const dhcpPort = hostDhcpPorts.find((h) => h.host === host)?.port ?? null;
  const subnets: Subnet[] = n.subnets.map((s) => {
    const { hostDns, ...plain } = s;
    if (!hostDns) return s;
    const own = dhcpPort?.fixedIps.find((f) => f.subnet === s.name)?.address;
    return { ...plain, dns: own ? [own] : [] };
  });
  return { ...rest, subnets, dhcpPort };
}

/**
 * The slice of a model for one host (see {@link Slice}). A host the model places nothing on gets an
 * empty slice. Pure: the same model and host give a deep-equal slice, and its canonical JSON
 * (`canonicalModelJson`) changes exactly when something this host builds changes.
 */
export function sliceForHost(model: Model, host: string): Slice {
  const instances = model.instances.filter((i) => i.host === host);
  const routers = model.routers.filter((r) => r.host === host);
  const present = new Set<string>([...instances.map((i) => i.network), ...routers.flatMap(routerNetworks)]);
  const networks = model.networks.filter((n) => present.has(n.name)).map((n) => networkOnHost(n, host));

  const used = new Set<string>(instances.flatMap((i) => i.securityGroups));
  const byName = new Map<string, SecurityGroup>(model.securityGroups.map((g) => [g.name, g]));
  const remote = new Set<string>();
  for (const name of used) {
    for (const rule of byName.get(name)?.rules ?? []) {
      if (rule.remoteGroup !== null && !used.has(rule.remoteGroup)) remote.add(rule.remoteGroup);
    }
  }
  const securityGroups: SecurityGroup[] = model.securityGroups
    .filter((g) => used.has(g.name) || remote.has(g.name))
    // A group known only for its members: its rules are for other hosts' ports, and they may name
    // groups this slice does not carry.
    .map((g) => (used.has(g.name) ? g : { ...g, rules: [] }));

  return {
    topology: model.topology,
    backend: model.backend,
    host,
    networks,
    routers,
    securityGroups,
    instances,
  };
}
