// What the page shows when a box is clicked: the node as drawn (label, health), the kernel names and
// addresses `status` found for it, the rules of its security groups, its network's dnsmasq (PID and
// leases) and the last result of every check from or to it. Horizon's port and router detail panels.
import type { DeploymentStatus } from '../deploy/index.js';
import { dhcpPaths } from '../dhcp/index.js';
import type { CheckStatus, Graph, GraphAttr, GraphHealth } from '../graph/index.js';
import type { Model, SecurityGroupRule } from '../model/index.js';
import type { ResolvedCheck } from '../topology/index.js';

/** Leases shown at most (a big network's file is cut, with the count said). */
export const LEASES_SHOWN = 100;

/** One check as the details list it. */
export interface CheckDetail {
  readonly index: number;
  readonly from: string;
  readonly to: string;
  readonly protocol: string;
  readonly port: number | null;
  readonly expect: 'pass' | 'block';
  /** The last result (null: not verified). */
  readonly result: 'pass' | 'block' | 'fail' | null;
  readonly detail: string | null;
}

/** The details of one node of the picture. */
export interface NodeDetails {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly label: readonly string[];
  readonly attrs: Readonly<Record<string, GraphAttr>>;
  readonly health: GraphHealth | null;
  /** What `status` found for the resource (kernel names, addresses, ports, …); null: plan only. */
  readonly kernel: Readonly<Record<string, unknown>> | null;
  /** The rules of its security groups, one line each (an instance's; a group's members'). */
  readonly securityGroups: readonly { readonly name: string; readonly rules: readonly string[] }[];
  /** Its network's DHCP server: namespace, dnsmasq PID (null: not running), leases (a network's). */
  readonly dhcp: {
    readonly namespace: string;
    readonly pid: number | null;
    readonly leases: readonly string[];
    readonly moreLeases: number;
  } | null;
  /** The checks from or to it, with their last results. */
  readonly checks: readonly CheckDetail[];
}

/** What the details are made from: the picture as drawn now and what it was drawn from. */
export interface DetailsSource {
  readonly graph: Graph;
  readonly model: Model;
  readonly checks: readonly ResolvedCheck[];
  readonly status: DeploymentStatus | null;
  /** The results drawn now, by check index. */
  readonly results: readonly CheckStatus[];
  readonly stateDir: string;
}

const range = (r: { min: number; max: number } | null) =>
  r === null ? null : r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;

/** A security group rule as one line: `ingress tcp 80 from 172.24.4.0/24 (IPv4)`. Pure. */
export function ruleText(r: SecurityGroupRule): string {
  const parts: string[] = [r.direction, r.protocol ?? 'any protocol'];
  const port = range(r.port);
  if (port) parts.push(`port ${port}`);
  const sport = range(r.sourcePort);
  if (sport) parts.push(`source port ${sport}`);
  if (r.icmpType !== null) parts.push(`type ${r.icmpType}${r.icmpCode === null ? '' : `/${r.icmpCode}`}`);
  const peer = r.direction === 'ingress' ? 'from' : 'to';
  if (r.remoteIp) parts.push(`${peer} ${r.remoteIp}`);
  else if (r.remoteGroup) parts.push(`${peer} group ${r.remoteGroup}`);
  else parts.push(`${peer} anywhere`);
  return `${parts.join(' ')} (IPv${r.family})`;
}

const strings = (v: GraphAttr | undefined): readonly string[] =>
  Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];

/**
 * The details of the node `id`, or null when the picture has no such node. `readText` reads a file
 * (the leases), null when it is not there.
 */
export async function nodeDetails(
  src: DetailsSource,
  id: string,
  readText: (path: string) => Promise<string | null>,
): Promise<NodeDetails | null> {
  const node = src.graph.nodes.find((n) => n.id === id);
  if (!node) return null;
  const s = src.status;
  let kernel: Record<string, unknown> | null = null;
  let groups: readonly string[] = [];
  let network: string | null = null;
  if (node.kind === 'router') kernel = (s?.routers.find((r) => r.name === node.name) as never) ?? null;
  if (node.kind === 'instance') {
    kernel = (s?.instances.find((i) => i.name === node.name) as never) ?? null;
    groups = strings(node.attrs.securityGroups);
  }
  if (node.kind === 'group') {
    const members = new Set(strings(node.attrs.members));
    groups = [
      ...new Set(src.model.instances.filter((i) => members.has(i.name)).flatMap((i) => i.securityGroups)),
    ].sort();
  }
  if (node.kind === 'network' || node.kind === 'external-network') {
    kernel = (s?.networks.find((n) => n.name === node.name) as never) ?? null;
    network = node.name;
  }

  let dhcp: NodeDetails['dhcp'] = null;
  const net = network === null ? undefined : src.model.networks.find((n) => n.name === network);
  const namespace = typeof node.attrs.dhcpNamespace === 'string' ? node.attrs.dhcpNamespace : null;
  if (net?.dhcp && namespace !== null) {
    const text = (await readText(dhcpPaths(src.stateDir, namespace).leases)) ?? '';
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const seen = s?.networks.find((n) => n.name === network)?.dhcp;
    dhcp = {
      namespace,
      pid: seen?.pid ?? null,
      leases: lines.slice(0, LEASES_SHOWN),
      moreLeases: Math.max(0, lines.length - LEASES_SHOWN),
    };
  }

  const results = new Map(src.results.map((r) => [r.index, r]));
  const touching = new Set(
    src.graph.edges
      .filter((e) => e.kind === 'check' && (e.from === id || e.to === id))
      .map((e) => e.attrs.index as number),
  );
  const checks = src.checks
    .filter((c) => touching.has(c.index))
    .map((c): CheckDetail => {
      const r = results.get(c.index);
      return {
        index: c.index,
        from: c.from,
        to: c.to,
        protocol: c.protocol,
        port: c.port,
        expect: c.expect,
        result: r?.result ?? null,
        detail: r?.detail ?? null,
      };
    });

  return {
    id: node.id,
    kind: node.kind,
    name: node.name,
    label: node.label,
    attrs: node.attrs,
    health: node.health ?? null,
    kernel,
    securityGroups: groups.map((g) => ({
      name: g,
      rules: (src.model.securityGroups.find((x) => x.name === g)?.rules ?? []).map(ruleText),
    })),
    dhcp,
    checks,
  };
}
