// The picture in Graphviz's DOT language, laid out top to bottom: the external network, routers, tenant
// networks as wide bars on one row, instances under them; links without arrowheads, checks as dashed
// arrows that do not pull the layout. Every text is escaped (HTML-like labels, quoted ids and
// tooltips), so the output is stable and safe to feed Graphviz. Horizon draws this with d3 instead.
import {
  CHECK_COLOURS,
  type CheckBundle,
  checkBundles,
  drawnProblems,
  edgeColour,
  HEALTH_COLOURS,
  KIND_FILL,
  LINE_MAX,
  lookOf,
  PLAIN,
  PROBLEM,
} from './style.js';
import { dotQuoted, htmlText } from './text.js';
import type { Graph, GraphEdge, GraphNode, GraphNodeKind } from './types.js';

/** Options of {@link toDot}. */
export interface DotOptions {
  /** A title and a key to the colours above the picture (default true). */
  readonly legend?: boolean;
}

const FONT = 'Helvetica,Arial,sans-serif';

const SHAPE: Readonly<Record<GraphNodeKind, { shape: string; style: string }>> = {
  network: { shape: 'box', style: 'filled' },
  'external-network': { shape: 'box', style: 'filled' },
  router: { shape: 'octagon', style: 'filled' },
  instance: { shape: 'box', style: 'rounded,filled' },
  group: { shape: 'box3d', style: 'filled' },
  address: { shape: 'ellipse', style: 'filled' },
};

/** `key=value` pairs of a statement; values are already DOT (quoted or `<...>`). */
function attrs(pairs: readonly (readonly [string, string | number | null])[]): string {
  return pairs
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** Small text in a colour (HTML-like label markup; `text` already escaped). */
function small(text: string, colour?: string): string {
  return `<FONT POINT-SIZE="9"${colour ? ` COLOR="${colour}"` : ''}>${text}</FONT>`;
}

/** An HTML-like label: the first line bold (unless `bold` is false), the rest small, problems in red. */
function htmlLabel(lines: readonly string[], problems: readonly string[], bold: boolean): string {
  const parts = lines.map((l, i) =>
    i === 0 && bold ? `<B>${htmlText(l, LINE_MAX)}</B>` : small(htmlText(l, LINE_MAX)),
  );
  for (const p of problems) parts.push(small(`! ${htmlText(p, LINE_MAX)}`, PROBLEM));
  return `<${parts.join('<BR/>')}>`;
}

/** A tooltip: every line in full (escaped; `\n` between lines). */
function tooltip(lines: readonly string[]): string {
  return `"${lines.map((l) => dotQuoted(l, 2000).slice(1, -1)).join('\\n')}"`;
}

function nodeStatement(n: GraphNode, degree: number): string {
  const look = lookOf(n.health);
  const shape = SHAPE[n.kind];
  const bar = n.kind === 'network' || n.kind === 'external-network';
  const stroke = look === 'plain' ? PLAIN : HEALTH_COLOURS[look].stroke;
  const fill = look === 'plain' || look === 'healthy' ? KIND_FILL[n.kind] : HEALTH_COLOURS[look].fill;
  const style = look === 'missing' ? `${shape.style},dashed` : shape.style;
  const all = [...n.label, ...(n.health?.problems ?? []).map((p) => `! ${p}`)];
  return `  ${dotQuoted(n.id)} [${attrs([
    ['shape', shape.shape],
    ['style', dotQuoted(style)],
    ['label', htmlLabel(n.label, drawnProblems(n.health), n.kind !== 'address')],
    ['fillcolor', dotQuoted(fill)],
    ['color', dotQuoted(stroke)],
    ['penwidth', look === 'plain' ? (bar ? 1.5 : 1) : 2],
    // A network is a bar as wide as what hangs off it (inches), so its links spread along it.
    ['width', bar ? Math.min(16, Math.max(2.8, 1.4 * degree)).toFixed(1) : null],
    ['class', dotQuoted(`tn-${n.kind} tn-${look}`)],
    ['tooltip', tooltip(all)],
  ])}];`;
}

function linkStatement(e: GraphEdge): string {
  const look = lookOf(e.health);
  // Layout order is top to bottom: external network, router, network, instance.
  const [tail, head] = e.kind === 'gateway' || e.kind === 'instance-port' ? [e.to, e.from] : [e.from, e.to];
  const all = [...e.label, ...(e.health?.problems ?? []).map((p) => `! ${p}`)];
  return `  ${dotQuoted(tail)} -> ${dotQuoted(head)} [${attrs([
    ['label', all.length > 0 ? htmlLabel(e.label, drawnProblems(e.health), false) : null],
    ['color', dotQuoted(edgeColour(e))],
    ['fontcolor', dotQuoted(PLAIN)],
    ['penwidth', e.kind === 'gateway' || look !== 'plain' ? 2 : 1.2],
    ['style', look === 'missing' ? 'dashed' : null],
    ['dir', 'none'],
    ['class', dotQuoted(`tn-${e.kind} tn-${look}`)],
    ['tooltip', all.length > 0 ? tooltip(all) : null],
  ])}];`;
}

/** One arrow for the checks between two nodes: a line per check in its outcome's colour. */
function checkStatement(b: CheckBundle): string {
  const lines: string[] = [];
  const all: string[] = [];
  for (const c of b.checks) {
    const colour = CHECK_COLOURS[c.result ?? 'none'];
    for (const l of c.label) {
      lines.push(small(htmlText(l, LINE_MAX), colour));
      all.push(l);
    }
    if (c.detail !== undefined) {
      lines.push(small(`- ${htmlText(c.detail, LINE_MAX)}`, colour));
      all.push(`- ${c.detail}`);
    }
  }
  const colour = CHECK_COLOURS[b.outcome];
  return `  ${dotQuoted(b.from)} -> ${dotQuoted(b.to)} [${attrs([
    ['label', `<${lines.join('<BR ALIGN="LEFT"/>')}<BR ALIGN="LEFT"/>>`],
    ['color', dotQuoted(colour)],
    ['penwidth', b.outcome === 'fail' ? 2 : 1.2],
    ['style', 'dashed'],
    ['constraint', 'false'],
    ['class', dotQuoted(`tn-check tn-${b.outcome === 'none' ? 'unverified' : b.outcome}`)],
    ['tooltip', tooltip(all)],
  ])}];`;
}

/** The title (topology, plan only or observed) and a key to the colours in use. */
function legend(graph: Graph): string {
  const checks = graph.edges.some((e) => e.kind === 'check');
  const unhealthy = [...graph.nodes, ...graph.edges].filter(
    (x) => x.health !== undefined && !x.health.healthy,
  ).length;
  const failed = graph.edges.filter((e) => e.result === 'fail').length;
  const verified = graph.edges.filter((e) => e.result !== undefined).length;
  const observed = [unhealthy === 0 ? 'all healthy' : `${unhealthy} unhealthy`];
  if (verified > 0) observed.push(`${failed} of ${verified} checks failed`);
  const head = graph.observed
    ? `${graph.topology}: as observed, ${observed.join(', ')}`
    : `${graph.topology}: the file (plan only)`;
  // One table row per key, a cell per entry and a spacer between: each cell keeps its own width,
  // whatever font the viewer substitutes.
  const row = (cells: readonly (readonly [string, string])[]) =>
    `<TR><TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>${cells
      .map(([colour, text]) => `<TD>${small(text, colour)}</TD>`)
      .join('<TD WIDTH="24"> </TD>')}</TR></TABLE></TD></TR>`;
  const rows = [`<TR><TD><B>${htmlText(head, LINE_MAX)}</B></TD></TR>`];
  if (graph.observed) {
    const c = HEALTH_COLOURS;
    rows.push(
      row([
        [PLAIN, 'boxes and links:'],
        [c.healthy.stroke, 'green healthy'],
        [c.drifted.stroke, 'orange drifted'],
        [c.missing.stroke, 'red dashed missing'],
      ]),
    );
  }
  if (checks) {
    rows.push(
      row([
        [PLAIN, 'dashed arrows, checks:'],
        [CHECK_COLOURS.none, 'grey not verified'],
        [CHECK_COLOURS.pass, 'green pass'],
        [CHECK_COLOURS.block, 'blue blocked as expected'],
        [CHECK_COLOURS.fail, 'red FAIL'],
      ]),
    );
  }
  return `<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">${rows.join('')}</TABLE>>`;
}

/**
 * The graph as DOT text: one statement per line, nodes and links in the graph's order, then one arrow
 * per pair of nodes with checks between them (a line per check), so the same graph gives the same
 * text. Node ids are the graph's ids, quoted. Pure.
 */
export function toDot(graph: Graph, options: DotOptions = {}): string {
  const degree = new Map<string, number>();
  for (const e of graph.edges) {
    if (e.kind !== 'check') degree.set(e.to, (degree.get(e.to) ?? 0) + 1);
  }
  const out: string[] = [`digraph ${dotQuoted(graph.topology)} {`];
  out.push(
    `  graph [${attrs([
      ['rankdir', 'TB'],
      ['newrank', 'true'],
      ['nodesep', 0.3],
      ['ranksep', 0.55],
      ['pad', 0.4],
      ['fontname', dotQuoted(FONT)],
      ['fontsize', 12],
      ['bgcolor', dotQuoted('white')],
      ['labelloc', 't'],
      ['label', options.legend === false ? null : legend(graph)],
    ])}];`,
    `  node [fontname=${dotQuoted(FONT)}, fontsize=11, margin="0.22,0.06"];`,
    `  edge [fontname=${dotQuoted(FONT)}, fontsize=9, arrowsize=0.7];`,
  );
  for (const n of graph.nodes) out.push(nodeStatement(n, degree.get(n.id) ?? 0));
  const row = (kind: GraphNodeKind): string[] => graph.nodes.filter((n) => n.kind === kind).map((n) => n.id);
  const external = row('external-network');
  const internal = row('network');
  if (external.length > 0) out.push(`  { rank=min; ${external.map((id) => dotQuoted(id)).join('; ')}; }`);
  if (internal.length > 1) out.push(`  { rank=same; ${internal.map((id) => dotQuoted(id)).join('; ')}; }`);
  for (const e of graph.edges) if (e.kind !== 'check') out.push(linkStatement(e));
  for (const b of checkBundles(graph)) out.push(checkStatement(b));
  out.push('}');
  return `${out.join('\n')}\n`;
}
