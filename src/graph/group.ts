// Grouping: past a threshold, the instances of one network collapse into one node that says how many
// there are, their names and addresses from first to last, floating IPs and security groups, while the
// unhealthy ones stay drawn on their own (up to a limit) so that a picture of 200 instances still
// points at the three that are wrong. Horizon's topology view collapses the same way ("show more").
import { addressFamily, compareAddresses } from '../net/cidr.js';
import type { IpAddress } from '../net/types.js';
import { unhealthy, worstHealth } from './overlay.js';
import type { GraphEdge, GraphHealth, GraphNode } from './types.js';

/** Instances on one network above this many are grouped, by default. */
export const GROUP_ABOVE = 8;
/** At most this many unhealthy members of a group are drawn on their own, by default. */
export const DRAW_UNHEALTHY = 12;

/** An instance as drawn alone: its node and its port's link. */
export interface Member {
  readonly node: GraphNode;
  readonly port: GraphEdge;
}

/** How a network's instances are drawn. */
export interface Grouped {
  /** Instance nodes drawn alone, then the group node (if any). */
  readonly nodes: GraphNode[];
  /** Their port links, then the group's one link. */
  readonly edges: GraphEdge[];
  /** Where each instance (by node id) is drawn: its own node or the group's. */
  readonly drawnAt: Map<string, string>;
}

const byName = new Intl.Collator('en', { numeric: true }).compare;

function named(h: GraphHealth | undefined, name: string): GraphHealth | undefined {
  return h && { ...h, problems: h.problems.map((p) => `${name}: ${p}`) };
}

/** `lo .. hi` of the addresses of one family, or null when there are none. */
function span(addresses: readonly IpAddress[], family: 4 | 6): string | null {
  const of = addresses.filter((a) => addressFamily(a) === family).sort(compareAddresses);
  if (of.length === 0) return null;
  return of.length === 1 ? of[0]! : `${of[0]} .. ${of[of.length - 1]}`;
}

/**
 * Draws the instances of one network: each alone when there are at most `groupAbove`, else one group
 * node (id `<network id>/instances`) for all of them, with the unhealthy ones (an unhealthy node or
 * port) still drawn alone, at most `drawUnhealthy` of them in name order; the rest stay inside and
 * make the group unhealthy. Pure.
 */
export function groupInstances(
  network: GraphNode,
  members: readonly Member[],
  opts: { readonly groupAbove: number; readonly drawUnhealthy: number },
): Grouped {
  const drawnAt = new Map<string, string>();
  if (members.length <= opts.groupAbove) {
    for (const m of members) drawnAt.set(m.node.id, m.node.id);
    return { nodes: members.map((m) => m.node), edges: members.map((m) => m.port), drawnAt };
  }
  const sorted = [...members].sort((a, b) => byName(a.node.name, b.node.name));
  const sick = sorted.filter((m) => unhealthy(m.node.health) || unhealthy(m.port.health));
  const apart = sick.slice(0, opts.drawUnhealthy);
  const inside = sorted.filter((m) => !apart.includes(m));
  const id = `${network.id}/instances`;
  if (inside.length === 0) {
    // Every one is unhealthy and drawn apart: a group of none would say nothing.
    for (const m of sorted) drawnAt.set(m.node.id, m.node.id);
    return { nodes: sorted.map((m) => m.node), edges: sorted.map((m) => m.port), drawnAt };
  }
  for (const m of apart) drawnAt.set(m.node.id, m.node.id);
  for (const m of inside) drawnAt.set(m.node.id, id);

  const names = sorted.map((m) => m.node.name);
  const addresses = sorted.flatMap((m) => m.node.attrs.addresses as readonly IpAddress[]);
  const label = [`${sorted.length} instances: ${names[0]} .. ${names[names.length - 1]}`];
  const spans = [span(addresses, 4), span(addresses, 6)].filter((s): s is string => s !== null);
  if (spans.length > 0) label.push(spans.join(', '));
  const floating = sorted.filter((m) => m.node.attrs.floatingIp !== null).length;
  if (floating > 0) label.push(`${floating} with a floating IP`);
  const groups = new Map<string, number>();
  for (const m of sorted) {
    const gs = m.node.attrs.securityGroups as readonly string[];
    for (const g of gs.length > 0 ? gs : ['none']) groups.set(g, (groups.get(g) ?? 0) + 1);
  }
  label.push(`groups: ${[...groups].map(([g, n]) => `${g} ${n}`).join(', ')}`);
  if (sick.length > 0) {
    label.push(
      apart.length === sick.length
        ? `${sick.length} unhealthy, drawn apart`
        : `${sick.length} unhealthy, ${apart.length} drawn apart`,
    );
  }
  const health = worstHealth(inside.map((m) => named(m.node.health, m.node.name)));
  const portHealth = worstHealth(inside.map((m) => named(m.port.health, m.node.name)));
  const group: GraphNode = {
    id,
    kind: 'group',
    name: network.name,
    label,
    attrs: {
      network: network.name,
      count: sorted.length,
      members: names,
      inside: inside.map((m) => m.node.name),
      apart: apart.map((m) => m.node.name),
      unhealthy: sick.map((m) => m.node.name),
    },
    ...(health ? { health } : {}),
  };
  const link: GraphEdge = {
    id: `${id}/ports`,
    kind: 'instance-port',
    from: id,
    to: network.id,
    label: [`${inside.length} ports`],
    attrs: { ports: inside.map((m) => m.port.id) },
    ...(portHealth ? { health: portHealth } : {}),
  };
  return {
    nodes: [...apart.map((m) => m.node), group],
    edges: [...apart.map((m) => m.port), link],
    drawnAt,
  };
}
