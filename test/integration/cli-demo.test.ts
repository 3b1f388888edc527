import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { rootOnly } from '../helpers/root.js';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

test('tenantnet demo --json pings across a veth pair and leaves nothing behind', rootOnly, async () => {
  const r = await run([process.execPath, '--import', 'tsx', main, 'demo', '--json'], { timeoutMs: 30_000 });
  const result = JSON.parse(r.stdout);
  assert.equal(result.ok, true);
  assert.equal(result.ping.sent, 3);
  assert.equal(result.ping.received, 3);
  assert.match(r.stderr, /pinging 10\.250\.0\.2/, 'progress goes to stderr');
  for (const ns of result.namespaces) assert.equal(existsSync(`/run/netns/${ns}`), false, `${ns} removed`);
  const links = await run(['ip', '-o', 'link', 'show']);
  for (const dev of result.veth) assert.ok(!links.stdout.includes(dev), `${dev} removed`);
});
