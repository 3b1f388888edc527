// `tenantnet graph FILE [--format svg|dot|json|mermaid] [-o OUT] [--plan-only]`: the picture of a
// topology. Plan only (or before the first apply) it draws the file; otherwise what `status` observes
// is laid over it (missing and drifted resources in colour, with what is wrong) and the last `verify`
// results are pass/block/fail marks on the check arrows.
import { writeFile } from 'node:fs/promises';
import { readRecordedModel } from '../../deploy/index.js';
import { InvalidInputError } from '../../errors.js';
import { buildGraph, type Graph, toDot, toJson, toMermaid, toSvg } from '../../graph/index.js';
import { lineText, topologyName } from '../../net/index.js';
import { realFileExecutor } from '../../reconcile/index.js';
import { buildTopology, loadTopology } from '../../topology/index.js';
import { pictureOf } from '../../ui/index.js';
import type { GlobalOptions } from '../command.js';
import { defineCommand } from '../command.js';
import { loadModel, withExecutors } from '../deployment.js';

/** The formats `graph` draws in. */
export const GRAPH_FORMATS = ['svg', 'dot', 'json', 'mermaid'] as const;

/** One of {@link GRAPH_FORMATS}. */
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/**
 * `--format`, checked (default svg; `--json` alone means json).
 *
 * @throws {InvalidInputError} naming `--format`
 */
export function graphFormat(value: string | undefined, json: boolean): GraphFormat {
  if (value === undefined) return json ? 'json' : 'svg';
  if (!(GRAPH_FORMATS as readonly string[]).includes(value)) {
    throw new InvalidInputError(
      `--format: ${JSON.stringify(value)} is not one of ${GRAPH_FORMATS.join(', ')}`,
      '--format',
    );
  }
  return value as GraphFormat;
}

/** A graph drawn in a format (SVG is laid out by Graphviz in WebAssembly). */
export function render(graph: Graph, format: GraphFormat): Promise<string> | string {
  if (format === 'svg') return toSvg(graph);
  if (format === 'dot') return toDot(graph);
  if (format === 'json') return toJson(graph);
  return toMermaid(graph);
}

/** The file drawn alone: the topology file and the state directory's record (for sticky addresses). */
async function planOnlyGraph(file: string, g: GlobalOptions) {
  const loaded = await loadTopology(file);
  const previous = await readRecordedModel(realFileExecutor, g.stateDir, topologyName(loaded.input.name));
  const { model, checks } = buildTopology(loaded, previous ? { previous } : {});
  return buildGraph(model, { checks, netnsPrefix: g.netnsPrefix });
}

/** `tenantnet graph`: exit 0 with the picture on stdout or in `-o OUT`. */
export const command = defineCommand({
  name: 'graph',
  summary: 'draw a topology, with what this host has laid over it',
  description:
    'Draws the topology file as SVG (default), DOT, JSON or Mermaid. With --plan-only, or while the ' +
    'topology was never applied on this host, the file alone; otherwise what `status` observes is laid ' +
    'over it (missing and drifted resources in colour, with what is wrong) and the last `verify` ' +
    'results are drawn as pass/block/fail on the check arrows. Writes to stdout, or to -o OUT.',
  order: 45,
  define: (c) =>
    c
      .argument('<file>', 'topology file (YAML or JSON)')
      .option('--format <format>', `${GRAPH_FORMATS.join(', ')} (default svg)`)
      .option('-o, --output <out>', 'write the picture to this file instead of stdout')
      .option('--plan-only', 'draw the file alone: read nothing of the host'),
  async run({ args: [file], options, globals }, out) {
    const format = graphFormat(options.format, globals.json);
    const output = options.output === undefined ? null : lineText(options.output, '--output');
    if (output === '') throw new InvalidInputError('--output: the path is empty', '--output');
    const graph = options.planOnly
      ? await planOnlyGraph(file, globals)
      : await withExecutors(globals, async (x) => {
          const picture = await pictureOf(await loadModel(file, x), x, { ovsdbSocket: globals.ovsdb });
          return picture.graph;
        });
    const text = await render(graph, format);
    const observed = graph.observed;
    if (output !== null) {
      await writeFile(output, text);
      if (globals.json) out.result({ format, observed, file: output }, () => '');
      else out.info(`wrote ${output} (${format}, ${observed ? 'as observed' : 'the file alone'})`);
    } else if (globals.json) {
      // --json: one JSON document on stdout; the JSON format is that document, others are carried in it.
      out.result(format === 'json' ? (JSON.parse(text) as unknown) : { format, observed, text }, () => '');
    } else out.result(text, (t) => t);
    return 0;
  },
});
