// The checks of a topology as arrows: from the node where the probe starts (an instance or its group, a
// router, a network for `dhcp:`) to the node that owns the destination (a floating IP's instance, a
// router, a network's DHCP port), else the network whose subnet holds the address, else an address
// node; with the last verify result when the overlay has one. Tempest's scenario results, drawn.
import { InvalidInputError } from '../errors.js';
import type { Model } from '../model/types.js';
import { containsAddress } from '../net/cidr.js';
import { ownerMark } from '../net/ownership.js';
import type { CheckEndpoint, ResolvedCheck } from '../topology/checks.js';
import type { Overlay } from './overlay.js';
import type { GraphEdge, GraphNode } from './types.js';

/**
 * The node of the endpoint's own resource when it is drawn as its own node: an instance or a router
 * (a `dhcp:` endpoint is the network's DHCP namespace, not the network, so the arrow says so).
 */
function ownNode(e: CheckEndpoint, model: Model): string | null {
  return e.kind === 'dhcp' ? null : ownerMark({ topology: model.topology, kind: e.kind, name: e.name });
}

/** The node id of a check endpoint, or null when the model has no such resource. */
function endpointNode(
  e: CheckEndpoint,
  model: Model,
  drawnAt: ReadonlyMap<string, string>,
  nodes: ReadonlyMap<string, GraphNode>,
): string | null {
  const kind = e.kind === 'dhcp' ? 'network' : e.kind;
  const id = ownerMark({ topology: model.topology, kind, name: e.name });
  if (e.kind === 'instance') return drawnAt.get(id) ?? null;
  return nodes.has(id) ? id : null;
}

/** The arrows and any address nodes they need. */
export interface CheckDrawing {
  readonly edges: GraphEdge[];
  readonly addresses: GraphNode[];
}

/**
 * The arrows of resolved checks (`buildTopology(...).checks`), in check order, with the overlay's
 * last results. Pure.
 *
 * @param drawnAt where each instance is drawn (its node or its group's)
 * @param nodes every node drawn so far, by id
 * @throws {InvalidInputError} when a check names a resource the model lacks (`checks[2].source`)
 */
export function checkEdges(
  checks: readonly ResolvedCheck[],
  model: Model,
  drawnAt: ReadonlyMap<string, string>,
  nodes: ReadonlyMap<string, GraphNode>,
  overlay: Overlay | null,
): CheckDrawing {
  const edges: GraphEdge[] = [];
  const addresses = new Map<string, GraphNode>();
  checks.forEach((c, i) => {
    const from = endpointNode(c.source, model, drawnAt, nodes);
    if (from === null) {
      throw new InvalidInputError(
        `checks[${i}].source: the model has no ${c.source.kind} ${JSON.stringify(c.source.name)}`,
        `checks[${i}].source`,
      );
    }
    let to = c.server ? endpointNode(c.server, model, drawnAt, nodes) : null;
    if (c.server && to === null) {
      throw new InvalidInputError(
        `checks[${i}].server: the model has no ${c.server.kind} ${JSON.stringify(c.server.name)}`,
        `checks[${i}].server`,
      );
    }
    if (to === null) {
      const net = model.networks.find((n) => n.subnets.some((s) => containsAddress(s.cidr, c.destination)));
      to = net ? ownerMark(net.owner) : `address:${c.destination}`;
      if (!net && !addresses.has(to)) {
        addresses.set(to, {
          id: to,
          kind: 'address',
          name: c.destination,
          label: [c.destination],
          attrs: { address: c.destination },
        });
      }
    }
    // One line: what is probed, where from and to when the arrow's ends do not say it, and the outcome.
    let line = c.port === null ? c.protocol : `${c.protocol} ${c.port}`;
    if (from !== ownNode(c.source, model)) line += ` from ${c.from}`;
    if (!(c.server?.kind === 'instance' && c.to === c.server.name && to === ownNode(c.server, model))) {
      line += ` to ${c.to}`;
    }
    const status = overlay?.check(c.index);
    const outcome = !status
      ? `expect ${c.expect}`
      : status.result === 'fail'
        ? `FAIL (expected ${c.expect})`
        : status.result;
    edges.push({
      id: `check:${c.index}`,
      kind: 'check',
      from,
      to,
      label: [`${line}: ${outcome}`],
      attrs: {
        index: c.index,
        from: c.from,
        to: c.to,
        protocol: c.protocol,
        port: c.port,
        destination: c.destination,
      },
      expect: c.expect,
      ...(status ? { result: status.result } : {}),
      ...(status?.detail !== undefined && status.result === 'fail' ? { detail: status.detail } : {}),
    });
  });
  return { edges, addresses: [...addresses.values()] };
}
