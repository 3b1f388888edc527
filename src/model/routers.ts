// Routers of a topology input, checked field by field (names, gateway, interfaces, extra routes), as
// Neutron's L3 API reads them (neutron/db/l3_db.py, extraroute_db.py). Whether the networks they name
// exist and fit together is `validate.ts`'s question.
import { parseSubnetCidr } from '../net/cidr.js';
import { type ResourceName, userName } from '../net/ownership.js';
import type { Cidr, IpAddress } from '../net/types.js';
import {
  addressField,
  asObject,
  boolField,
  hostField,
  listField,
  nameField,
  onlyKeys,
  type Path,
  type Problems,
  pathText,
  type Raw,
  show,
} from './problems.js';

/** A router's gateway as given. */
export interface GatewayDraft {
  readonly network: ResourceName;
  readonly ip: IpAddress | null;
  readonly snat: boolean;
  readonly path: Path;
}

/** A router interface as given: a network, optionally the subnet (by CIDR) and the router's IP. */
export interface InterfaceDraft {
  readonly network: ResourceName;
  readonly subnet: Cidr | null;
  readonly ip: IpAddress | null;
  readonly path: Path;
  /** Where the network's name is: the list item itself, or its `network` field. */
  readonly networkPath: Path;
}

/** An extra route as given. */
export interface RouteDraft {
  readonly destination: Cidr;
  readonly nexthop: IpAddress;
  readonly path: Path;
}

/** A checked router, its references not yet resolved. */
export interface RouterDraft {
  readonly name: ResourceName;
  readonly path: Path;
  readonly host: ResourceName | null;
  readonly gateway: GatewayDraft | null;
  readonly interfaces: readonly InterfaceDraft[];
  readonly routes: readonly RouteDraft[];
}

const ROUTER_KEYS = ['name', 'host', 'gateway', 'interfaces', 'routes'] as const;
const GATEWAY_KEYS = ['network', 'ip', 'snat'] as const;
const INTERFACE_KEYS = ['network', 'subnet', 'ip'] as const;
const ROUTE_KEYS = ['destination', 'nexthop'] as const;

function parseGateway(p: Problems, raw: unknown, path: Path): GatewayDraft | null {
  const obj = asObject(p, raw, path, 'a router gateway');
  if (!obj) return null;
  onlyKeys(p, obj, path, GATEWAY_KEYS);
  const network = nameField(p, obj, 'network', path, 'a router gateway');
  const ip = addressField(p, obj, 'ip', path);
  const snat = boolField(p, obj, 'snat', path, true);
  return network ? { network, ip, snat, path } : null;
}

function parseInterface(p: Problems, raw: unknown, path: Path): InterfaceDraft | null {
  if (typeof raw === 'string') {
    const network = p.check(path, (w) => userName(raw, w));
    return network ? { network, subnet: null, ip: null, path, networkPath: path } : null;
  }
  const obj = asObject(p, raw, path, 'a network name or a router interface');
  if (!obj) return null;
  onlyKeys(p, obj, path, INTERFACE_KEYS);
  const network = nameField(p, obj, 'network', path, 'a router interface');
  const subnet =
    obj.subnet === undefined
      ? null
      : (p.check([...path, 'subnet'], (w) => parseSubnetCidr(obj.subnet, w)) ?? null);
  const ip = addressField(p, obj, 'ip', path);
  return network ? { network, subnet, ip, path, networkPath: [...path, 'network'] } : null;
}

function parseRoute(p: Problems, raw: unknown, path: Path): RouteDraft | null {
  const obj = asObject(p, raw, path, 'a route');
  if (!obj) return null;
  onlyKeys(p, obj, path, ROUTE_KEYS);
  if (obj.destination === undefined) p.add(path, 'a route needs a destination (as 10.50.0.0/24)');
  if (obj.nexthop === undefined) p.add(path, 'a route needs a nexthop');
  const destination =
    obj.destination === undefined
      ? undefined
      : p.check([...path, 'destination'], (w) => parseSubnetCidr(obj.destination, w));
  const nexthop = addressField(p, obj, 'nexthop', path);
  if (!destination || !nexthop) return null;
  if ((destination.includes(':') ? 6 : 4) !== (nexthop.includes(':') ? 6 : 4)) {
    p.add(
      [...path, 'nexthop'],
      `next hop ${nexthop} and destination ${destination} are of different families`,
    );
    return null;
  }
  return { destination, nexthop, path };
}

/**
 * Checks the routers of a topology input field by field: names (unique), host, gateway (network,
 * IP, SNAT), interfaces (a network name or `{ network, subnet, ip }`), extra routes (destination
 * CIDR with host bits zero, next hop of its family, no duplicates). Records every problem; returns the
 * routers by name, in input order.
 */
export function parseRouters(p: Problems, input: Raw): Map<ResourceName, RouterDraft> {
  const out = new Map<ResourceName, RouterDraft>();
  listField(p, input, 'routers', []).forEach((raw, i) => {
    const path: Path = ['routers', i];
    const obj = asObject(p, raw, path, 'a router');
    if (!obj) return;
    onlyKeys(p, obj, path, ROUTER_KEYS);
    const name = nameField(p, obj, 'name', path, 'a router');
    const host = hostField(p, obj, path);
    const gateway = obj.gateway === undefined ? null : parseGateway(p, obj.gateway, [...path, 'gateway']);
    const interfaces: InterfaceDraft[] = [];
    listField(p, obj, 'interfaces', path).forEach((r, k) => {
      const d = parseInterface(p, r, [...path, 'interfaces', k]);
      if (d) interfaces.push(d);
    });
    const routes: RouteDraft[] = [];
    listField(p, obj, 'routes', path).forEach((r, k) => {
      const d = parseRoute(p, r, [...path, 'routes', k]);
      if (!d) return;
      const same = routes.find((o) => o.destination === d.destination && o.nexthop === d.nexthop);
      if (same) p.add(d.path, `the route to ${d.destination} via ${d.nexthop} is listed twice`);
      else routes.push(d);
    });
    if (!name) return;
    const first = out.get(name);
    if (first) {
      p.add([...path, 'name'], `router name ${show(name)} is used twice (also ${pathText(first.path)})`);
      return;
    }
    out.set(name, { name, path, host, gateway, interfaces, routes });
  });
  return out;
}
