// init_l3 as a plan: the addresses a plugged device carries, its default route(s) via the gateway and
// on-link routes for extra subnets, converged from one observation of its namespace.
// Neutron: interface.py's LinuxInterfaceDriver.init_l3 and init_router_port.
import { InvalidInputError } from '../errors.js';
import { planAddresses } from '../ip/addresses.js';
import type { NamespaceState } from '../ip/observe.js';
import type { IpOp } from '../ip/ops.js';
import type { RouteInfo } from '../ip/routes.js';
import { parseAddress, parsePrefix } from '../net/cidr.js';
import {
  type Cidr,
  cidr,
  deviceName,
  familyOf,
  type IpAddress,
  type IpFamily,
  namespaceName,
} from '../net/types.js';
import { Observation } from '../reconcile/observation.js';
import type { Change, IpStep, ResourceRef } from '../reconcile/step.js';
import { applyOrThrow } from './apply.js';
import type { ApplyWith, InitL3Request, PlugOutcome } from './driver.js';

/**
 * Validates an init_l3 request: the device, the CIDRs, at most one gateway per family, the extra
 * subnets (canonical network CIDRs).
 *
 * @throws {InvalidInputError} naming the field
 */
export function initL3Request(req: InitL3Request, where = 'initL3'): InitL3Request {
  if (typeof req !== 'object' || req === null) throw new InvalidInputError(`${where}: not a request`, where);
  if (!Array.isArray(req.cidrs)) throw new InvalidInputError(`${where}.cidrs: not a list`, `${where}.cidrs`);
  const gateways = (req.gateways ?? []).map((g, i) => parseAddress(g, `${where}.gateways[${i}]`));
  const families = gateways.map(familyOf);
  if (new Set(families).size !== families.length) {
    throw new InvalidInputError(`${where}.gateways: at most one gateway per family`, `${where}.gateways`);
  }
  return {
    device: deviceName(req.device, `${where}.device`),
    place: req.place === 'host' ? 'host' : namespaceName(req.place, `${where}.place`),
    cidrs: req.cidrs.map((c, i) => cidr(c, `${where}.cidrs[${i}]`)),
    gateways,
    extraSubnets: (req.extraSubnets ?? []).map((c, i) => parsePrefix(c, `${where}.extraSubnets[${i}]`)),
  };
}

/** A route's destination as a canonical CIDR (the kernel prints a host route without `/32`), or null. */
function destination(r: RouteInfo): Cidr | null {
  if (r.to === 'default') return null;
  try {
    return parsePrefix(r.to, 'route');
  } catch {
    return null;
  }
}

function sameAddress(a: string | null, b: IpAddress): boolean {
  if (a === null) return false;
  try {
    return parseAddress(a, 'via') === parseAddress(b, 'gateway');
  } catch {
    return false;
  }
}

/**
 * The `ip` ops that make a device carry exactly `cidrs` (configured global addresses; the IPv6
 * link-local and learned ones stay), the default route of each gateway's family via that gateway over
 * the device (other default routes of that family in the main table are removed), and exactly
 * `extraSubnets` as on-link routes over the device (`scope link`, no gateway; routes the kernel made
 * for the device's own addresses are not touched). [] when converged. Pure.
 *
 * Equivalent to: `ip addr add/del CIDR dev DEV`, `ip route replace default via GW dev DEV`,
 * `ip route replace SUBNET dev DEV scope link`, `ip route del SUBNET dev DEV`
 *
 * @param observed the device's namespace as observed (null: missing, everything is planned)
 * @throws {InvalidInputError} for a malformed request
 */
export function planInitL3(req: InitL3Request, observed: NamespaceState | null): IpOp[] {
  const r = initL3Request(req);
  const dev = r.device;
  const link = observed?.links.find((l) => l.name === dev);
  const ops: IpOp[] = [...planAddresses(dev, r.cidrs, link?.addresses ?? [])];
  const main = (observed?.routes ?? []).filter((x) => x.table === 'main' && x.type === 'unicast');
  for (const gw of r.gateways ?? []) {
    const family: IpFamily = familyOf(gw);
    const defaults = main.filter((x) => x.to === 'default' && x.family === family);
    const good = defaults.filter((x) => sameAddress(x.via, gw) && x.dev === dev);
    if (good.length === 1 && defaults.length === 1) continue;
    for (const d of defaults) {
      if (d === good[0]) continue;
      ops.push({
        op: 'route.del',
        family,
        route: {
          to: 'default',
          family,
          ...(d.metric === null ? {} : { metric: d.metric }),
          ...(d.dev ? { dev: deviceName(d.dev) } : {}),
        },
      });
    }
    if (good.length === 0)
      ops.push({ op: 'route.replace', family, route: { to: 'default', family, via: gw, dev } });
  }
  const want = new Set(r.extraSubnets);
  const onLink = main.filter(
    (x) =>
      x.dev === dev && x.via === null && x.scope === 'link' && x.protocol !== 'kernel' && x.to !== 'default',
  );
  const have = new Set(onLink.map(destination).filter((d): d is Cidr => d !== null));
  for (const d of have) {
    if (!want.has(d)) ops.push({ op: 'route.del', family: familyOf(d), route: { to: d, dev } });
  }
  for (const d of want) {
    if (!have.has(d))
      ops.push({ op: 'route.replace', family: familyOf(d), route: { to: d, dev, scope: 'link' } });
  }
  return ops;
}

/** The `l3`-phase step of an init_l3 plan, or none when it is empty. Pure. */
export function initL3Steps(req: InitL3Request, ops: readonly IpOp[]): IpStep[] {
  return ops.length === 0 ? [] : [{ via: 'ip', phase: 'l3', place: req.place, ops }];
}

/**
 * Converges a device's addresses and routes (observe, plan, apply); nothing is sent when converged.
 *
 * @param resource whom the change is reported under
 * @throws {InvalidInputError} before anything runs; the failing step's error
 */
export async function initL3(
  req: InitL3Request,
  resource: ResourceRef,
  opts: ApplyWith,
): Promise<PlugOutcome> {
  const r = initL3Request(req);
  const obs = new Observation(opts.executors);
  const ops = planInitL3(r, await obs.namespace(r.place));
  if (ops.length === 0) return { planned: [], operations: 0 };
  const planned: Change[] = [
    {
      resource: { topology: resource.topology, kind: resource.kind, name: resource.name },
      action: 'update',
      summary: `~ ${resource.kind} ${resource.name}: ${r.device} addresses and routes`,
      steps: initL3Steps(r, ops),
    },
  ];
  return { planned, operations: await applyOrThrow(planned, opts.executors) };
}
