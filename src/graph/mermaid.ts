// The picture as a Mermaid flowchart, for pasting into Markdown (GitHub and GitLab render it): the same
// nodes, links and check arrows, with classes for health and one link style per check outcome. All
// text is entity-coded, so no name or problem can close a bracket or start a statement.
import {
  CHECK_COLOURS,
  checkBundles,
  drawnProblems,
  edgeColour,
  HEALTH_COLOURS,
  KIND_FILL,
  LINE_MAX,
  lookOf,
  PLAIN,
} from './style.js';
import { mermaidText } from './text.js';
import type { Graph, GraphNode, GraphNodeKind } from './types.js';

const SHAPE: Readonly<Record<GraphNodeKind, readonly [string, string]>> = {
  network: ['["', '"]'],
  'external-network': ['[/"', '"/]'],
  router: ['{{"', '"}}'],
  instance: ['("', '")'],
  group: ['[["', '"]]'],
  address: ['>"', '"]'],
};

/** Mermaid ids: the kind and name in `A-Z a-z 0-9 _`, made unique; never a keyword such as `end`. */
function mermaidIds(nodes: readonly GraphNode[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const n of nodes) {
    const base = `${n.kind.replace('-', '_')}_${n.name.replace(/[^A-Za-z0-9]/g, '_')}`;
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
    used.add(id);
    ids.set(n.id, id);
  }
  return ids;
}

function label(lines: readonly string[], problems: readonly string[], bold: boolean): string {
  const parts = lines.map((l, i) =>
    i === 0 && bold ? `<b>${mermaidText(l, LINE_MAX)}</b>` : mermaidText(l, LINE_MAX),
  );
  for (const p of problems) parts.push(`<b>! ${mermaidText(p, LINE_MAX)}</b>`);
  return parts.join('<br/>');
}

/**
 * The graph as a Mermaid flowchart (`flowchart TB`): networks as boxes (external ones slanted),
 * routers as hexagons, instances rounded, groups as double-sided boxes, address nodes as flags; links
 * as lines, the checks between two nodes as one dotted arrow (a line per check) coloured by outcome;
 * classes `missing`, `drifted`, `healthy` per observed node. Stable. Pure.
 */
export function toMermaid(graph: Graph): string {
  const ids = mermaidIds(graph.nodes);
  const out = [
    `%% tenantnet graph of ${mermaidText(graph.topology)}: ${graph.observed ? 'as observed' : 'the file (plan only)'}`,
    'flowchart TB',
  ];
  for (const n of graph.nodes) {
    const [open, close] = SHAPE[n.kind];
    out.push(
      `  ${ids.get(n.id)}${open}${label(n.label, drawnProblems(n.health), n.kind !== 'address')}${close}`,
    );
  }
  const linkStyles: string[] = [];
  let link = 0;
  for (const e of graph.edges) {
    const from = ids.get(e.from);
    const to = ids.get(e.to);
    if (e.kind === 'check' || from === undefined || to === undefined) continue;
    const text = label(e.label, drawnProblems(e.health), false);
    // Layout order is top to bottom: external network, router, network, instance.
    const [tail, head] = e.kind === 'gateway' || e.kind === 'instance-port' ? [to, from] : [from, to];
    out.push(`  ${tail} ---${text === '' ? '' : `|${text}|`} ${head}`);
    if (lookOf(e.health) !== 'plain') linkStyles.push(`  linkStyle ${link} stroke:${edgeColour(e)}`);
    link++;
  }
  for (const b of checkBundles(graph)) {
    const from = ids.get(b.from);
    const to = ids.get(b.to);
    if (from === undefined || to === undefined) continue;
    const lines = b.checks.flatMap((c) => [...c.label, ...(c.detail === undefined ? [] : [`- ${c.detail}`])]);
    out.push(`  ${from} -.->|${label(lines, [], false)}| ${to}`);
    linkStyles.push(
      `  linkStyle ${link} stroke:${CHECK_COLOURS[b.outcome]},color:${CHECK_COLOURS[b.outcome]}`,
    );
    link++;
  }
  for (const [kind, fill] of Object.entries(KIND_FILL)) {
    out.push(`  classDef ${kind.replace('-', '_')} fill:${fill},stroke:${PLAIN}`);
  }
  out.push(
    `  classDef healthy stroke:${HEALTH_COLOURS.healthy.stroke},stroke-width:2px`,
    `  classDef drifted fill:${HEALTH_COLOURS.drifted.fill},stroke:${HEALTH_COLOURS.drifted.stroke},stroke-width:2px`,
    `  classDef missing fill:${HEALTH_COLOURS.missing.fill},stroke:${HEALTH_COLOURS.missing.stroke},stroke-width:2px,stroke-dasharray:5 3`,
  );
  // Every node has its kind's class; an observed one also its health's, defined later so it wins.
  const byClass = new Map<string, string[]>();
  const join = (cls: string, id: string) => byClass.set(cls, [...(byClass.get(cls) ?? []), id]);
  for (const n of graph.nodes) join(n.kind.replace('-', '_'), ids.get(n.id)!);
  for (const n of graph.nodes) {
    const look = lookOf(n.health);
    if (look !== 'plain') join(look, ids.get(n.id)!);
  }
  for (const [cls, members] of byClass) out.push(`  class ${members.join(',')} ${cls}`);
  out.push(...linkStyles);
  return `${out.join('\n')}\n`;
}
