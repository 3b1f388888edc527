// Observe one namespace's whole L2/L3 state in pipelined reads, for planners (Neutron: what init_l3 and the L3 agent read through ip_lib).
import { NamespaceNotFoundError, optionalNamespace } from '../net/namespace.js';
import { executorOf, type Via } from './executor.js';
import { type LinkInfo, parseLinks } from './links.js';
import { type NeighbourInfo, parseNeighbours } from './neighbours.js';
import { parseRoutes, type RouteInfo } from './routes.js';
import { parseRules, type RuleInfo } from './rules.js';

/** What one namespace holds, as read by {@link observeNamespace}. */
export interface NamespaceState {
  /** Every link, with its addresses (both families). */
  readonly links: readonly LinkInfo[];
  /** Every route of every table, IPv4 then IPv6. */
  readonly routes: readonly RouteInfo[];
  /** Every policy rule, IPv4 then IPv6. */
  readonly rules: readonly RuleInfo[];
  /** Every neighbour entry (both families). */
  readonly neighbours: readonly NeighbourInfo[];
}

/**
 * Reads a namespace's links (with addresses), routes (IPv4 and IPv6, all tables), rules (both
 * families) and neighbours. The reads are pipelined: four on the namespace's coprocess and, at the
 * same time, two on its `-6` coprocess (IPv6 route and rule dumps need `ip -6`). Read-only.
 *
 * Equivalent to: `ip -n NS -d -j addr show; ip -n NS -j route show table all; ip -n NS -6 -j route show table all;
 * ip -n NS -j rule show; ip -n NS -6 -j rule show; ip -n NS -j neigh show`
 *
 * @returns the state, or null when the namespace does not exist (to a planner, a missing namespace
 *   is a state, not an error)
 * @throws {InvalidInputError} for a bad namespace name; other errors of the executor
 */
export async function observeNamespace(
  namespace: string | null | undefined,
  options: Via = {},
): Promise<NamespaceState | null> {
  const ns = optionalNamespace(namespace);
  const ex = executorOf(options);
  try {
    const [[links, routes4, rules4, neighbours], [routes6, rules6]] = await Promise.all([
      ex.apply(ns, [
        { op: 'link.show' },
        { op: 'route.show', family: 4 },
        { op: 'rule.show', family: 4 },
        { op: 'neigh.show' },
      ]),
      ex.apply(ns, [
        { op: 'route.show', family: 6 },
        { op: 'rule.show', family: 6 },
      ]),
    ]);
    return {
      links: parseLinks(links?.output),
      routes: [...parseRoutes(routes4?.output, 4), ...parseRoutes(routes6?.output, 6)],
      rules: [...parseRules(rules4?.output, 4), ...parseRules(rules6?.output, 6)],
      neighbours: parseNeighbours(neighbours?.output),
    };
  } catch (e) {
    if (e instanceof NamespaceNotFoundError) return null;
    throw e;
  }
}
