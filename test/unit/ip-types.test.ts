import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import {
  cidr,
  derivedDeviceName,
  deviceName,
  ipAddress,
  ipv4Broadcast,
  linkGroup,
  mac,
  mtu,
  namespaceName,
  tableId,
} from '../../src/net/index.js';

function refuses(fn: () => unknown, ...parts: string[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidInputError, `expected InvalidInputError, got ${e}`);
    for (const p of parts) assert.ok(e.message.includes(p), `"${e.message}" should mention ${p}`);
    return true;
  });
}

test('device names: 15 characters pass, 16 are refused with the value named, never truncated', () => {
  assert.equal(deviceName('abcdefghijklmno'), 'abcdefghijklmno');
  refuses(() => deviceName('abcdefghijklmnop', 'peer'), 'peer', '"abcdefghijklmnop"', '15');
  refuses(() => deviceName(''), 'device name');
  refuses(() => deviceName('a b'), '"a b"');
  refuses(() => deviceName('a/b'), '"a/b"');
  refuses(() => deviceName('a:1'), '"a:1"');
  refuses(() => deviceName('..'), '".."');
  refuses(() => deviceName('x#y'), '"x#y"');
});

test('derived device names take the prefix and 11 characters of the id', () => {
  const id = '3f2a9c1e-77b0-4d1e-9a0b-000000000001';
  assert.equal(derivedDeviceName('qr-', id), 'qr-3f2a9c1e-77');
  assert.equal(derivedDeviceName('tap', id), 'tap3f2a9c1e-77');
  assert.equal(derivedDeviceName('qg-', 'short'), 'qg-short');
  assert.equal(derivedDeviceName('ns-', id).length, 14);
  refuses(() => derivedDeviceName('tap', 'has space'), 'port id');
  refuses(() => derivedDeviceName('tap', ''), 'port id');
});

test('namespace names allow the usual qrouter-<uuid> and refuse path tricks', () => {
  assert.equal(namespaceName('qrouter-3f2a9c1e-77b0-4d1e-9a0b-000000000001').length, 44);
  refuses(() => namespaceName('../etc'), '"../etc"');
  refuses(() => namespaceName('a b'), 'namespace');
  refuses(() => namespaceName('.'), '"."');
  refuses(() => namespaceName('x'.repeat(129)), 'namespace');
});

test('CIDRs: IPv4 /0-/32, IPv6 /0-/128, normalised; /33 and junk refused', () => {
  assert.equal(cidr('10.0.0.1/24'), '10.0.0.1/24');
  assert.equal(cidr('FD00::1/064'), 'fd00::1/64');
  assert.equal(cidr('0.0.0.0/0'), '0.0.0.0/0');
  refuses(() => cidr('10.0.0.1/33', 'cidr'), 'cidr', '"10.0.0.1/33"', '32');
  refuses(() => cidr('fd00::1/129'), '128');
  refuses(() => cidr('10.0.0.1'), 'address/prefix');
  refuses(() => cidr('10.0.0.256/24'), '10.0.0.256');
  refuses(() => cidr('fe80::1%eth0/64'), 'fe80');
  assert.equal(ipAddress('FD00::A'), 'fd00::a');
  refuses(() => ipAddress('10.0.0.1/32', 'via'), 'via');
});

test('IPv4 broadcast is computed from the prefix; /31 and /32 use the address itself', () => {
  assert.equal(ipv4Broadcast(cidr('10.1.2.3/24')), '10.1.2.255');
  assert.equal(ipv4Broadcast(cidr('10.1.2.3/8')), '10.255.255.255');
  assert.equal(ipv4Broadcast(cidr('192.168.1.130/26')), '192.168.1.191');
  assert.equal(ipv4Broadcast(cidr('255.255.255.1/1')), '255.255.255.255');
  assert.equal(ipv4Broadcast(cidr('10.1.2.3/32')), '10.1.2.3');
  assert.equal(ipv4Broadcast(cidr('10.1.2.2/31')), '10.1.2.2');
  assert.equal(ipv4Broadcast(cidr('0.0.0.0/0')), '255.255.255.255');
});

test('MACs: unicast only, lower-cased; MTU 68-65535; tables by name and number; link groups', () => {
  assert.equal(mac('02:AB:cd:00:00:01'), '02:ab:cd:00:00:01');
  refuses(() => mac('02:ab:cd:00:00', 'mac'), 'mac', '02:ab:cd:00:00');
  refuses(() => mac('01:00:5e:00:00:01'), 'multicast');
  refuses(() => mac('00:00:00:00:00:00'), 'all-zero');
  assert.equal(mtu(1500), 1500);
  refuses(() => mtu(1), 'MTU', '1');
  refuses(() => mtu(65536), '65536');
  refuses(() => mtu(1500.5), '1500.5');
  assert.equal(tableId('main'), 'main');
  assert.equal(tableId(254), 'main');
  assert.equal(tableId(253), 'default');
  assert.equal(tableId('255'), 'local');
  assert.equal(tableId('100'), 100);
  refuses(() => tableId(0), 'table');
  refuses(() => tableId('all'), '"all"');
  refuses(() => tableId(2 ** 32), 'table');
  assert.equal(linkGroup(7), 7);
  refuses(() => linkGroup(0), 'link group');
});

test('an IPv6 zone id (fe80::1%eth0) is a typed InvalidInputError in every ip verb and builder', async () => {
  const { FakeIpKernel } = await import('../fakes/ip.js');
  const ip = await import('../../src/ip/index.js');
  const executor = new FakeIpKernel();
  const z = 'fe80::1%eth0';
  const calls: (() => unknown)[] = [
    () => ip.addAddress({ executor, dev: 'a', cidr: `${z}/64` }),
    () => ip.deleteAddress({ executor, dev: 'a', cidr: `${z}/64` }),
    () => ip.addRoute({ executor, to: `${z}/64` }),
    () => ip.addRoute({ executor, to: 'default', via: z }),
    () => ip.addRoute({ executor, to: 'default', family: 6, src: z }),
    () => ip.setDefaultGateway({ executor, via: z }),
    () => ip.addRule({ executor, from: z }),
    () => ip.deleteRule({ executor, to: `${z}/128` }),
    () => ip.addNeighbour({ executor, dev: 'a', address: z, mac: '02:00:00:00:00:01' }),
    () => ip.deleteNeighbour({ executor, dev: 'a', address: z }),
    () => ip.addVxlan({ executor, name: 'v', vni: 1, local: z }),
    () => ip.planAddresses('a', [`${z}/64`], []),
    () => ip.batchLine({ op: 'neigh.show', address: z as never }),
  ];
  for (const call of calls) {
    await assert.rejects(
      async () => call(),
      (e: unknown) => e instanceof InvalidInputError && e.message.includes('fe80::1%eth0'),
    );
  }
  assert.equal(executor.calls, 0);
});
