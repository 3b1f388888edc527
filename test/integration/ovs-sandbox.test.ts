import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { OvsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';

async function alive(pid: number): Promise<boolean> {
  // A zombie keeps /proc/PID but loses its cmdline: liveness is by cmdline.
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')) !== '';
}

test(
  'two private OVS sandboxes start side by side, are isolated, and leave nothing behind',
  rootOnly,
  async () => {
    // allSettled: when one start fails, the other sandbox is stopped, not left running (its daemons
    // would keep this file alive until the runner's timeout).
    const started = await Promise.allSettled([OvsSandbox.start(), OvsSandbox.start()]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      for (const r of started) if (r.status === 'fulfilled') await r.value.stop();
      throw failed.reason;
    }
    const [a, b] = started.map((r) => (r as PromiseFulfilledResult<OvsSandbox>).value) as [
      OvsSandbox,
      OvsSandbox,
    ];
    try {
      assert.notEqual(a.dir, b.dir);
      // Each database is its own: it carries its own mark, which the system database (if any) does not.
      assert.match(
        await a.vsctl(['get', 'Open_vSwitch', '.', 'external_ids:tenantnet-sandbox']),
        new RegExp(a.dir),
      );
      const system = await run(
        ['ovs-vsctl', '--no-wait', '--timeout=2', 'get', 'Open_vSwitch', '.', 'external_ids'],
        {
          check: false,
        },
      );
      assert.ok(!system.stdout.includes(a.dir), 'the system database is not the sandbox one');
      // Both vswitchds bring up a netdev bridge at the same time (they would collide on ovs-netdev in one namespace).
      await Promise.all([
        a.vsctl(['add-br', a.name('br'), '--', 'set', 'bridge', a.name('br'), 'datapath_type=netdev']),
        b.vsctl(['add-br', b.name('br'), '--', 'set', 'bridge', b.name('br'), 'datapath_type=netdev']),
      ]);
      assert.deepEqual((await a.vsctl(['list-br'])).trim(), a.name('br'));
      assert.deepEqual((await b.vsctl(['list-br'])).trim(), b.name('br'));
      const [ia] = await a.list('Interface', a.name('br'));
      assert.equal(ia?.ofport, 65534, 'the bridge came up in vswitchd');
      // The leak check sees a bridge left behind.
      assert.deepEqual(
        (await a.findLeaks()).filter((l) => l.startsWith('Bridge')),
        [`Bridge ${a.name('br')}`],
      );
      await a.vsctl(['del-br', a.name('br')]);
      await b.vsctl(['del-br', b.name('br')]);
      assert.deepEqual(await a.findLeaks(), []);
    } finally {
      const pids = [...a.pids, ...b.pids];
      assert.equal(pids.length, 4);
      await a.stopChecked();
      await b.stop();
      for (const pid of pids) assert.equal(await alive(pid), false, `pid ${pid} is gone`);
      assert.equal(existsSync(a.dir), false, 'run directory removed');
      const netns = await run(['ip', 'netns', 'list']);
      assert.ok(!netns.stdout.includes(a.netns), 'vswitchd namespace removed');
    }
  },
);

test('a stopped sandbox refuses connections: its socket is gone with it', rootOnly, async () => {
  const ovs = await OvsSandbox.start();
  await ovs.stop();
  await ovs.stop(); // idempotent
  const r = await run(['ovs-vsctl', `--db=unix:${ovs.socketPath}`, '--timeout=1', '--no-wait', 'list-br'], {
    check: false,
  });
  assert.notEqual(r.exitCode, 0);
});
