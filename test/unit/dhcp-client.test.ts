// The one-shot DHCP client's pieces: udhcpc's event script (run here with a recording `ip`), its
// argv, the plan step, the lease parser, and the run on a fake process table.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  dhcpClientArgv,
  dhcpClientStep,
  LEASE_PREFIX,
  parseLease,
  runDhcpClient,
  udhcpcScript,
} from '../../src/dhcp/client.js';
import { DhcpNoLeaseError } from '../../src/dhcp/errors.js';
import { InvalidInputError } from '../../src/errors.js';
import { ProcessError } from '../../src/exec/process-error.js';
import { run } from '../../src/exec/run.js';
import { FakeProcessRunner } from '../fakes/processes.js';

test('the client argv: one-shot busybox udhcpc on the device with the script', () => {
  assert.deepEqual(dhcpClientArgv('eth0', { script: '/var/lib/tenantnet/udhcpc.sh' }), [
    'busybox',
    'udhcpc',
    '-i',
    'eth0',
    '-n',
    '-q',
    '-f',
    '-t',
    '3',
    '-T',
    '1',
    '-s',
    '/var/lib/tenantnet/udhcpc.sh',
    '-O',
    'mtu',
  ]);
  assert.deepEqual(dhcpClientStep('vm-demo.a', 'eth0', { script: '/s', tries: 5 }), {
    via: 'command',
    phase: 'l3',
    place: 'vm-demo.a',
    argv: [
      'busybox',
      'udhcpc',
      '-i',
      'eth0',
      '-n',
      '-q',
      '-f',
      '-t',
      '5',
      '-T',
      '1',
      '-s',
      '/s',
      '-O',
      'mtu',
    ],
  });
  assert.throws(() => dhcpClientArgv('-i', { script: '/s' }), InvalidInputError);
  assert.throws(() => dhcpClientArgv('eth0', { script: 'relative' }), InvalidInputError);
  assert.throws(() => dhcpClientArgv('eth0', { script: '/s', tries: 0 }), InvalidInputError);
  assert.throws(() => udhcpcScript({ resolvFile: "/x'; rm -rf /" }), InvalidInputError);
});

test('the event script configures the device from the lease and prints it (run with a recording ip)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tn-udhcpc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ip'), `#!/bin/sh\necho "$@" >> '${dir}/ip.log'\n`);
  chmodSync(join(dir, 'ip'), 0o755);
  writeFileSync(join(dir, 'script'), udhcpcScript({ resolvFile: join(dir, 'resolv.conf') }));
  chmodSync(join(dir, 'script'), 0o755);
  assert.equal((await run(['sh', '-n', join(dir, 'script')])).exitCode, 0, 'valid sh');
  const env = {
    PATH: `${dir}:/usr/bin:/bin`,
    interface: 'eth0',
    ip: '10.0.1.10',
    mask: '24',
    router: '10.0.1.1 10.0.1.254',
    dns: '10.0.1.2 10.0.1.3',
    domain: 'openstacklocal',
    mtu: '1400',
    hostname: 'a',
    lease: '86400',
    serverid: '10.0.1.2',
  };
  await run([join(dir, 'script'), 'deconfig'], { env });
  const out = await run([join(dir, 'script'), 'bound'], { env });
  assert.deepEqual(readFileSync(join(dir, 'ip.log'), 'utf8').trim().split('\n'), [
    '-4 addr flush dev eth0 scope global',
    'link set dev eth0 up',
    '-4 addr flush dev eth0 scope global',
    'addr replace 10.0.1.10/24 dev eth0',
    'link set dev eth0 mtu 1400',
    'route replace default via 10.0.1.1 dev eth0',
  ]);
  assert.equal(
    readFileSync(join(dir, 'resolv.conf'), 'utf8'),
    'search openstacklocal\nnameserver 10.0.1.2\nnameserver 10.0.1.3\n',
  );
  assert.deepEqual(parseLease(out.stdout), {
    address: '10.0.1.10',
    prefixLength: 24,
    routers: ['10.0.1.1', '10.0.1.254'],
    dns: ['10.0.1.2', '10.0.1.3'],
    domain: 'openstacklocal',
    mtu: 1400,
    hostname: 'a',
    leaseTime: 86400,
    server: '10.0.1.2',
  });
});

test('parseLease: null without a lease; fields missing are null', () => {
  assert.equal(parseLease('udhcpc: sending discover\n'), null);
  const l = parseLease(`${LEASE_PREFIX}ip=10.0.0.5\n${LEASE_PREFIX}mask=16\n${LEASE_PREFIX}router=\n`);
  assert.equal(l?.address, '10.0.0.5');
  assert.equal(l?.prefixLength, 16);
  assert.deepEqual(l?.routers, []);
  assert.equal(l?.mtu, null);
});

test('runDhcpClient: the lease from the output; no lease (exit 1) is DhcpNoLeaseError', async () => {
  const ok = new FakeProcessRunner(() => ({
    stdout: `${LEASE_PREFIX}ip=10.0.1.10\n${LEASE_PREFIX}mask=24\n`,
  }));
  const lease = await runDhcpClient(null, 'eth0', { script: '/s', runner: ok });
  assert.equal(lease.address, '10.0.1.10');
  assert.equal(ok.ran[0]!.argv[1], 'udhcpc');
  const none = new FakeProcessRunner((argv) => {
    throw new ProcessError({
      argv: [...argv],
      exitCode: 1,
      signal: null,
      stdout: '',
      stderr: 'udhcpc: no lease, failing\n',
      timedOut: false,
    });
  });
  await assert.rejects(runDhcpClient(null, 'eth0', { script: '/s', runner: none }), (e: unknown) => {
    assert.ok(e instanceof DhcpNoLeaseError);
    assert.match(e.message, /no DHCP lease for eth0: udhcpc: no lease, failing/);
    return true;
  });
  const silent = new FakeProcessRunner(() => ({ stdout: '' }));
  await assert.rejects(runDhcpClient(null, 'eth0', { script: '/s', runner: silent }), DhcpNoLeaseError);
});
