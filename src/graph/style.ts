// How the picture looks, shared by the DOT/SVG and Mermaid renderers: a fill per kind of node, a colour
// per health state and per check outcome, and how many lines of text a box carries. Colours are
// Material's 800/50 shades, which stay apart for the common kinds of colour blindness when paired with
// the dashes and words the renderers add (a missing box is dashed and says so).
import type { CheckOutcome, Graph, GraphEdge, GraphHealth, GraphNodeKind } from './types.js';

/** Fill of a node of each kind that is healthy or not observed. */
export const KIND_FILL: Readonly<Record<GraphNodeKind, string>> = {
  network: '#e3f2fd',
  'external-network': '#fff3e0',
  router: '#e8f5e9',
  instance: '#ffffff',
  group: '#f5f5f5',
  address: '#fafafa',
};

/** Stroke of anything not observed (a plan-only picture). */
export const PLAIN = '#455a64';

/** Stroke and fill for each health (a present but unhealthy thing is drawn as drifted). */
export const HEALTH_COLOURS = {
  healthy: { stroke: '#2e7d32', fill: null },
  drifted: { stroke: '#ef6c00', fill: '#fff8e1' },
  missing: { stroke: '#c62828', fill: '#ffebee' },
} as const;

/** Colour of a check arrow by outcome (`none`: no verify result yet). */
export const CHECK_COLOURS: Readonly<Record<CheckOutcome | 'none', string>> = {
  pass: '#2e7d32',
  block: '#1565c0',
  fail: '#c62828',
  none: '#757575',
};

/** Colour of problem text. */
export const PROBLEM = '#c62828';

/** Longest line drawn (code points); longer user text is cut, in full in the tooltip. */
export const LINE_MAX = 72;
/** Problems drawn on one box; the rest are counted (and all are in the tooltip). */
export const PROBLEMS_DRAWN = 6;

/** The look of a health: `plain` (not observed), `healthy`, `drifted` or `missing`. */
export type Look = 'plain' | keyof typeof HEALTH_COLOURS;

/** Which look a health has. */
export function lookOf(h: GraphHealth | undefined): Look {
  if (!h) return 'plain';
  if (h.state === 'missing') return 'missing';
  return h.healthy ? 'healthy' : 'drifted';
}

/** The colour of an edge: a check's outcome, else its port's health. */
export function edgeColour(e: GraphEdge): string {
  if (e.kind === 'check') return CHECK_COLOURS[e.result ?? 'none'];
  const look = lookOf(e.health);
  return look === 'plain' ? PLAIN : HEALTH_COLOURS[look].stroke;
}

/** The problems drawn on a box: at most {@link PROBLEMS_DRAWN}, then how many more. */
export function drawnProblems(h: GraphHealth | undefined): string[] {
  if (!h) return [];
  const shown = h.problems.slice(0, PROBLEMS_DRAWN);
  const more = h.problems.length - shown.length;
  return more > 0 ? [...shown, `and ${more} more`] : shown;
}

/** The checks between one pair of nodes, drawn as one arrow with a line each. */
export interface CheckBundle {
  readonly from: string;
  readonly to: string;
  readonly checks: readonly GraphEdge[];
  /** The arrow's colour: any fail, else any not verified, else all blocked as expected, else pass. */
  readonly outcome: CheckOutcome | 'none';
}

/**
 * The check edges of a graph bundled per (from, to) pair, in the order each pair first appears, so
 * ten checks between two instances are one arrow with ten lines rather than ten arrows.
 */
export function checkBundles(graph: Graph): CheckBundle[] {
  const bundles = new Map<string, GraphEdge[]>();
  for (const e of graph.edges) {
    if (e.kind !== 'check') continue;
    const key = JSON.stringify([e.from, e.to]);
    bundles.set(key, [...(bundles.get(key) ?? []), e]);
  }
  return [...bundles.values()].map((checks) => {
    const results = checks.map((c) => c.result ?? 'none');
    const outcome = results.includes('fail')
      ? 'fail'
      : results.includes('none')
        ? 'none'
        : results.every((r) => r === 'block')
          ? 'block'
          : 'pass';
    return { from: checks[0]!.from, to: checks[0]!.to, checks, outcome };
  });
}
