// `kill -9` of `tenantnet apply` half way, then `tenantnet apply` again: the second apply converges
// (the marks on the kernel objects are the record; the dead apply's lock is taken over), a third
// changes nothing, and status is healthy. And a second apply while one runs waits for the lock.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { ovsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { cliHost } from './cli-helpers.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

test('kill -9 during apply, then apply converges (twice, at different points)', {
  ...rootOnly,
  timeout: 300_000,
}, async (t) => {
  const sb = sandbox(t);
  const ovs = await ovsSandbox(t);
  const host = cliHost(sb, { ovs });
  const file = host.topologyFile('demo.yaml', sb.prefix);
  sb.defer(() => host.cli(['destroy', file]));
  for (const delayMs of [1400, 2200]) {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...host.globals, 'apply', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let progress = '';
    child.stderr.on('data', (d: Buffer) => {
      progress += d.toString();
    });
    await new Promise((r) => setTimeout(r, delayMs));
    child.kill('SIGKILL');
    await once(child, 'exit');
    const again = await host.cli(['apply', file, '--json']);
    assert.equal(
      again.exitCode,
      0,
      `after a kill at ${delayMs} ms (${progress.split('\n').length} progress lines):\n${again.stderr}`,
    );
    const third = await host.cli(['apply', file, '--json']);
    assert.equal(third.json<{ changes: number }>().changes, 0, third.stdout);
    const status = await host.cli(['status', file]);
    assert.equal(status.exitCode, 0, status.stdout);
    const d = await host.cli(['destroy', file]);
    assert.equal(d.exitCode, 0, d.stderr);
  }
});

test(
  'a second apply while one runs waits for the host lock, then finds nothing to do',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const hostNs = await sb.namespace('host');
    const host = cliHost(sb, { hostNs });
    const file = host.topologyFile('linuxbridge.yaml', sb.prefix);
    sb.defer(() => host.cli(['destroy', file]));
    const [a, b] = await Promise.all([
      host.cli(['apply', file, '--json']),
      host.cli(['apply', file, '--json']),
    ]);
    assert.equal(a.exitCode, 0, a.stderr);
    assert.equal(b.exitCode, 0, b.stderr);
    const counts = [a.json<{ changes: number }>().changes, b.json<{ changes: number }>().changes].sort(
      (x, y) => x - y,
    );
    assert.equal(counts[0], 0, 'the second apply ran after the first and found the host converged');
    assert.ok(counts[1]! > 0);
  },
);
