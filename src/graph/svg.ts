// The picture as SVG: the DOT text laid out by Graphviz compiled to WebAssembly (@viz-js/viz), so no
// layout is hand-written and no native binary is needed. The output is a standalone SVG document that
// opens in any browser; hovering a box shows its full text. Horizon renders its view in the browser.
import { instance, type Viz } from '@viz-js/viz';
import { TenantnetError } from '../errors.js';
import { type DotOptions, toDot } from './dot.js';
import type { Graph } from './types.js';

/** Graphviz could not lay the picture out (a bug in the DOT text, never in the user's input). */
export class GraphRenderError extends TenantnetError {
  /** @param messages what Graphviz said */
  constructor(readonly messages: readonly string[]) {
    super(`Graphviz could not lay out the picture: ${messages.join('; ') || 'no reason given'}`);
  }
}

// One WebAssembly instance for the process: loading it takes about 60 ms, a render reuses it.
let viz: Promise<Viz> | null = null;

/**
 * The graph as an SVG document, laid out by Graphviz's `dot` engine.
 *
 * @returns the SVG text (UTF-8, with its XML declaration)
 * @throws {GraphRenderError} when Graphviz reports a failure
 */
export async function toSvg(graph: Graph, options: DotOptions = {}): Promise<string> {
  viz ??= instance();
  const result = (await viz).render(toDot(graph, options), { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    throw new GraphRenderError(result.errors.filter((e) => e.level !== 'warning').map((e) => e.message));
  }
  return result.output;
}
