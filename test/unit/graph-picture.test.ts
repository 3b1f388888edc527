// The picture of the demo topology in docs/ is the one scripts/gen-picture.ts makes today, is
// well-formed SVG, and the README shows it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEMO_PICTURE, DEMO_TOPOLOGY, pictureOf } from '../../scripts/gen-picture.js';
import { svgItems } from './graph-xml.js';

const repo = join(import.meta.dirname, '..', '..');

test(`${DEMO_PICTURE} is the picture of ${DEMO_TOPOLOGY} (run npm run gen:picture)`, async () => {
  const committed = await readFile(join(repo, DEMO_PICTURE), 'utf8');
  assert.ok(
    committed === (await pictureOf(DEMO_TOPOLOGY)),
    `${DEMO_PICTURE} is stale: run npm run gen:picture`,
  );
  const { nodes } = svgItems(committed);
  assert.ok(
    nodes.has('demo.router.r1') && nodes.has('demo.network.public') && nodes.has('demo.instance.web1'),
  );
});

test('the README shows the picture and says how to regenerate it', async () => {
  const readme = await readFile(join(repo, 'README.md'), 'utf8');
  assert.ok(readme.includes(`](${DEMO_PICTURE})`), `README.md does not show ${DEMO_PICTURE}`);
  assert.ok(readme.includes('npm run gen:picture'));
});
