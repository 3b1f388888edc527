// A router's place in the topology: its gateway on an external network, one port per internal network
// on subnets that do not overlap on it, extra routes whose next hops it can reach. After Neutron's
// l3_db.py (_check_for_dup_router_subnets, _validate_router_port_info, _update_router_gw_info) and
// extraroute_db.py (_validate_routes_nexthop).
import { containsAddress, overlaps } from '../net/cidr.js';
import type { ResourceName, TopologyName } from '../net/ownership.js';
import { label, type PortPlan, type Want, type WantHow, want } from './allocate.js';
import { gatewayPortName, interfacePortName, MAX_NAME } from './names.js';
import { cidrList, firstPerFamily, type NetworkDraft, type SubnetDraft } from './networks.js';
import { type Path, type Problems, pathText, show } from './problems.js';
import type { RouterDraft } from './routers.js';

/** A router interface, resolved: its network and its port (whose wants are its subnets). */
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

/**
 * Resolves one router against the networks: gateway (external network, subnet, address), interfaces
 * (existing internal networks, once each, subnets with a gateway or an explicit address, no overlap on
 * the router), extra routes (next hop on one of its subnets, not its own address). Records every problem.
 */
export function resolveRouter(
  p: Problems,
  topology: TopologyName,
  networks: ReadonlyMap<ResourceName, NetworkDraft>,
  r: RouterDraft,
): RouterPlan {
  const mark = (port: string) => `${topology}.port.${port}`;
  const attached: { subnet: SubnetDraft; network: NetworkDraft; path: Path }[] = [];

  let gateway: RouterPlan['gateway'] = null;
  if (r.gateway) {
    const g = r.gateway;
    const network = networks.get(g.network);
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
        p.add(path, `${g.ip} is not in a subnet of network ${network.name} (${cidrList(network)})`);
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
    const network = networks.get(i.network);
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
          `network ${network.name} has no subnet ${i.subnet} (it has ${cidrList(network)})`,
        );
        continue;
      }
      subnets = [s];
    } else if (i.ip) {
      const s = network.subnets.find((x) => containsAddress(x.cidr, i.ip!));
      if (!s) {
        p.add(
          [...i.path, 'ip'],
          `${i.ip} is not in a subnet of network ${network.name} (${cidrList(network)})`,
        );
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
