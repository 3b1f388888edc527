// A router's extra routes as a diff (pure): exactly the wanted destinations via their next hops in
// the namespace's main table, each a `route replace` or `route del`; the kernel's own routes and the
// default route are not extra routes. Neutron: router_info.py routes_updated / update_routing_table
// (replace semantics).
import type { NamespaceState } from '../ip/observe.js';
import type { IpOp } from '../ip/ops.js';
import type { RouteInfo } from '../ip/routes.js';
import { parseAddress, parsePrefix } from '../net/cidr.js';
import { type Cidr, familyOf } from '../net/types.js';
import type { ExtraRoute } from './desired.js';

/** An observed route's destination as a canonical CIDR (host routes print without `/32`), or null. */
function destination(r: RouteInfo): Cidr | null {
  try {
    return r.to === 'default' ? null : parsePrefix(r.to, 'route');
  } catch {
    return null;
  }
}

function via(r: RouteInfo): string | null {
  try {
    return r.via === null ? null : parseAddress(r.via, 'via');
  } catch {
    return null;
  }
}

/** An extra route as observed, with whether it has the metric a `route replace` without one gives. */
export interface ObservedRoute extends ExtraRoute {
  readonly defaultMetric: boolean;
}

/** The extra routes a namespace holds now: every non-default route via a next hop in `main`. Pure. */
export function observedExtraRoutes(state: NamespaceState | null): ObservedRoute[] {
  const out: ObservedRoute[] = [];
  for (const r of state?.routes ?? []) {
    if (r.table !== 'main' || r.type !== 'unicast') continue;
    const d = destination(r);
    const v = via(r);
    if (!d || !v) continue;
    const defaultMetric = r.metric === null || r.metric === (r.family === 6 ? 1024 : 0);
    out.push({ destination: d, nexthop: v as ExtraRoute['nexthop'], defaultMetric });
  }
  return out;
}

/**
 * The ops that make a router namespace hold exactly `wanted` as extra routes: a missing or changed
 * one is `route replace DEST via NEXTHOP`, one no longer wanted `route del DEST via NEXTHOP`. [] when
 * converged. Pure.
 *
 * Equivalent to: `ip route replace DEST via NEXTHOP`, `ip route del DEST via NEXTHOP`
 */
export function planExtraRoutes(wanted: readonly ExtraRoute[], state: NamespaceState | null): IpOp[] {
  const have = observedExtraRoutes(state);
  const want = new Map(wanted.map((r) => [r.destination, r.nexthop]));
  const right = new Set(have.filter((r) => want.get(r.destination) === r.nexthop).map((r) => r.destination));
  const ops: IpOp[] = [];
  const kept = new Set<string>();
  const replaced = new Set<string>();
  for (const r of have) {
    const hop = want.get(r.destination);
    if (hop === r.nexthop && !kept.has(r.destination)) {
      kept.add(r.destination);
      continue;
    }
    // A wanted destination via another hop: the `replace` below overwrites it (once).
    if (hop !== undefined && r.defaultMetric && !right.has(r.destination) && !replaced.has(r.destination)) {
      replaced.add(r.destination);
      continue;
    }
    ops.push({
      op: 'route.del',
      family: familyOf(r.destination),
      route: { to: r.destination, via: r.nexthop },
    });
  }
  for (const r of wanted) {
    if (kept.has(r.destination)) continue;
    ops.push({
      op: 'route.replace',
      family: familyOf(r.destination),
      route: { to: r.destination, via: r.nexthop },
    });
  }
  return ops;
}
