import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CommandNotFoundError } from '../../src/exec/process-error.js';
import { ProcessManager } from '../../src/exec/process-manager.js';
import { run } from '../../src/exec/run.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';

test('run with a namespace executes inside it', rootOnly, async (t) => {
  const sb = sandbox(t);
  const ns = await sb.namespace('run');
  const inside = await run(['readlink', '/proc/self/ns/net'], { namespace: ns });
  const outside = await run(['readlink', '/proc/self/ns/net']);
  assert.notEqual(inside.stdout, outside.stdout);
  const links = await run(['ip', '-j', 'link', 'show'], { namespace: ns });
  assert.deepEqual(
    JSON.parse(links.stdout).map((l: { ifname: string }) => l.ifname),
    ['lo'],
  );
});

test('ProcessManager runs a service inside a namespace and stops it', rootOnly, async (t) => {
  const sb = sandbox(t);
  const ns = await sb.namespace('pm');
  const dir = await mkdtemp(join(tmpdir(), 'tn-pmns-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const uuid = `${sb.prefix}-svc`;
  const kept = new ProcessManager({
    uuid,
    namespace: ns,
    pidsDir: dir,
    command: () => [process.execPath, '-e', 'setInterval(() => {}, 1000)', uuid],
  });
  sb.defer(() => kept.disable());
  assert.equal(await kept.enable(), true);
  const pids = (await run(['ip', 'netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean);
  assert.ok(pids.includes(String(await kept.pid())), 'the service lives in the namespace');
  assert.equal(await kept.disable(), true);
  assert.equal(await kept.active(), false);
});

test(
  'a program missing inside a namespace is CommandNotFoundError, as it is outside',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.namespace('nf');
    const e = await run(['tenantnet-no-such-binary', 'x'], { namespace: ns }).catch((x) => x);
    assert.ok(e instanceof CommandNotFoundError, String(e));
    assert.equal(e.command, 'tenantnet-no-such-binary');
    // A program that exists but fails with 127 itself stays a ProcessError.
    const own = await run(['sh', '-c', 'exit 127'], { namespace: ns, check: false });
    assert.equal(own.exitCode, 127);
  },
);
