import { InvalidInputError } from '../errors.js';
import { existingNamespace } from '../net/namespace.js';
import {
  cidr,
  deviceName,
  familyOf,
  intIn,
  ipAddress,
  routeScope,
  type TableId,
  tableId,
} from '../net/types.js';
import { ipExecutor } from './batch.js';
import { ObjectNotFoundError } from './errors.js';
import type { IpOp, RouteScope, RouteSpec } from './ops.js';

/** A route as given by a caller; every field is validated. */
export interface RouteArgs {
  readonly namespace?: string | null;
  /** A CIDR or `default`. */
  readonly to: string;
  /** For `default` without `via`: which family's default (4 unless said). */
  readonly family?: 4 | 6;
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
  readonly family: 4 | 6;
  readonly via: string | null;
  readonly dev: string | null;
  readonly metric: number | null;
  readonly table: TableId;
  readonly scope: string;
  readonly protocol: string;
  readonly type: string;
  readonly src: string | null;
  readonly onlink: boolean;
}

/** Validates a route; pure apart from throwing. @throws {InvalidInputError} */
export function routeSpec(a: RouteArgs): RouteSpec {
  const to = a.to === 'default' ? 'default' : cidr(a.to, 'to');
  const via = a.via === undefined ? undefined : ipAddress(a.via, 'via');
  const family = to === 'default' ? (via ? familyOf(via) : (a.family ?? 4)) : familyOf(to);
  if (via && familyOf(via) !== family) {
    throw new InvalidInputError(`via: "${via}" is not in the same family as "${a.to}"`, 'via');
  }
  return {
    to,
    family,
    ...(via ? { via } : {}),
    ...(a.dev !== undefined ? { dev: deviceName(a.dev, 'dev') } : {}),
    ...(a.metric !== undefined ? { metric: intIn(a.metric, 0, 0xffffffff, 'metric') } : {}),
    ...(a.table !== undefined ? { table: tableId(a.table) } : {}),
    ...(a.scope !== undefined ? { scope: routeScope(a.scope) } : {}),
    ...(a.onlink ? { onlink: true } : {}),
    ...(a.src !== undefined ? { src: ipAddress(a.src, 'src') } : {}),
  };
}

async function routeOp(kind: 'route.add' | 'route.replace' | 'route.del', a: RouteArgs): Promise<void> {
  const route = routeSpec(a);
  const ns = existingNamespace(a.namespace);
  await ipExecutor().apply(ns, [{ op: kind, route, family: route.family ?? 4 }]);
}

/** Adds a route. @throws {ObjectExistsError} when it exists; {@link InvalidArgumentError} for a bad gateway */
export function addRoute(a: RouteArgs): Promise<void> {
  return routeOp('route.add', a);
}

/** Adds or replaces the route with the same destination, table and metric. */
export function replaceRoute(a: RouteArgs): Promise<void> {
  return routeOp('route.replace', a);
}

/** Deletes a route; an absent route is success. @returns true if it was there */
export async function deleteRoute(a: RouteArgs): Promise<boolean> {
  try {
    await routeOp('route.del', a);
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  }
}

/** Lists routes of one family (IPv4 unless said), optionally of one table only. */
export async function listRoutes(
  a: { readonly namespace?: string | null; readonly family?: 4 | 6; readonly table?: number | string } = {},
): Promise<RouteInfo[]> {
  const family = a.family ?? 4;
  const table = a.table === undefined ? undefined : tableId(a.table);
  const ns = existingNamespace(a.namespace);
  const [r] = await ipExecutor().apply(ns, [{ op: 'route.show', family }]);
  const all = parseRoutes(r?.output, family);
  return table === undefined ? all : all.filter((x) => x.table === table);
}

/** Turns `ip -j route show table all` output into {@link RouteInfo}s. Pure. */
export function parseRoutes(output: unknown, family: 4 | 6): RouteInfo[] {
  if (!Array.isArray(output)) return [];
  return (output as Record<string, unknown>[]).map((r) => {
    const flags = (r.flags as string[] | undefined) ?? [];
    return {
      to: String(r.dst),
      family,
      via: typeof r.gateway === 'string' ? r.gateway : null,
      dev: typeof r.dev === 'string' ? r.dev : null,
      metric: typeof r.metric === 'number' ? r.metric : null,
      table: tableId(r.table === undefined ? 'main' : String(r.table)),
      scope: String(r.scope ?? 'global'),
      protocol: String(r.protocol ?? 'boot'),
      type: String(r.type ?? 'unicast'),
      src: typeof r.prefsrc === 'string' ? r.prefsrc : null,
      onlink: flags.includes('onlink'),
    };
  });
}

/** Flushes every route of one family from a table. */
export async function flushRoutes(a: {
  readonly namespace?: string | null;
  readonly table: number | string;
  readonly family?: 4 | 6;
}): Promise<void> {
  const table = tableId(a.table);
  const ns = existingNamespace(a.namespace);
  await ipExecutor().apply(ns, [{ op: 'route.flush', table, family: a.family ?? 4 }]);
}

/** Arguments for the default-gateway helpers. */
export interface GatewayArgs {
  readonly namespace?: string | null;
  readonly family?: 4 | 6;
  readonly table?: number | string;
}

/**
 * Sets the default gateway by replace, so there is never a second default in the table (for the
 * same metric). A different metric than the existing default's removes the old one first.
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
  const ns = existingNamespace(a.namespace);
  const current = await getDefaultGateways({ ...a, family: route.family ?? 4 });
  const ops: IpOp[] = [];
  for (const g of current) {
    if (g.metric === (route.metric ?? (route.family === 6 ? 1024 : null))) continue;
    ops.push({
      op: 'route.del',
      family: route.family ?? 4,
      route: {
        to: 'default',
        family: route.family ?? 4,
        ...(g.metric !== null ? { metric: g.metric } : {}),
        ...(route.table ? { table: route.table } : {}),
      },
    });
  }
  ops.push({ op: 'route.replace', route, family: route.family ?? 4 });
  await ipExecutor().apply(ns, ops);
}

/** The default routes of a table (main unless said). */
export async function getDefaultGateways(a: GatewayArgs = {}): Promise<RouteInfo[]> {
  const table = tableId(a.table ?? 'main');
  const routes = await listRoutes({ ...a, table });
  return routes.filter((r) => r.to === 'default' && r.type === 'unicast');
}

/** Removes every default route of the family from the table. @returns how many were removed */
export async function deleteDefaultGateway(a: GatewayArgs = {}): Promise<number> {
  const family = a.family ?? 4;
  const table = tableId(a.table ?? 'main');
  const ns = existingNamespace(a.namespace);
  const current = await getDefaultGateways({ ...a, table, family });
  if (current.length === 0) return 0;
  const ops: IpOp[] = current.map((g) => ({
    op: 'route.del',
    family,
    route: { to: 'default', family, table, ...(g.metric !== null ? { metric: g.metric } : {}) },
  }));
  await ipExecutor().apply(ns, ops);
  return current.length;
}
