// References between the resources of a topology and what must fit together across them: routers
// (`router-plan.ts`), instances on existing networks and groups, floating IPs served by exactly one
// router, DHCP ports. The output is the plan of every port and address to allocate. After Neutron's
// db_base_plugin_v2.py (_check_subnet_ip, fixed IP validation) and l3_db.py (_get_router_for_floatingip).
import { containsAddress } from '../net/cidr.js';
import type { ResourceName, TopologyName } from '../net/ownership.js';
import { label, type PortPlan, type Want, want } from './allocate.js';
import type { FloatingIpDraft, InstanceDraft } from './instances.js';
import { dhcpPortName, hostDhcpPortName, instancePortName } from './names.js';
import { cidrList, firstPerFamily, type NetworkDraft } from './networks.js';
import { type Path, type Problems, pathText, show } from './problems.js';
import { type RouterPlan, resolveRouter } from './router-plan.js';
import type { RouterDraft } from './routers.js';

/** An instance, resolved. */
export interface InstancePlan {
  readonly draft: InstanceDraft;
  readonly network: NetworkDraft;
  readonly port: PortPlan;
  readonly address: 'dhcp' | 'static';
}

/** A floating IP, resolved to the router that serves it. */
export interface FloatingIpPlan {
  readonly draft: FloatingIpDraft;
  readonly instance: InstancePlan;
  /** The instance's IPv4 address that the floating IP forwards to. */
  readonly fixed: Want;
  readonly router: RouterPlan;
  readonly want: Want;
}

/** The topology resolved: every reference followed, every port and address to allocate planned. */
export interface Resolution {
  /** The DHCP port of each network with DHCP, on one host (empty when placed on hosts). */
  readonly dhcpPorts: ReadonlyMap<ResourceName, PortPlan>;
  /** Placed on hosts: each DHCP network's port per host it is present on, by host name. */
  readonly hostDhcpPorts: ReadonlyMap<ResourceName, readonly { host: ResourceName; plan: PortPlan }[]>;
  readonly routers: readonly RouterPlan[];
  readonly instances: readonly InstancePlan[];
  readonly floatingIps: readonly FloatingIpPlan[];
  /** Per network, the addresses new allocations skip (extra routes' next hops). */
  readonly avoid: ReadonlyMap<ResourceName, ReadonlySet<string>>;
  /** Every port, explicit-address holders in input order: routers, then instances, then DHCP. */
  readonly ports: readonly PortPlan[];
}

/** The drafts of a whole topology. */
export interface Drafts {
  readonly topology: TopologyName;
  readonly networks: ReadonlyMap<ResourceName, NetworkDraft>;
  readonly routers: ReadonlyMap<ResourceName, RouterDraft>;
  readonly groups: ReadonlySet<string>;
  readonly instances: ReadonlyMap<ResourceName, InstanceDraft>;
  readonly floatingIps: readonly FloatingIpDraft[];
  /**
   * Placed on hosts: the hosts each network is present on (each gets its own DHCP port there); null
   * on one host (one DHCP port per network).
   */
  readonly dhcpHosts: ReadonlyMap<ResourceName, readonly ResourceName[]> | null;
}

function resolveInstance(p: Problems, d: Drafts, i: InstanceDraft): InstancePlan | undefined {
  for (const g of i.securityGroups) {
    if (!d.groups.has(g.name)) p.add(g.path, `there is no security group ${show(g.name)}`);
  }
  const network = d.networks.get(i.network);
  if (!network) {
    p.add([...i.path, 'network'], `there is no network ${show(i.network)}`);
    return undefined;
  }
  if (!network.complete || network.subnets.length === 0) return undefined;
  const name = instancePortName(i.name);
  const holder = {
    path: i.path,
    label: label(`instance ${i.name}`, i.path),
    mark: `${d.topology}.port.${name}`,
    name,
    // On an external network the gateway is outside the topology; an instance may stand in for it.
    mayTakeGateway: network.external,
  };
  let subnets = firstPerFamily(network);
  if (i.ip) {
    const s = network.subnets.find((x) => containsAddress(x.cidr, i.ip!));
    if (!s) {
      p.add(
        [...i.path, 'ip'],
        `${i.ip} is not in a subnet of network ${network.name} (${cidrList(network)})`,
      );
      return undefined;
    }
    if (s.auto) {
      p.add([...i.path, 'ip'], `${s.cidr} addresses come from SLAAC (EUI-64 of the MAC); leave ip out`);
      return undefined;
    }
    subnets = subnets.map((x) => (x.family === s.family ? s : x));
  }
  const ipFamily = i.ip ? (i.ip.includes(':') ? 6 : 4) : null;
  const wants = subnets.map((s) =>
    s.family === ipFamily
      ? want(network, s, 'explicit', i.ip, { ...holder, path: [...i.path, 'ip'] })
      : want(network, s, s.auto ? 'eui64' : 'pool', null, holder),
  );
  const primary = network.subnets.find((s) => subnets.includes(s))!;
  let address = i.address ?? (primary.dhcp && !primary.auto ? 'dhcp' : 'static');
  if (i.address === 'dhcp' && !primary.dhcp) {
    p.add([...i.path, 'address'], `subnet ${primary.cidr} has DHCP off; use address: static or turn dhcp on`);
    address = 'static';
  }
  const port: PortPlan = {
    name,
    mark: holder.mark,
    network,
    deviceOwner: 'compute',
    mac: i.mac,
    macPath: [...i.path, 'mac'],
    label: holder.label,
    wants,
  };
  return { draft: i, network, port, address };
}

function resolveFloatingIp(
  p: Problems,
  d: Drafts,
  f: FloatingIpDraft,
  instances: ReadonlyMap<ResourceName, InstancePlan>,
  routers: readonly RouterPlan[],
): FloatingIpPlan | undefined {
  const instance = instances.get(f.instance);
  if (!instance) {
    if (!d.instances.has(f.instance))
      p.add([...f.path, 'instance'], `there is no instance ${show(f.instance)}`);
    return undefined;
  }
  const fixed = instance.port.wants.find((w) => w.subnet.family === 4);
  if (!fixed) {
    p.add([...f.path, 'instance'], `instance ${f.instance} has no IPv4 address; floating IPs are IPv4`);
    return undefined;
  }
  const on = routers.filter((r) =>
    r.interfaces.some((i) => i.port.wants.some((w) => w.subnet === fixed.subnet)),
  );
  if (on.some((r) => r.gatewayFailed)) return undefined;
  const serving = on.filter((r) => r.gateway);
  if (serving.length === 0) {
    p.add(
      [...f.path, 'instance'],
      `subnet ${fixed.subnet.cidr} of instance ${f.instance} is not on a router with an external gateway; a floating IP needs one`,
    );
    return undefined;
  }
  if (serving.length > 1) {
    const names = serving.map((r) => r.draft.name).join(' and ');
    p.add(
      [...f.path, 'instance'],
      `subnet ${fixed.subnet.cidr} of instance ${f.instance} is on routers ${names}, both with gateways; a floating IP needs exactly one`,
    );
    return undefined;
  }
  const router = serving[0]!;
  const external = router.gateway!.network;
  const v4 = external.subnets.filter((s) => s.family === 4);
  const path = f.address ? [...f.path, 'address'] : f.path;
  const subnet = f.address ? v4.find((s) => containsAddress(s.cidr, f.address!)) : v4[0];
  if (!subnet) {
    p.add(
      path,
      f.address
        ? `${f.address} is not in an IPv4 subnet of network ${external.name} (${cidrList(external)}), router ${router.draft.name}'s gateway network`
        : `network ${external.name} has no IPv4 subnet to take a floating IP from`,
    );
    return undefined;
  }
  const holder = {
    path,
    label: label(`the floating IP of instance ${f.instance}`, f.path),
    mark: `${d.topology}.floatingip.${f.instance}`,
    name: `fip:${f.instance}`,
    mayTakeGateway: false,
  };
  return {
    draft: f,
    instance,
    fixed,
    router,
    want: want(external, subnet, f.address ? 'explicit' : 'pool', f.address, holder),
  };
}

/**
 * Follows every reference of a topology and checks what must fit across resources (see the file
 * header). Records every problem; returns the plan of every port and address to allocate.
 */
export function resolveTopology(p: Problems, d: Drafts): Resolution {
  const routers = [...d.routers.values()].map((r) => resolveRouter(p, d.topology, d.networks, r));

  const instances = new Map<ResourceName, InstancePlan>();
  for (const i of d.instances.values()) {
    const plan = resolveInstance(p, d, i);
    if (plan) instances.set(i.name, plan);
  }

  const floatingIps: FloatingIpPlan[] = [];
  const fipOf = new Map<string, Path>();
  for (const f of d.floatingIps) {
    const first = fipOf.get(f.instance);
    if (first) {
      p.add([...f.path, 'instance'], `instance ${f.instance} already has a floating IP (${pathText(first)})`);
      continue;
    }
    fipOf.set(f.instance, f.path);
    const plan = resolveFloatingIp(p, d, f, instances, routers);
    if (plan) floatingIps.push(plan);
  }

  const dhcpPorts = new Map<ResourceName, PortPlan>();
  const hostDhcpPorts = new Map<ResourceName, { host: ResourceName; plan: PortPlan }[]>();
  for (const n of d.networks.values()) {
    if (!n.subnets.some((s) => s.dhcp)) continue;
    if (d.dhcpHosts === null) dhcpPorts.set(n.name, dhcpPortPlan(d, n, null));
    else {
      const hosts = d.dhcpHosts.get(n.name) ?? [];
      hostDhcpPorts.set(
        n.name,
        hosts.map((host) => ({ host, plan: dhcpPortPlan(d, n, host) })),
      );
    }
  }

  const avoid = new Map<ResourceName, Set<string>>();
  for (const r of routers) {
    for (const route of r.draft.routes) {
      const on = [...(r.gateway ? [r.gateway.network] : []), ...r.interfaces.map((i) => i.network)].find(
        (n) => n.subnets.some((s) => containsAddress(s.cidr, route.nexthop)),
      );
      if (!on) continue;
      const set = avoid.get(on.name) ?? new Set<string>();
      avoid.set(on.name, set);
      set.add(route.nexthop);
    }
  }

  const ports = [
    ...routers.flatMap((r) => [...r.interfaces.map((i) => i.port), ...(r.gateway ? [r.gateway.port] : [])]),
    ...[...instances.values()].map((i) => i.port),
    ...dhcpPorts.values(),
    ...[...hostDhcpPorts.values()].flatMap((list) => list.map((x) => x.plan)),
  ];
  return { dhcpPorts, hostDhcpPorts, routers, instances: [...instances.values()], floatingIps, avoid, ports };
}

/** The DHCP port of a network (on one host), or of a network on one host of many. */
function dhcpPortPlan(d: Drafts, n: NetworkDraft, host: ResourceName | null): PortPlan {
  const name = host === null ? dhcpPortName(n.name) : hostDhcpPortName(n.name, host);
  const holder = {
    path: n.path,
    label: `the DHCP port of network ${n.name}${host === null ? '' : ` on host ${host}`}`,
    mark: `${d.topology}.port.${name}`,
    name,
    mayTakeGateway: false,
  };
  return {
    name,
    mark: holder.mark,
    network: n,
    deviceOwner: 'dhcp',
    mac: null,
    macPath: n.path,
    label: holder.label,
    wants: n.subnets.filter((s) => s.dhcp).map((s) => want(n, s, s.auto ? 'eui64' : 'dhcp', null, holder)),
  };
}
