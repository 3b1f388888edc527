// Routes: add, replace, delete, list, flush and the default gateway, as spec -> ops -> run (Neutron: ip_lib.IpRouteCommand).
import { InvalidInputError } from '../errors.js';
import { optionalNamespace } from '../net/namespace.js';
import {
  cidr,
  deviceName,
  familyOf,
  type IpFamily,
  intIn,
  ipAddress,
  routeScope,
  type TableId,
  tableId,
} from '../net/types.js';
import { defined } from './defined.js';
import { ObjectNotFoundError } from './errors.js';
import { executorOf, type Via } from './executor.js';
import type { IpOp, RouteScope, RouteSpec } from './ops.js';

/** A route as given by a caller; every field is validated. */
export interface RouteArgs extends Via {
  readonly namespace?: string | null;
  /** A CIDR or `default`. */
  readonly to: string;
  /** For `default` without `via`: which family's default (4 unless said). */
  readonly family?: IpFamily;
  readonly via?: string;
  readonly dev?: string;
  readonly metric?: number;
  /** `main`, `local`, `default` or a number. */
  readonly table?: number | string;
  readonly scope?: RouteScope;
  readonly onlink?: boolean;
  readonly src?: string;
}

/** A route as read back from the kernel. */
export interface RouteInfo {
  readonly to: string;
  readonly family: IpFamily;
  readonly via: string | null;
  readonly dev: string | null;
  readonly metric: number | null;
  /** The table: a {@link TableId}, or the name `/etc/iproute2/rt_tables` gives a number. */
  readonly table: TableId | string;
  readonly scope: string;
  readonly protocol: string;
  readonly type: string;
  readonly src: string | null;
  readonly onlink: boolean;
}

function family(value: unknown, where = 'family'): IpFamily | undefined {
  if (value === undefined || value === 4 || value === 6) return value;
  throw new InvalidInputError(`${where}: ${JSON.stringify(value) ?? String(value)} is not 4 or 6`, where);
}

/** Validates a route (not its namespace); pure apart from throwing. @throws {InvalidInputError} */
export function routeSpec(a: Omit<RouteArgs, 'namespace' | 'executor'>): RouteSpec {
  const to = a.to === 'default' ? 'default' : cidr(a.to, 'to');
  const via = a.via === undefined ? undefined : ipAddress(a.via, 'via');
  const fam = to === 'default' ? (via ? familyOf(via) : (family(a.family) ?? 4)) : familyOf(to);
  if (via && familyOf(via) !== fam) {
    throw new InvalidInputError(`via: "${via}" is not in the same family as "${a.to}"`, 'via');
  }
  return defined({
    to,
    family: fam,
    via,
    dev: a.dev === undefined ? undefined : deviceName(a.dev, 'dev'),
    metric: a.metric === undefined ? undefined : intIn(a.metric, 0, 0xffffffff, 'metric'),
    table: a.table === undefined ? undefined : tableId(a.table),
    scope: a.scope === undefined ? undefined : routeScope(a.scope),
    onlink: a.onlink ? true : undefined,
    src: a.src === undefined ? undefined : ipAddress(a.src, 'src'),
  });
}

/** The op that adds a route. Pure. */
export function addRouteOps(route: RouteSpec): IpOp[] {
  return [{ op: 'route.add', route, family: route.family ?? 4 }];
}

/** The op that adds or replaces a route. Pure. */
export function replaceRouteOps(route: RouteSpec): IpOp[] {
  return [{ op: 'route.replace', route, family: route.family ?? 4 }];
}

/** The op that deletes a route. Pure. */
export function deleteRouteOps(route: RouteSpec): IpOp[] {
  return [{ op: 'route.del', route, family: route.family ?? 4 }];
}

async function runRoute(build: (r: RouteSpec) => IpOp[], a: RouteArgs): Promise<void> {
  const route = routeSpec(a);
  const ns = optionalNamespace(a.namespace);
  await executorOf(a).apply(ns, build(route));
}

/**
 * Adds a route.
 *
 * Equivalent to: `ip [-n NS] route add TO [via GW] [dev DEV] [src A] [metric M] [table T] [scope S] [onlink]`
 *
 * @throws {ObjectExistsError} when it exists; {@link InvalidArgumentError} for a bad gateway
 */
export function addRoute(a: RouteArgs): Promise<void> {
  return runRoute(addRouteOps, a);
}

/**
 * Adds or replaces the route with the same destination, table and metric.
 *
 * Equivalent to: `ip [-n NS] route replace TO …`
 */
export function replaceRoute(a: RouteArgs): Promise<void> {
  return runRoute(replaceRouteOps, a);
}

/**
 * Deletes a route; an absent route is success.
 *
 * Equivalent to: `ip [-n NS] route del TO …`
 *
 * @returns true if it was there
 */
export async function deleteRoute(a: RouteArgs): Promise<boolean> {
  try {
    await runRoute(deleteRouteOps, a);
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  }
}

/**
 * Lists routes of one family (IPv4 unless said), of every table or one.
 *
 * Equivalent to: `ip [-n NS] [-6] -j route show table all`
 */
export async function listRoutes(
  a: Via & {
    readonly namespace?: string | null;
    readonly family?: IpFamily;
    readonly table?: number | string;
  } = {},
): Promise<RouteInfo[]> {
  const fam = family(a.family) ?? 4;
  const table = a.table === undefined ? undefined : tableId(a.table);
  const ns = optionalNamespace(a.namespace);
  const [r] = await executorOf(a).apply(ns, [{ op: 'route.show', family: fam }]);
  const all = parseRoutes(r?.output, fam);
  return table === undefined ? all : all.filter((x) => x.table === table);
}

/** A table as `ip -j` prints it: a number, a known name, or a name from rt_tables kept as is. */
function tableOf(value: unknown): TableId | string {
  const t = value === undefined ? 'main' : String(value);
  return /^\d+$/.test(t) || t === 'main' || t === 'local' || t === 'default' ? tableId(t) : t;
}

/** Turns `ip -j route show table all` output into {@link RouteInfo}s. Pure; never throws on kernel text. */
export function parseRoutes(output: unknown, family: IpFamily): RouteInfo[] {
  if (!Array.isArray(output)) return [];
  return (output as Record<string, unknown>[]).map((r) => {
    const flags = (r.flags as string[] | undefined) ?? [];
    return {
      to: String(r.dst),
      family,
      via: typeof r.gateway === 'string' ? r.gateway : null,
      dev: typeof r.dev === 'string' ? r.dev : null,
      metric: typeof r.metric === 'number' ? r.metric : null,
      table: tableOf(r.table),
      scope: String(r.scope ?? 'global'),
      protocol: String(r.protocol ?? 'boot'),
      type: String(r.type ?? 'unicast'),
      src: typeof r.prefsrc === 'string' ? r.prefsrc : null,
      onlink: flags.includes('onlink'),
    };
  });
}

/** The op that flushes every route of one family from a table. Pure. */
export function flushRoutesOps(table: TableId, family: IpFamily = 4): IpOp[] {
  return [{ op: 'route.flush', table, family }];
}

/**
 * Flushes every route of one family from a table.
 *
 * Equivalent to: `ip [-n NS] [-6] route flush table T`
 */
export async function flushRoutes(
  a: Via & {
    readonly namespace?: string | null;
    readonly table: number | string;
    readonly family?: IpFamily;
  },
): Promise<void> {
  const table = tableId(a.table);
  const fam = family(a.family) ?? 4;
  const ns = optionalNamespace(a.namespace);
  await executorOf(a).apply(ns, flushRoutesOps(table, fam));
}

/** Arguments for the default-gateway helpers. */
export interface GatewayArgs extends Via {
  readonly namespace?: string | null;
  readonly family?: IpFamily;
  readonly table?: number | string;
}

/**
 * The ops that make `route` the only default route of its table and family, given the defaults
 * there now: it is set by replace, and defaults with another metric are deleted first. Pure.
 */
export function defaultGatewayOps(route: RouteSpec, current: readonly RouteInfo[]): IpOp[] {
  const fam = route.family ?? 4;
  const ops: IpOp[] = [];
  for (const g of current) {
    if (g.metric === (route.metric ?? (fam === 6 ? 1024 : null))) continue;
    ops.push({
      op: 'route.del',
      family: fam,
      route: defined({
        to: 'default' as const,
        family: fam,
        metric: g.metric ?? undefined,
        table: route.table,
      }),
    });
  }
  ops.push({ op: 'route.replace', route, family: fam });
  return ops;
}

/**
 * Sets the default gateway by replace, so there is never a second default in the table (for the
 * same metric). A different metric than the existing default's removes the old one first.
 *
 * Equivalent to: `ip [-n NS] route replace default via GW [dev DEV] [metric M] [table T]`
 */
export async function setDefaultGateway(
  a: GatewayArgs & {
    readonly via: string;
    readonly dev?: string;
    readonly metric?: number;
    readonly onlink?: boolean;
  },
): Promise<void> {
  const route = routeSpec({ ...a, to: 'default' });
  const ns = optionalNamespace(a.namespace);
  const current = await getDefaultGateways({ ...a, family: route.family ?? 4 });
  await executorOf(a).apply(ns, defaultGatewayOps(route, current));
}

/** The default routes of a table (main unless said). */
export async function getDefaultGateways(a: GatewayArgs = {}): Promise<RouteInfo[]> {
  const table = tableId(a.table ?? 'main');
  const routes = await listRoutes({ ...a, table });
  return routes.filter((r) => r.to === 'default' && r.type === 'unicast');
}

/**
 * Removes every default route of the family from the table.
 *
 * Equivalent to: `ip [-n NS] route del default [metric M] table T`, once per default route
 *
 * @returns how many were removed
 */
export async function deleteDefaultGateway(a: GatewayArgs = {}): Promise<number> {
  const fam = family(a.family) ?? 4;
  const table = tableId(a.table ?? 'main');
  const ns = optionalNamespace(a.namespace);
  const current = await getDefaultGateways({ ...a, table, family: fam });
  if (current.length === 0) return 0;
  const ops: IpOp[] = current.map((g) => ({
    op: 'route.del',
    family: fam,
    route: defined({ to: 'default' as const, family: fam, table, metric: g.metric ?? undefined }),
  }));
  await executorOf(a).apply(ns, ops);
  return current.length;
}
