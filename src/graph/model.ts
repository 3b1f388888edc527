// The graph model of a topology: from the resolved model (and its resolved checks, and what the host
// has when an overlay is given) to nodes and edges with stable ids, ready for any renderer. Pure.
// Horizon's network topology view builds the same picture from Neutron's API.
import { InvalidInputError } from '../errors.js';
import type { FloatingIp, Model } from '../model/types.js';
import { netnsPrefix } from '../net/naming.js';
import type { ResolvedCheck } from '../topology/checks.js';
import { checkEdges } from './check-edges.js';
import { DRAW_UNHEALTHY, GROUP_ABOVE, groupInstances, type Member } from './group.js';
import {
  type BuildContext,
  instanceEdge,
  instanceNode,
  networkNode,
  routerEdges,
  routerNode,
} from './nodes.js';
import { Overlay } from './overlay.js';
import type { Graph, GraphEdge, GraphNode, GraphOverlay } from './types.js';

/** Options of {@link buildGraph}. */
export interface GraphOptions {
  /** The topology's checks, resolved (`buildTopology(...).checks`): drawn as arrows. */
  readonly checks?: readonly ResolvedCheck[];
  /** What the host has (from `status` and the last `verify`); without it the file alone is drawn. */
  readonly overlay?: GraphOverlay;
  /** The prefix of every namespace name (simulated hosts), 0-24 of `A-Z a-z 0-9 _ -`; default none. */
  readonly netnsPrefix?: string;
  /** Group a network's instances when it has more than this many (default 8; `Infinity`: never). */
  readonly groupAbove?: number;
  /** At most this many unhealthy instances of a group are drawn on their own (default 12). */
  readonly drawUnhealthy?: number;
}

function count(value: unknown, where: string, fallback: number, infinite: boolean): number {
  if (value === undefined) return fallback;
  if (infinite && value === Number.POSITIVE_INFINITY) return value;
  if (!(Number.isSafeInteger(value) && (value as number) >= 0)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(value)} is not a count (an integer from 0${infinite ? ', or Infinity' : ''})`,
      where,
    );
  }
  return value as number;
}

/**
 * The picture of a topology. Nodes, in this order: networks (external first), routers, then per
 * network its instances (or its group and the unhealthy instances drawn apart), then address nodes of
 * check destinations beyond every network. Edges: router interfaces and gateways, instance ports,
 * checks. Ids are owner marks (`demo.router.r1`), so the same model gives the same graph. Pure.
 *
 * @returns the graph; `observed` is true when an overlay was given
 * @throws {InvalidInputError} for a bad option (`netnsPrefix`, `groupAbove`, `drawUnhealthy`, the
 *   overlay's shape) or a check naming a resource the model lacks, before anything is built
 */
export function buildGraph(model: Model, options: GraphOptions = {}): Graph {
  const ctx: BuildContext = {
    prefix: netnsPrefix(options.netnsPrefix ?? '', 'netnsPrefix'),
    overlay: options.overlay === undefined ? null : Overlay.from(options.overlay),
  };
  const groupAbove = count(options.groupAbove, 'groupAbove', GROUP_ABOVE, true);
  const drawUnhealthy = count(options.drawUnhealthy, 'drawUnhealthy', DRAW_UNHEALTHY, false);

  const networks = [...model.networks].sort((a, b) => Number(b.external) - Number(a.external));
  const networkNodes = networks.map((n) => networkNode(n, ctx));
  const nodes: GraphNode[] = [...networkNodes, ...model.routers.map((r) => routerNode(r, ctx))];
  const edges: GraphEdge[] = model.routers.flatMap((r) => routerEdges(r, ctx));

  const fips = new Map<string, FloatingIp>();
  for (const r of model.routers) for (const f of r.floatingIps) fips.set(f.instance, f);
  const drawnAt = new Map<string, string>();
  for (const net of networkNodes) {
    const members: Member[] = model.instances
      .filter((i) => i.network === net.name)
      .map((i) => ({ node: instanceNode(i, fips.get(i.name), ctx), port: instanceEdge(i, ctx) }));
    const grouped = groupInstances(net, members, { groupAbove, drawUnhealthy });
    nodes.push(...grouped.nodes);
    edges.push(...grouped.edges);
    for (const [k, v] of grouped.drawnAt) drawnAt.set(k, v);
  }

  if (options.checks && options.checks.length > 0) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const drawn = checkEdges(options.checks, model, drawnAt, byId, ctx.overlay);
    nodes.push(...drawn.addresses);
    edges.push(...drawn.edges);
  }
  return { topology: model.topology, observed: ctx.overlay !== null, nodes, edges };
}
