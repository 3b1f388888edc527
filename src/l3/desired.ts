// What a router should be, checked and resolved: the model's Router and the networks it touches
// become the namespace, the qr-/qg- plugs with their addresses, the extra routes and the floating
// IPs the planner works from. Every case Neutron's L3 API refuses is refused here too, before any
// step, so the L3 layer is safe to use without the model builder.
// Neutron: l3_db.py (_validate_router_port_info, _update_router_gw_info, floating IP checks),
// extraroute_db.py (_validate_routes_nexthop).
import { InvalidInputError } from '../errors.js';
import type { PlugRequest } from '../interface/driver.js';
import { hostDevice, plugNetwork, plugPort } from '../interface/layout.js';
import type { Model, Network, Router } from '../model/types.js';
import {
  containsAddress,
  isHostOf,
  overlaps,
  parseAddress,
  parseInterfaceCidr,
  parseSubnetCidr,
  subnetOf,
  withPrefix,
} from '../net/cidr.js';
import { type NetnsPrefix, namespaceFor } from '../net/naming.js';
import { type Owner, type ResourceName, resourceName, topologyName } from '../net/ownership.js';
import { type Cidr, familyOf, type IpAddress, type NamespaceName } from '../net/types.js';

/**
 * A router as the L3 layer takes it: the model's resolved `Router` and the networks it touches
 * (others may be there too and are ignored). `routerDesired(model, name)` picks both from a model.
 */
export interface RouterDesired {
  readonly router: Router;
  readonly networks: readonly Network[];
}

/** Which router: enough to find (and remove) everything it made. */
export interface RouterRef {
  readonly topology: string;
  readonly name: string;
}

/** One port of a router, resolved: the plug request and the addresses its device carries. */
export interface RouterPort {
  /** `internal` (`qr-`, one per internal network) or `gateway` (`qg-`). */
  readonly role: 'internal' | 'gateway';
  /** What the interface driver plugs (device `qr-<id>`/`qg-<id>` in the router's namespace). */
  readonly request: PlugRequest;
  /** The router's addresses on the port, with their subnets' prefix lengths (floating IPs apart). */
  readonly cidrs: readonly Cidr[];
  /** The subnets the port is on (canonical), for next hops and fixed IPs. */
  readonly subnets: readonly Cidr[];
}

/** The external gateway, resolved. */
export interface RouterGatewaySpec {
  readonly port: RouterPort;
  /** The gateway address (SNAT source). */
  readonly ip: IpAddress;
  /** The external subnet's gateway: the router's default route (null: none). */
  readonly nexthop: IpAddress | null;
  readonly snat: boolean;
}

/** A floating IP, resolved. */
export interface FloatingIpSpec {
  readonly name: ResourceName;
  /** The floating address (IPv4), carried as a /32 on the gateway port. */
  readonly address: IpAddress;
  /** The instance's fixed address it forwards to. */
  readonly fixedIp: IpAddress;
}

/** An extra route: destination via a next hop on one of the router's subnets. */
export interface ExtraRoute {
  readonly destination: Cidr;
  readonly nexthop: IpAddress;
}

/** A router, checked and resolved: everything the planner needs, every name derived. */
export interface RouterSpec {
  readonly owner: Owner;
  /** `<prefix>qrouter-<topology>.<name>`. */
  readonly namespace: NamespaceName;
  /** The internal ports (`qr-`), in the router's order. */
  readonly interfaces: readonly RouterPort[];
  readonly gateway: RouterGatewaySpec | null;
  readonly routes: readonly ExtraRoute[];
  readonly floatingIps: readonly FloatingIpSpec[];
  /** True when any of its subnets is IPv6 (IPv6 forwarding on). */
  readonly ipv6: boolean;
}

/**
 * The router `name` of a model and the networks it touches.
 *
 * @throws {InvalidInputError} when the model has no such router
 */
export function routerDesired(model: Model, name: string): RouterDesired {
  const router = model.routers.find((r) => r.name === name);
  if (!router)
    throw new InvalidInputError(`router: the model has no router ${JSON.stringify(name)}`, 'router');
  const used = new Set<string>([
    ...router.interfaces.map((i) => i.network),
    ...(router.gateway ? [router.gateway.network] : []),
  ]);
  return { router, networks: model.networks.filter((n) => used.has(n.name)) };
}

/** The namespace of a router. Pure. @throws {InvalidInputError} for a bad topology or name */
export function routerNamespace(ref: RouterRef, prefix?: NetnsPrefix): NamespaceName {
  return namespaceFor(
    'router',
    topologyName(ref.topology, 'router.topology'),
    resourceName(ref.name, 'router.name'),
    prefix,
  );
}

function fail(where: string, message: string): never {
  throw new InvalidInputError(`${where}: ${message}`, where);
}

function list<T>(value: readonly T[] | undefined, where: string): readonly T[] {
  if (!Array.isArray(value)) fail(where, 'not a list');
  return value;
}

/** The network `name` among `networks`, or a clear error naming `where`. */
function networkNamed(networks: ReadonlyMap<string, Network>, name: unknown, where: string): Network {
  const n = typeof name === 'string' ? networks.get(name) : undefined;
  if (!n) {
    const known = [...networks.keys()].join(', ') || 'none';
    fail(where, `${JSON.stringify(name)} is not a network given with the router (given: ${known})`);
  }
  return n;
}

/** A subnet's canonical CIDR, by name, on a network. */
function subnetNamed(network: Network, name: unknown, where: string): Cidr {
  const s = list(network.subnets, `network ${network.name}.subnets`).find((x) => x.name === name);
  if (!s) fail(where, `network ${network.name} has no subnet ${JSON.stringify(name)}`);
  return parseSubnetCidr(s.cidr, `network ${network.name} subnet ${s.name}`);
}

/**
 * Checks a router and resolves it against its networks: every field a plan uses is validated, and
 * what Neutron refuses is refused: a network the router names that is not given, a gateway network
 * that is not external, a gateway IP outside its external subnet, an interface on an external network
 * or with an address outside its subnets, two of its subnets overlapping, two ports of one name, a
 * route whose next hop is on none of its subnets (or is its own address) or whose destination is
 * given twice (ECMP is not supported), a floating IP without a gateway, outside the external subnets,
 * equal to the gateway IP, given twice, or for a fixed IP no router interface reaches.
 *
 * @param prefix the host's namespace prefix (`host.netnsPrefix`)
 * @throws {InvalidInputError} naming the field (`router.gateway.ip`, `router.floatingIps[2].address`…)
 */
export function routerSpec(desired: RouterDesired, prefix?: NetnsPrefix): RouterSpec {
  if (typeof desired !== 'object' || desired === null) fail('router', 'not a router');
  const r = desired.router;
  if (typeof r !== 'object' || r === null) fail('router', 'not a router');
  const topology = topologyName(r.owner?.topology, 'router.owner.topology');
  const name = resourceName(r.name, 'router.name');
  if (r.owner.kind !== 'router' || r.owner.name !== name) {
    fail('router.owner', `must be { topology, kind: 'router', name: ${JSON.stringify(name)} }`);
  }
  const owner: Owner = { topology, kind: 'router', name };
  const namespace = routerNamespace({ topology, name }, prefix);
  const networks = new Map<string, Network>();
  for (const [i, n] of list(desired.networks, 'networks').entries()) {
    if (typeof n !== 'object' || n === null) fail(`networks[${i}]`, 'not a network');
    networks.set(resourceName(n.name, `networks[${i}].name`), n);
  }

  const devices = new Set<string>();
  const port = (
    role: RouterPort['role'],
    network: Network,
    p: Router['interfaces'][number]['port'],
    where: string,
  ): PlugRequest => {
    const checked = plugPort(p, where);
    if (checked.owner.topology !== topology || checked.owner.kind !== 'port') {
      fail(`${where}.owner`, `must be a port of topology ${topology}`);
    }
    const device = hostDevice(role === 'gateway' ? 'qg-' : 'qr-', checked.id, `${where}.id`);
    if (devices.has(device)) fail(`${where}.id`, `a second port of the router would be ${device}`);
    devices.add(device);
    if (network.owner?.topology !== topology || network.owner?.kind !== 'network') {
      fail(`network ${network.name}.owner`, `must be a network of topology ${topology}`);
    }
    const net = plugNetwork(
      { owner: network.owner, id: network.id, mtu: network.mtu, external: network.external },
      `network ${network.name}`,
    );
    return { network: net, port: checked, device, namespace, style: 'internal' };
  };

  const attached: { subnet: Cidr; where: string }[] = [];
  const attach = (subnet: Cidr, where: string) => {
    const clash = attached.find((a) => overlaps(a.subnet, subnet));
    if (clash) fail(where, `${subnet} overlaps ${clash.subnet} (${clash.where}) on router ${name}`);
    attached.push({ subnet, where });
  };

  const interfaces: RouterPort[] = [];
  for (const [i, x] of list(r.interfaces, 'router.interfaces').entries()) {
    const where = `router.interfaces[${i}]`;
    if (typeof x !== 'object' || x === null) fail(where, 'not a router interface');
    const network = networkNamed(networks, x.network, `${where}.network`);
    if (network.external) {
      fail(`${where}.network`, `network ${network.name} is external: make it the router's gateway`);
    }
    const subnets = list(x.subnets, `${where}.subnets`).map((s, k) =>
      subnetNamed(network, s, `${where}.subnets[${k}]`),
    );
    const cidrs = list(x.cidrs, `${where}.cidrs`).map((c, k) => {
      const w = `${where}.cidrs[${k}]`;
      const v = parseInterfaceCidr(c, w);
      const on = subnets.find((s) => s === subnetOf(v));
      if (!on || !isHostOf(on, parseAddress(v.slice(0, v.lastIndexOf('/')), w))) {
        fail(w, `${v} is not a host address of the interface's subnets (${subnets.join(', ') || 'none'})`);
      }
      return v;
    });
    if (cidrs.length === 0) fail(`${where}.cidrs`, 'a router interface needs an address');
    for (const s of subnets) attach(s, where);
    interfaces.push({
      role: 'internal',
      request: port('internal', network, x.port, `${where}.port`),
      cidrs,
      subnets,
    });
  }

  let gateway: RouterGatewaySpec | null = null;
  if (r.gateway !== null && r.gateway !== undefined) {
    const g = r.gateway;
    const where = 'router.gateway';
    const network = networkNamed(networks, g.network, `${where}.network`);
    if (!network.external) {
      fail(
        `${where}.network`,
        `network ${network.name} is not external; a gateway needs an external network`,
      );
    }
    const subnet = subnetNamed(network, g.subnet, `${where}.subnet`);
    const ip = parseAddress(g.ip, `${where}.ip`);
    if (!isHostOf(subnet, ip)) {
      fail(`${where}.ip`, `${ip} is not a host address of the external subnet ${subnet}`);
    }
    const nexthop =
      g.nexthop === null || g.nexthop === undefined ? null : parseAddress(g.nexthop, `${where}.nexthop`);
    if (nexthop !== null && (!containsAddress(subnet, nexthop) || nexthop === ip)) {
      fail(`${where}.nexthop`, `${nexthop} is not another address of the external subnet ${subnet}`);
    }
    if (typeof g.snat !== 'boolean') fail(`${where}.snat`, 'not true or false');
    attach(subnet, where);
    const cidr = withPrefix(ip, Number(subnet.slice(subnet.lastIndexOf('/') + 1)));
    gateway = {
      port: {
        role: 'gateway',
        request: port('gateway', network, g.port, `${where}.port`),
        cidrs: [cidr],
        subnets: [subnet],
      },
      ip,
      nexthop,
      snat: g.snat,
    };
  }

  const own = new Set<string>([
    ...interfaces.flatMap((p) => p.cidrs.map((c) => c.slice(0, c.lastIndexOf('/')))),
    ...(gateway ? [gateway.ip] : []),
  ]);
  const routes: ExtraRoute[] = [];
  for (const [i, x] of list(r.routes, 'router.routes').entries()) {
    const where = `router.routes[${i}]`;
    if (typeof x !== 'object' || x === null) fail(where, 'not a route');
    const destination = parseSubnetCidr(x.destination, `${where}.destination`);
    const nexthop = parseAddress(x.nexthop, `${where}.nexthop`);
    if (familyOf(nexthop) !== familyOf(destination)) {
      fail(`${where}.nexthop`, `${nexthop} and ${destination} are of different families`);
    }
    if (!attached.some((a) => containsAddress(a.subnet, nexthop))) {
      fail(
        `${where}.nexthop`,
        `${nexthop} is not on a subnet of router ${name} (${attached.map((a) => a.subnet).join(', ') || 'none'})`,
      );
    }
    if (own.has(nexthop)) fail(`${where}.nexthop`, `${nexthop} is router ${name}'s own address`);
    if (routes.some((o) => o.destination === destination)) {
      fail(
        `${where}.destination`,
        `${destination} is routed twice (several next hops, ECMP, are not supported)`,
      );
    }
    routes.push({ destination, nexthop });
  }

  const floatingIps: FloatingIpSpec[] = [];
  const fips = list(r.floatingIps, 'router.floatingIps');
  const seen = new Map<string, string>();
  for (const [i, f] of fips.entries()) {
    const where = `router.floatingIps[${i}]`;
    if (typeof f !== 'object' || f === null) fail(where, 'not a floating IP');
    const fname = resourceName(f.name, `${where}.name`);
    if (!gateway) fail(where, `router ${name} has no gateway to carry floating IP ${fname}`);
    if (f.network !== r.gateway?.network) {
      fail(
        `${where}.network`,
        `${JSON.stringify(f.network)} is not the gateway's network ${r.gateway?.network}`,
      );
    }
    const address = parseAddress(f.address, `${where}.address`);
    const external = networkNamed(networks, f.network, `${where}.network`);
    const on = external.subnets.some((s) =>
      isHostOf(parseSubnetCidr(s.cidr, `network ${external.name}`), address),
    );
    if (familyOf(address) !== 4 || !on) {
      fail(`${where}.address`, `${address} is not an IPv4 host address of network ${external.name}`);
    }
    if (address === gateway.ip) fail(`${where}.address`, `${address} is the router's gateway IP`);
    const twice = seen.get(address);
    if (twice) fail(`${where}.address`, `${address} is already in use by floating IP ${twice}`);
    seen.set(address, fname);
    const fixedIp = parseAddress(f.fixedIp, `${where}.fixedIp`);
    const reached = interfaces.some((p) => p.subnets.some((s) => isHostOf(s, fixedIp)));
    if (familyOf(fixedIp) !== 4 || !reached || own.has(fixedIp)) {
      fail(
        `${where}.fixedIp`,
        `${fixedIp} is not an instance address on a subnet of router ${name}'s interfaces`,
      );
    }
    floatingIps.push({ name: fname, address, fixedIp });
  }

  const ipv6 = attached.some((a) => familyOf(a.subnet) === 6);
  return { owner, namespace, interfaces, gateway, routes, floatingIps, ipv6 };
}
