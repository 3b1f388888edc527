import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { carriesMarker } from '../../src/exec/proc.js';
import { ProcessManager } from '../../src/exec/process-manager.js';
import { ProcessMonitor } from '../../src/exec/process-monitor.js';
import { NamespaceNotFoundError } from '../../src/net/namespace.js';
import { FakeProcessRunner } from '../fakes/processes.js';

async function tmp(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tn-pmi-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a service or uuid that is not a plain file name is refused, so no pidfile lands outside its directory', async (t) => {
  const parent = await tmp(t);
  const pidsDir = join(parent, 'pids');
  const command = () => ['sleep', '1'];
  for (const service of ['/../../escape', '../escape', 'a/b', '..', '.', '', '-x', 'a\nb']) {
    assert.throws(
      () => new ProcessManager({ uuid: 'net1', service, pidsDir, command }),
      (e: unknown) => e instanceof InvalidInputError && e.where === 'service',
      JSON.stringify(service),
    );
  }
  for (const uuid of ['..', '.', 'a/b', '', '-rf', 'net 1', 'a\0b']) {
    assert.throws(
      () => new ProcessManager({ uuid, pidsDir, command }),
      (e: unknown) => e instanceof InvalidInputError && e.where === 'uuid',
      JSON.stringify(uuid),
    );
  }
  for (const pidfile of [
    'relative.pid',
    `${pidsDir}/../x.pid`,
    `${pidsDir}//x.pid`,
    `${pidsDir}/x\n.pid`,
    '/',
  ]) {
    assert.throws(
      () => new ProcessManager({ uuid: 'net1', pidfile, command }),
      (e: unknown) => e instanceof InvalidInputError && e.where === 'pidfile',
      JSON.stringify(pidfile),
    );
  }
  assert.throws(() => new ProcessManager({ uuid: 'net1', pidsDir: 'pids', command }), InvalidInputError);
  // A name the file system cannot hold (over 255 bytes) is refused, not left to fail with ENAMETOOLONG.
  const long: [string, string][] = [
    ['u'.repeat(200), 's'.repeat(60)],
    ['net1', '🙂'.repeat(64)],
  ];
  for (const [uuid, service] of long) {
    assert.throws(() => new ProcessManager({ uuid, service, pidsDir, command }), InvalidInputError);
  }
  assert.throws(
    () => new ProcessManager({ uuid: 'net1', pidfile: `/tmp/${'x'.repeat(256)}`, command }),
    InvalidInputError,
  );
  assert.deepEqual(await readdir(parent), [], 'nothing was written');
});

test("a namespace of '' or a path is refused, never taken for the host's namespace", () => {
  for (const namespace of ['', '../../proc/1/ns/net', '/run/netns/x', '..', 'a/b']) {
    assert.throws(
      () => new ProcessManager({ uuid: 'net1', namespace, pidsDir: '/tmp/tn-none', command: () => ['true'] }),
      (e: unknown) => e instanceof InvalidInputError && e.where === 'namespace',
      JSON.stringify(namespace),
    );
  }
});

test('a marker counts only as a whole argument or a delimited token of one', () => {
  const yes = [
    ['net1'],
    ['--conf-dir=/var/lib/x/net1'],
    ['/x/net1/host'],
    ['--tags=a,net1,b'],
    ['x', 'net1'],
  ];
  const no = [['net10'], ['xnet1'], ['/x/net1.pid'], ['--net1=x'], ['net1x/y'], ['/x/net10/host'], []];
  for (const args of yes) assert.equal(carriesMarker(args, 'net1'), true, JSON.stringify(args));
  for (const args of no) assert.equal(carriesMarker(args, 'net1'), false, JSON.stringify(args));
  assert.equal(carriesMarker(['a'], ''), false);
});

test('the service of net10 is never taken for that of net1 (fake process table)', async (t) => {
  const pidsDir = await tmp(t);
  const runner = new FakeProcessRunner();
  const command = (uuid: string) => () => ['dnsmasq', `--conf-dir=/var/lib/tn/dhcp/${uuid}`];
  const net1 = new ProcessManager({
    uuid: 'net1',
    service: 'dnsmasq',
    pidsDir,
    command: command('net1'),
    runner,
  });
  const net10 = new ProcessManager({
    uuid: 'net10',
    service: 'dnsmasq',
    pidsDir,
    command: command('net10'),
    runner,
  });
  assert.equal(await net10.enable(), true);
  const other = (await net10.pid())!;
  // net1's stale pidfile now names net10's process (the PID was reused).
  await net10.disable();
  const reborn = runner.start(['dnsmasq', '--conf-dir=/var/lib/tn/dhcp/net10']);
  await writeFile(net1.pidfile, `${reborn.pid}\n`);
  assert.notEqual(reborn.pid, other);
  assert.equal(await net1.active(), false);
  assert.equal(await net1.disable(), false, 'nothing signalled');
  assert.deepEqual(reborn.signals, []);
  const monitor = new ProcessMonitor({ intervalMs: 60_000 });
  monitor.register(net1);
  await monitor.check();
  await monitor.stop();
  assert.equal(await net1.active(), true, 'the monitor respawned net1');
  assert.ok(runner.table.has(reborn.pid), "net10's process lives on");
});

test('enable runs through the runner: detached in the namespace, or daemonizing with run()', async (t) => {
  const pidsDir = await tmp(t);
  const runner: FakeProcessRunner = new FakeProcessRunner((argv) => {
    // A daemonizing command forks and writes its own pidfile: the fake "daemon" does the same.
    const pidfile = argv.find((a) => a.startsWith('--pid-file='))?.slice('--pid-file='.length);
    if (pidfile)
      writeFileSync(pidfile, `${runner.start(['dnsmasq', 'net9', `--pid-file=${pidfile}`]).pid}\n`);
    return undefined;
  });
  const fg = new ProcessManager({
    uuid: 'net7',
    service: 'svc',
    pidsDir,
    command: () => ['svc', 'net7'],
    runner,
  });
  assert.equal(await fg.enable(), true);
  const [proc] = runner.table.values();
  assert.deepEqual(proc?.argv, ['svc', 'net7']);
  assert.equal(proc?.namespace, null);
  assert.equal(await fg.enable(), false, 'already active');
  await fg.reload();
  assert.deepEqual(proc?.signals, ['SIGHUP']);
  assert.equal(await fg.disable('SIGTERM'), true);
  assert.equal(existsSync(fg.pidfile), false);
  assert.equal(runner.table.size, 0);

  const ghost = new ProcessManager({
    uuid: 'net8',
    namespace: 'tn-no-such-namespace-x1',
    pidsDir,
    command: () => ['svc', 'net8'],
    runner,
  });
  await assert.rejects(ghost.enable(), NamespaceNotFoundError);
  assert.equal(runner.table.size, 0, 'nothing started for a missing namespace');
  assert.equal(runner.ran.length, 0);

  const daemon = new ProcessManager({
    uuid: 'net9',
    service: 'dnsmasq',
    mode: 'daemonizes',
    pidsDir,
    command: (pidfile) => ['dnsmasq', `--pid-file=${pidfile}`, 'net9'],
    runner,
  });
  assert.equal(await daemon.enable(), true);
  assert.deepEqual(runner.ran[0]?.argv, ['dnsmasq', `--pid-file=${daemon.pidfile}`, 'net9']);
  assert.equal(runner.ran[0]?.options.timeoutMs, 30_000);
  assert.equal(await daemon.active(), true);
  assert.equal(await daemon.disable(), true);
});
