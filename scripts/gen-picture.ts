// Writes docs/demo-topology.svg, the picture of examples/demo.yaml as the file describes it (plan only:
// no host is read), laid out by Graphviz in WebAssembly. Run after changing the demo or the renderer:
//   npm run gen:picture   (node --import tsx scripts/gen-picture.ts)
// test/unit/graph-picture.test.ts fails while the committed picture is stale.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildGraph, toSvg } from '../src/graph/index.js';
import { buildTopology, loadTopology } from '../src/topology/index.js';

/** The topology drawn, and where its picture goes (relative to the repository). */
export const DEMO_TOPOLOGY = 'examples/demo.yaml';
export const DEMO_PICTURE = 'docs/demo-topology.svg';

const root = join(import.meta.dirname, '..');

/** The SVG of a topology file with its checks, plan only. */
export async function pictureOf(file: string): Promise<string> {
  const { model, checks } = buildTopology(await loadTopology(join(root, file)));
  return toSvg(buildGraph(model, { checks }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(join(root, DEMO_PICTURE), await pictureOf(DEMO_TOPOLOGY));
  process.stdout.write(`wrote ${DEMO_PICTURE} from ${DEMO_TOPOLOGY}\n`);
}
