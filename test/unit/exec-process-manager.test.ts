import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { readCmdline, waitFor } from '../../src/exec/proc.js';
import { ProcessManager } from '../../src/exec/process-manager.js';
import { ProcessMonitor } from '../../src/exec/process-monitor.js';

// A long-running service whose command line carries the uuid, as dnsmasq's carries its network id.
function service(uuid: string) {
  return () => [process.execPath, '-e', 'setInterval(() => {}, 1000)', uuid];
}

async function setup(t: TestContext): Promise<{ dir: string; uuid: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tn-pm-'));
  const uuid = `tn-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  t.after(async () => {
    // Belt and braces: kill anything of this test that is still alive (each service kind used here).
    for (const svc of ['process', 'svc']) {
      await new ProcessManager({ uuid, service: svc, pidsDir: dir, command: service(uuid) }).disable();
    }
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, uuid };
}

test('enable starts a service once, active checks its cmdline, disable kills it and removes the pidfile', async (t) => {
  const { dir, uuid } = await setup(t);
  const pm = new ProcessManager({ uuid, service: 'svc', pidsDir: dir, command: service(uuid) });
  assert.equal(pm.pidfile, join(dir, `${uuid}.pid.svc`));
  assert.equal(await pm.active(), false);
  assert.equal(await pm.enable(), true);
  const pid = (await pm.pid())!;
  assert.ok((await readCmdline(pid)).includes(uuid));
  assert.equal(await pm.enable(), false, 'already active: not started again');
  assert.equal(await pm.pid(), pid);
  assert.equal(await pm.disable(), true);
  assert.equal(await pm.active(), false);
  assert.equal(existsSync(pm.pidfile), false);
  assert.ok(await waitFor(async () => (await readCmdline(pid)).length === 0, 3000), 'the process is gone');
});

test('an unrelated live PID in the pidfile is inactive and is never killed', async (t) => {
  const { dir, uuid } = await setup(t);
  const stranger = spawn('sleep', ['30']);
  t.after(() => stranger.kill('SIGKILL'));
  await once(stranger, 'spawn');
  const pm = new ProcessManager({ uuid, pidsDir: dir, command: service(uuid) });
  await writeFile(pm.pidfile, `${stranger.pid}\n`);
  assert.equal(await pm.active(), false, 'a PID whose cmdline lacks the uuid is not ours');
  assert.equal(await pm.disable(), false, 'nothing signalled');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(stranger.exitCode, null);
  assert.equal(stranger.signalCode, null, 'the stranger is still alive');
  assert.ok((await readCmdline(stranger.pid!)).includes('sleep'));
});

test('reload sends SIGHUP to an active process', async (t) => {
  const { dir, uuid } = await setup(t);
  const marker = join(dir, 'hup');
  const pm = new ProcessManager({
    uuid,
    pidsDir: dir,
    command: () => [
      process.execPath,
      '-e',
      `process.on('SIGHUP', () => require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')); setInterval(() => {}, 1000)`,
      uuid,
    ],
  });
  await pm.enable();
  await new Promise((r) => setTimeout(r, 300)); // let node install its handler
  await pm.reload();
  assert.ok(await waitFor(async () => existsSync(marker), 3000), 'the process saw SIGHUP');
  await pm.disable();
});

test('the monitor respawns a killed process within its interval, and stops after unregister', async (t) => {
  const { dir, uuid } = await setup(t);
  const pm = new ProcessManager({ uuid, pidsDir: dir, command: service(uuid) });
  const monitor = new ProcessMonitor({ intervalMs: 200 });
  t.after(() => monitor.stop());
  await pm.enable();
  monitor.register(pm);
  const first = (await pm.pid())!;
  process.kill(first, 'SIGKILL');
  const killedAt = Date.now();
  assert.ok(
    await waitFor(async () => (await pm.active()) && (await pm.pid()) !== first, 200 + 3000),
    'respawned within interval + 3 s',
  );
  assert.ok(Date.now() - killedAt < 3200);
  monitor.unregister(uuid);
  await pm.disable();
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(await pm.active(), false, 'not resurrected after unregister');
});

test('the monitor can run a custom exit action instead of respawning', async (t) => {
  const { dir, uuid } = await setup(t);
  const pm = new ProcessManager({ uuid, pidsDir: dir, command: service(uuid) });
  const seen: string[] = [];
  const monitor = new ProcessMonitor({
    intervalMs: 100,
    action: (id, svc) => void seen.push(`${id}/${svc}`),
  });
  t.after(() => monitor.stop());
  monitor.register(pm); // never enabled: dead from the start
  await monitor.check();
  assert.deepEqual(seen, [`${uuid}/process`]);
  assert.equal(await pm.active(), false);
});

test('a foreground process that never becomes active is killed and its pidfile removed', async (t) => {
  const { dir, uuid } = await setup(t);
  // Its command line lacks the uuid, so it can never pass the active check.
  const pm = new ProcessManager({
    uuid,
    pidsDir: dir,
    command: () => [process.execPath, '-e', 'setInterval(() => {}, 1000)', 'tn-not-it'],
  });
  let started: number | null = null;
  const pidfileWatch = setInterval(async () => {
    started ??= await pm.pid();
  }, 20);
  t.after(() => clearInterval(pidfileWatch));
  await assert.rejects(pm.enable(), /did not become active/);
  clearInterval(pidfileWatch);
  assert.ok(started !== null, 'the pidfile was written');
  assert.equal(existsSync(pm.pidfile), false, 'the pidfile is removed');
  const pid = started as number;
  assert.ok(await waitFor(async () => (await readCmdline(pid)).length === 0, 3000), 'the process is gone');
});

test('stop waits for a check in progress, and a stopped monitor respawns nothing', async (t) => {
  const { dir, uuid } = await setup(t);
  const pm = new ProcessManager({ uuid, pidsDir: dir, command: service(uuid) });
  let respawns = 0;
  const monitor = new ProcessMonitor({ intervalMs: 60_000 });
  monitor.on('respawn', () => respawns++);
  monitor.register(pm); // never enabled: dead
  const checking = monitor.check();
  await monitor.stop();
  await checking;
  assert.equal(await pm.active(), false, 'the check that was running when stop() came respawned nothing');
  assert.equal(respawns, 0);
});

test("a stale pidfile naming net10's process is not net1's: disable spares it and the monitor respawns net1", async (t) => {
  const { dir, uuid } = await setup(t);
  const [net1, net10] = [`${uuid}-net1`, `${uuid}-net10`];
  const pm1 = new ProcessManager({ uuid: net1, pidsDir: dir, command: service(net1) });
  const pm10 = new ProcessManager({ uuid: net10, pidsDir: dir, command: service(net10) });
  // By PID, not by pidfile: the setup's cleanup may already have removed the pidfiles.
  t.after(async () => {
    for (const d of await readdir('/proc')) {
      if (/^\d+$/.test(d) && (await readCmdline(Number(d))).some((a) => a.startsWith(uuid))) {
        process.kill(Number(d), 'SIGKILL');
      }
    }
  });
  assert.equal(await pm10.enable(), true);
  const other = (await pm10.pid())!;
  await writeFile(pm1.pidfile, `${other}\n`);
  assert.equal(await pm1.active(), false, "net10's command line does not carry net1 as a whole token");
  assert.equal(await pm1.disable(), false, 'nothing signalled');
  assert.equal(await pm10.active(), true, 'net10 lives on');
  await writeFile(pm1.pidfile, `${other}\n`);
  const monitor = new ProcessMonitor({ intervalMs: 60_000 });
  t.after(() => monitor.stop());
  monitor.register(pm1);
  await monitor.check();
  assert.equal(await pm1.active(), true, 'net1 was respawned');
  assert.notEqual(await pm1.pid(), other);
  assert.equal(await pm10.active(), true);
});
