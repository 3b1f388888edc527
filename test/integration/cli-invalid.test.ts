// Every class of invalid topology file through the CLI: one `FILE:LINE:COL: message` line per
// problem, exit 2, and nothing on the host changes (no namespace, no link, no OVS row, no file).
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { ovsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { BAD, demoHost } from './cli-topology-helpers.js';

test('invalid topology files are refused before anything runs', {
  ...rootOnly,
  timeout: 240_000,
}, async (t) => {
  const sb = sandbox(t);
  const ovs = await ovsSandbox(t);
  const { host, name, ours, hostLinks, vsctl } = demoHost(sb, ovs);
  const before = { ns: await ours(), links: await hostLinks(), ports: (await vsctl(['show'])).stdout };
  for (const bad of BAD) {
    const f = host.topologyFile('demo.yaml', name, bad.edit, 'bad.yaml');
    for (const verb of bad === BAD[0] ? ['apply', 'plan'] : ['apply']) {
      const r = await host.cli([verb, f]);
      assert.equal(r.exitCode, 2, `${bad.what} (${verb}): exit ${r.exitCode}\n${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.ok(lines.length >= 1);
      for (const l of lines) assert.match(l, /^\/.*bad\.yaml:\d+:\d+: /, `${bad.what}: ${l}`);
      assert.match(r.stderr, bad.message, bad.what);
    }
  }
  const json = await host.cli([
    'apply',
    host.topologyFile('demo.yaml', name, BAD[3]!.edit, 'bad.yaml'),
    '--json',
  ]);
  assert.equal(json.json<{ exitCode: number }>().exitCode, 2);
  assert.deepEqual(await ours(), before.ns);
  assert.equal(await hostLinks(), before.links);
  assert.equal((await vsctl(['show'])).stdout, before.ports);
  assert.deepEqual(await readdir(host.stateDir).catch(() => []), [], 'nothing recorded');
});
