// The pipeline from a topology input to the resolved model: check every field, follow every
// reference, allocate, then assemble plain data. The role Neutron's API + IPAM play for a whole set
// of resources at once (neutron/db/*_db.py), without a database: the previous model is the memory.
import { compareAddresses, withPrefix } from '../net/cidr.js';
import { type ResourceName, type TopologyName, topologyName } from '../net/ownership.js';
import type { IpAddress } from '../net/types.js';
import {
  type Allocation,
  allocate,
  allocateVnis,
  checkVniOptions,
  type PortPlan,
  type VniRange,
} from './allocate.js';
import { ModelError } from './errors.js';
import { parseFloatingIps, parseInstances } from './instances.js';
import { identity } from './names.js';
import { parseNetworks, type SubnetDraft } from './networks.js';
import { checkPlacement, checkUnderlay, type HostUnderlay, networkHosts, networkMtus } from './placement.js';
import { indexPrevious } from './previous.js';
import { asObject, choiceField, hostField, onlyKeys, Problems } from './problems.js';
import { parseRouters } from './routers.js';
import { parseSecurityGroups, resolveRules } from './rules.js';
import type {
  FloatingIp,
  HostPort,
  Instance,
  Model,
  Network,
  Port,
  Router,
  SecurityGroup,
  Subnet,
  TopologyInput,
} from './types.js';
import { type Resolution, resolveTopology } from './validate.js';

/** Options of {@link buildModel}. */
export interface BuildOptions {
  /**
   * The model applied last time (as stored, e.g. parsed back from JSON). Every address, MAC, floating
   * IP and VNI it holds for a resource that still exists, and that is still valid, is kept.
   */
  readonly previous?: Model;
  /**
   * Where new VNIs come from, inclusive (default 4096-16777215). A VNI given with `vni:` may lie
   * outside it; a previous VNI is kept wherever it is.
   */
  readonly vniRange?: VniRange;
  /**
   * VNIs other topologies hold, each with who holds it for messages (`topology blue, network web`):
   * allocation skips them, and a `vni:` naming one is a problem. The store reads them from `vni/`.
   */
  readonly reservedVnis?: ReadonlyMap<number, string>;
  /**
   * Each host's underlay (link MTU, IP family), as its agent reports it: on many hosts a network's
   * default MTU is the smallest underlay MTU among its hosts minus the VXLAN overhead, and a larger
   * `mtu:` is a problem naming the host. Hosts not listed count as 1500 over IPv4.
   */
  readonly underlay?: ReadonlyMap<string, HostUnderlay>;
}

const TOPOLOGY_KEYS = [
  'name',
  'backend',
  'defaults',
  'networks',
  'routers',
  'securityGroups',
  'instances',
  'floatingIps',
] as const;

function byName<T extends { readonly name: string }>(list: T[]): T[] {
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Assembles the resolved model from an allocation that found no problem. */
function assemble(
  topology: TopologyName,
  backend: Model['backend'],
  defaultHost: ResourceName | null,
  res: Resolution,
  alloc: Allocation,
  vnis: ReadonlyMap<ResourceName, number | null>,
  mtus: ReadonlyMap<ResourceName, Network['mtu']>,
  networks: Iterable<{
    name: ResourceName;
    subnets: readonly SubnetDraft[];
    external: boolean;
  }>,
  groups: ReadonlyMap<ResourceName, SecurityGroup['rules']>,
): Model {
  const port = (plan: PortPlan): Port => ({
    ...identity(topology, 'port', plan.name),
    network: plan.network.name,
    mac: alloc.macs.get(plan.name)!,
    fixedIps: plan.wants.map((w) => ({ subnet: w.subnet.name, address: alloc.addresses.get(w)! })),
    deviceOwner: plan.deviceOwner,
  });

  const resolvedNetworks: Network[] = [];
  for (const n of networks) {
    const dhcpPlan = res.dhcpPorts.get(n.name);
    const dhcpPort = dhcpPlan ? port(dhcpPlan) : null;
    const perHost = res.hostDhcpPorts.get(n.name);
    const hostDhcpPorts: HostPort[] | undefined = perHost?.map((x) => ({ host: x.host, port: port(x.plan) }));
    const subnets: Subnet[] = n.subnets.map((s) => {
      const own = dhcpPort?.fixedIps.find((f) => f.subnet === s.name)?.address;
      // Placed on hosts, each host hands out its own DHCP port's address: its slice fills it in.
      const hostDns = hostDhcpPorts !== undefined && s.dns === null && s.dhcp;
      return {
        ...identity(topology, 'subnet', s.name),
        network: n.name,
        cidr: s.cidr,
        family: s.family,
        prefixLength: s.prefixLength,
        gateway: s.gateway,
        dhcp: s.dhcp,
        dns: s.dns ?? (own ? [own] : []),
        ...(hostDns ? { hostDns: true as const } : {}),
        ipv6Mode: s.ipv6Mode,
      };
    });
    resolvedNetworks.push({
      ...identity(topology, 'network', n.name),
      subnets,
      mtu: mtus.get(n.name)!,
      external: n.external,
      vni: vnis.get(n.name) ?? null,
      dhcp: dhcpPort !== null || hostDhcpPorts !== undefined,
      dhcpPort,
      ...(hostDhcpPorts === undefined ? {} : { hostDhcpPorts }),
    });
  }

  const routers: Router[] = res.routers.map((r) => {
    const g = r.gateway;
    const gw = g?.port.wants[0];
    const floatingIps: FloatingIp[] = res.floatingIps
      .filter((f) => f.router === r)
      .map((f) => ({
        ...identity(topology, 'floatingip', f.instance.draft.name),
        address: alloc.addresses.get(f.want)!,
        instance: f.instance.draft.name,
        fixedIp: alloc.addresses.get(f.fixed)!,
        network: f.want.network.name,
      }));
    return {
      ...identity(topology, 'router', r.draft.name),
      host: r.draft.host ?? defaultHost,
      gateway:
        g && gw
          ? {
              network: g.network.name,
              subnet: gw.subnet.name,
              port: port(g.port),
              ip: alloc.addresses.get(gw)!,
              nexthop: gw.subnet.gateway,
              snat: g.snat,
            }
          : null,
      interfaces: r.interfaces.map((i) => ({
        network: i.network.name,
        subnets: i.port.wants.map((w) => w.subnet.name),
        port: port(i.port),
        cidrs: i.port.wants.map((w) => withPrefix(alloc.addresses.get(w)!, w.subnet.prefixLength)),
      })),
      routes: r.draft.routes.map((route) => ({ destination: route.destination, nexthop: route.nexthop })),
      floatingIps: byName(floatingIps),
    };
  });

  const instances: Instance[] = res.instances.map((i) => {
    const p = port(i.port);
    return {
      ...identity(topology, 'instance', i.draft.name),
      host: i.draft.host ?? defaultHost,
      network: i.network.name,
      port: p,
      securityGroups: i.draft.securityGroups.map((g) => g.name),
      portSecurity: i.draft.portSecurity,
      allowedAddressPairs: i.draft.allowedAddressPairs.map((a) => ({ cidr: a.cidr, mac: a.mac ?? p.mac })),
      address: i.address,
    };
  });

  const securityGroups: SecurityGroup[] = [...groups].map(([name, rules]) => {
    const members = { 4: new Set<IpAddress>(), 6: new Set<IpAddress>() };
    for (const i of instances) {
      if (!i.securityGroups.includes(name)) continue;
      for (const f of i.port.fixedIps) members[f.address.includes(':') ? 6 : 4].add(f.address);
    }
    return {
      ...identity(topology, 'secgroup', name),
      rules,
      members: { 4: [...members[4]].sort(compareAddresses), 6: [...members[6]].sort(compareAddresses) },
    };
  });

  return {
    topology,
    backend,
    networks: byName(resolvedNetworks),
    routers: byName(routers),
    securityGroups: byName(securityGroups),
    instances: byName(instances),
  };
}

/**
 * Validates a topology and resolves it into the desired state: every default filled in, every
 * reference followed, every address, MAC, floating IP and VNI allocated (sticky with
 * `options.previous`; otherwise each probes from a hash of its owner, so the order of the input moves
 * nothing). Pure: no I/O. Resources come out sorted by name; subnets and rules keep their order.
 *
 * Placed on hosts (any instance or router names one, or `defaults.host`): every instance and router
 * needs a host, VNIs are allocated, each network gets a DHCP port per host it is present on, and the
 * MTU follows the hosts' underlay (see {@link BuildOptions}).
 *
 * @returns the resolved model: plain, JSON-serialisable data
 * @throws {ModelError} listing every problem found, each with its path in the input
 * @throws {InvalidInputError} when an option (`vniRange`, `reservedVnis`, `underlay`) is not valid
 */
export function buildModel(input: TopologyInput, options: BuildOptions = {}): Model {
  const { range, reserved } = checkVniOptions(options.vniRange, options.reservedVnis);
  const underlay = checkUnderlay(options.underlay);
  const p = new Problems();
  const raw = asObject(p, input, [], 'a topology');
  if (!raw) throw new ModelError(p.list);
  onlyKeys(p, raw, [], TOPOLOGY_KEYS);
  if (raw.name === undefined) p.add(['name'], 'a topology needs a name (1-32 of a-z 0-9 -)');
  const topology =
    raw.name === undefined ? undefined : p.check(['name'], (w) => topologyName(raw.name as string, w));
  const backend = choiceField(p, raw, 'backend', [], ['ovs', 'linuxbridge'] as const) ?? 'ovs';
  const defaults =
    raw.defaults === undefined ? undefined : asObject(p, raw.defaults, ['defaults'], 'defaults');
  if (defaults) onlyKeys(p, defaults, ['defaults'], ['host']);
  const defaultHost = defaults ? hostField(p, defaults, ['defaults']) : null;

  const networks = parseNetworks(p, raw);
  const groupDrafts = parseSecurityGroups(p, raw);
  const routers = parseRouters(p, raw);
  const instanceDrafts = parseInstances(p, raw);
  const floatingIps = parseFloatingIps(p, raw);

  const hasIpv6 = [...networks.values()].some((n) => n.subnets.some((s) => s.family === 6));
  const groupNames = new Set<string>(groupDrafts.keys());
  const groups = new Map(
    [...groupDrafts].map(([name, g]) => [name, resolveRules(p, g, groupNames, hasIpv6)]),
  );

  const multiHost = checkPlacement(p, defaultHost, routers.values(), instanceDrafts.values());
  const presence = networkHosts(defaultHost, routers.values(), instanceDrafts.values());

  // A placeholder keeps the checks going when the name is wrong; the name's problem is reported.
  const topo = topology ?? ('invalid' as TopologyName);
  const res = resolveTopology(p, {
    topology: topo,
    networks,
    routers,
    groups: groupNames,
    instances: instanceDrafts,
    floatingIps,
    dhcpHosts: multiHost ? presence : null,
  });
  const previous = indexPrevious(options.previous, topo);
  const alloc = allocate(
    p,
    res.ports,
    res.floatingIps.map((f) => f.want),
    res.avoid,
    previous,
  );
  const vnis = allocateVnis(p, [...networks.values()], multiHost, topo, previous, range, reserved);
  const mtus = networkMtus(p, networks.values(), multiHost, presence, underlay);
  p.throwIfAny();
  return assemble(topo, backend, defaultHost, res, alloc, vnis, mtus, networks.values(), groups);
}
