import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { rootOnly } from '../helpers/root.js';

const examples = join(import.meta.dirname, '..', '..', 'examples');

test('examples/tour.ts runs: every check passes and it leaves no namespace behind', rootOnly, async () => {
  const r = await run([process.execPath, '--import', 'tsx', join(examples, 'tour.ts')], {
    check: false,
    timeoutMs: 60_000,
  });
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /FAIL/);
  assert.equal((r.stdout.match(/^ok /gm) ?? []).length, 4, r.stdout);
  const left = (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith('tour-'));
  assert.deepEqual(left, []);
});
