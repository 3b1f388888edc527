// References between the resources of a topology and what must fit together across them: router
// gateways on external networks, interfaces on subnets that do not overlap on one router, next hops
// on the router's subnets, instances on existing networks and groups, floating IPs served by exactly
// one router. The output is the plan of every port and address to allocate. After Neutron's
// l3_db.py (_check_for_dup_router_subnets, _validate_routes_nexthop, _get_router_for_floatingip)
// and db_base_plugin_v2.py (_check_subnet_ip, fixed IP validation).
import { containsAddress, overlaps } from '../net/cidr.js';
import type { ResourceName, TopologyName } from '../net/ownership.js';
import type { IpFamily } from '../net/types.js';
import { label, type PortPlan, type Want, type WantHow } from './allocate.js';
import type { FloatingIpDraft, InstanceDraft } from './instances.js';
import { dhcpPortName, gatewayPortName, instancePortName, interfacePortName, MAX_NAME } from './names.js';
import type { NetworkDraft, SubnetDraft } from './networks.js';
import { type Path, type Problems, pathText, show } from './problems.js';
import type { RouterDraft } from './routers.js';

/** A router interface, resolved: its network, the subnets it is on, its port. */
export interface InterfacePlan {
  readonly network: NetworkDraft;
  readonly port: PortPlan;
}

/** A router, resolved. */
export interface RouterPlan {
  readonly draft: RouterDraft;
  /** The router has a gateway in the input that could not be resolved (a problem is reported). */
  readonly gatewayFailed: boolean;
  readonly gateway: {
    readonly network: NetworkDraft;
    readonly port: PortPlan;
    readonly snat: boolean;
  } | null;
  readonly interfaces: readonly InterfacePlan[];
}

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
  readonly dhcpPorts: ReadonlyMap<ResourceName, PortPlan>;
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
}

/** The first subnet of each family, in the network's subnet order. */
function firstPerFamily(network: NetworkDraft): SubnetDraft[] {
  const seen = new Set<IpFamily>();
  return network.subnets.filter((s) => !seen.has(s.family) && seen.add(s.family));
}

function cidrs(network: NetworkDraft): string {
  return network.subnets.map((s) => s.cidr).join(', ');
}

function want(
  network: NetworkDraft,
  subnet: SubnetDraft,
  how: WantHow,
  address: Want['address'],
  holder: { path: Path; label: string; mark: string; name: string; mayTakeGateway: boolean },
): Want {
  return {
    network,
    subnet,
    how,
    address,
    path: holder.path,
    label: holder.label,
    mark: holder.mark,
    holder: holder.name,
    mayTakeGateway: holder.mayTakeGateway,
  };
}

function resolveRouter(p: Problems, d: Drafts, r: RouterDraft): RouterPlan {
  const mark = (port: string) => `${d.topology}.port.${port}`;
  const attached: { subnet: SubnetDraft; network: NetworkDraft; path: Path }[] = [];

  let gateway: RouterPlan['gateway'] = null;
  if (r.gateway) {
    const g = r.gateway;
    const network = d.networks.get(g.network);
    if (!network) p.add([...g.path, 'network'], `there is no network ${show(g.network)}`);
    else if (!network.external) {
      p.add(
        [...g.path, 'network'],
        `network ${network.name} is not external; a router's gateway network needs external: true`,
      );
    } else if (!network.complete) {
      // its subnets' problems are reported already
    } else {
      const path = g.ip ? [...g.path, 'ip'] : g.path;
      const subnet = g.ip ? network.subnets.find((s) => containsAddress(s.cidr, g.ip!)) : network.subnets[0];
      const name = gatewayPortName(r.name);
      const holder = {
        path,
        label: label(`router ${r.name}'s gateway`, g.path),
        mark: mark(name),
        name,
        mayTakeGateway: false,
      };
      if (!subnet) {
        p.add(path, `${g.ip} is not in a subnet of network ${network.name} (${cidrs(network)})`);
      } else if (g.ip && subnet.auto) {
        p.add(path, `${subnet.cidr} addresses come from SLAAC (EUI-64 of the MAC); leave ip out`);
      } else {
        const how: WantHow = g.ip ? 'explicit' : subnet.auto ? 'eui64' : 'pool';
        const port: PortPlan = {
          name,
          mark: mark(name),
          network,
          deviceOwner: 'router_gateway',
          mac: null,
          macPath: g.path,
          label: holder.label,
          wants: [want(network, subnet, how, g.ip, holder)],
        };
        gateway = { network, port, snat: g.snat };
        attached.push({ subnet, network, path: g.path });
      }
    }
  }

  const interfaces: InterfacePlan[] = [];
  const seen = new Map<ResourceName, Path>();
  for (const i of r.interfaces) {
    const network = d.networks.get(i.network);
    const npath = i.networkPath;
    if (!network) {
      p.add(npath, `there is no network ${show(i.network)}`);
      continue;
    }
    if (network.external) {
      p.add(npath, `network ${network.name} is external: make it the router's gateway, not an interface`);
      continue;
    }
    const twice = seen.get(network.name);
    if (twice) {
      p.add(npath, `router ${r.name} is already attached to network ${network.name} (${pathText(twice)})`);
      continue;
    }
    seen.set(network.name, i.path);
    if (!network.complete) continue;
    const name = interfacePortName(r.name, network.name);
    if (!name) {
      p.add(
        npath,
        `the port name qr_${r.name}_${network.name} would pass ${MAX_NAME} characters; shorten the router's or the network's name`,
      );
      continue;
    }
    let subnets: SubnetDraft[];
    if (i.subnet) {
      const s = network.subnets.find((x) => x.cidr === i.subnet);
      if (!s) {
        p.add(
          [...i.path, 'subnet'],
          `network ${network.name} has no subnet ${i.subnet} (it has ${cidrs(network)})`,
        );
        continue;
      }
      subnets = [s];
    } else if (i.ip) {
      const s = network.subnets.find((x) => containsAddress(x.cidr, i.ip!));
      if (!s) {
        p.add([...i.path, 'ip'], `${i.ip} is not in a subnet of network ${network.name} (${cidrs(network)})`);
        continue;
      }
      subnets = [s];
    } else subnets = firstPerFamily(network);

    const holder = {
      path: i.ip ? [...i.path, 'ip'] : i.path,
      label: label(`router ${r.name}`, i.path),
      mark: mark(name),
      name,
      mayTakeGateway: true,
    };
    const wants: Want[] = [];
    for (const s of subnets) {
      if (i.ip && !containsAddress(s.cidr, i.ip)) {
        p.add([...i.path, 'ip'], `${i.ip} is not in ${s.cidr}`);
      } else if (i.ip) {
        wants.push(want(network, s, i.ip === s.gateway ? 'router' : 'explicit', i.ip, holder));
      } else if (s.gateway) {
        wants.push(want(network, s, 'router', s.gateway, holder));
      } else {
        p.add(
          i.path,
          `subnet ${s.cidr} of network ${network.name} has no gateway; give the router's address: { network: ${network.name}, subnet: ${s.cidr}, ip: … }`,
        );
      }
      // One router cannot route to two subnets that share addresses.
      const clash = attached.find((a) => overlaps(a.subnet.cidr, s.cidr));
      if (clash) {
        p.add(
          i.path,
          `${s.cidr} (network ${network.name}) overlaps ${clash.subnet.cidr} (network ${clash.network.name}, ${pathText(clash.path)}) on router ${r.name}`,
        );
      } else attached.push({ subnet: s, network, path: i.path });
    }
    const port: PortPlan = {
      name,
      mark: mark(name),
      network,
      deviceOwner: 'router_interface',
      mac: null,
      macPath: i.path,
      label: holder.label,
      wants,
    };
    interfaces.push({ network, port });
  }

  const own = new Set(
    [...interfaces.flatMap((i) => i.port.wants), ...(gateway?.port.wants ?? [])].flatMap((w) =>
      w.address ? [w.address as string] : [],
    ),
  );
  for (const route of r.routes) {
    const on = attached.find((a) => containsAddress(a.subnet.cidr, route.nexthop));
    if (!on) {
      const list = attached.map((a) => a.subnet.cidr).join(', ') || 'none';
      p.add(
        [...route.path, 'nexthop'],
        `next hop ${route.nexthop} is not on a subnet router ${r.name} is attached to (${list})`,
      );
    } else if (own.has(route.nexthop)) {
      p.add([...route.path, 'nexthop'], `next hop ${route.nexthop} is router ${r.name}'s own address`);
    }
  }
  return { draft: r, gatewayFailed: r.gateway !== null && gateway === null, gateway, interfaces };
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
      p.add([...i.path, 'ip'], `${i.ip} is not in a subnet of network ${network.name} (${cidrs(network)})`);
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
        ? `${f.address} is not in an IPv4 subnet of network ${external.name} (${cidrs(external)}), router ${router.draft.name}'s gateway network`
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
  const routers = [...d.routers.values()].map((r) => resolveRouter(p, d, r));

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
  for (const n of d.networks.values()) {
    const subnets = n.subnets.filter((s) => s.dhcp);
    if (subnets.length === 0) continue;
    const name = dhcpPortName(n.name);
    const holder = {
      path: n.path,
      label: `the DHCP port of network ${n.name}`,
      mark: `${d.topology}.port.${name}`,
      name,
      mayTakeGateway: false,
    };
    dhcpPorts.set(n.name, {
      name,
      mark: holder.mark,
      network: n,
      deviceOwner: 'dhcp',
      mac: null,
      macPath: n.path,
      label: holder.label,
      wants: subnets.map((s) => want(n, s, s.auto ? 'eui64' : 'dhcp', null, holder)),
    });
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
  ];
  return { dhcpPorts, routers, instances: [...instances.values()], floatingIps, avoid, ports };
}
