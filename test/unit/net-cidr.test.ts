import assert from 'node:assert/strict';
import { SocketAddress } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/errors.js';
import {
  addressCount,
  addressFamily,
  addressToBigInt,
  bigIntToAddress,
  broadcastAddress,
  cidrAddress,
  cidrFamily,
  compareAddresses,
  containsAddress,
  containsCidr,
  eui64Address,
  firstHost,
  hostCount,
  hostIndex,
  hostsFrom,
  isHostOf,
  lastHost,
  networkAddress,
  nthHost,
  overlaps,
  parseAddress,
  parseInterfaceCidr,
  parsePrefix,
  parseSubnetCidr,
  prefixLength,
  subnetOf,
  withPrefix,
} from '../../src/net/cidr.js';
import type { Cidr, IpAddress, Mac } from '../../src/net/types.js';

const c = (s: string) => s as Cidr;
const a = (s: string) => s as IpAddress;

function refuses(fn: () => unknown, ...parts: string[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidInputError, `expected InvalidInputError, got ${e}`);
    for (const p of parts) assert.ok(e.message.includes(p), `"${e.message}" should mention ${p}`);
    return true;
  });
}

test('addresses come back in the canonical text ip prints: IPv6 compressed and lower case', () => {
  assert.equal(parseAddress('10.0.0.1'), '10.0.0.1');
  assert.equal(parseAddress('FD00:0:0:0:0:0:0:1'), 'fd00::1');
  assert.equal(parseAddress('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(parseAddress('1:0:1:0:1:0:1:0'), '1:0:1:0:1:0:1:0');
  assert.equal(parseAddress('0:0:0:0:0:0:0:0'), '::');
  // inet_ntop's embedded-IPv4 forms (ipaddr.js alone would read ::1.2.3.4 as ::ffff:1.2.3.4)
  assert.equal(parseAddress('::ffff:1.2.3.4'), '::ffff:1.2.3.4');
  assert.equal(parseAddress('::1.2.3.4'), '::1.2.3.4');
  assert.equal(parseAddress('::0:102:304'), '::1.2.3.4');
  assert.equal(parseAddress('::0.0.1.2'), '::102');
});

test('canonical IPv6 text equals inet_ntop (node:net SocketAddress) for any address', () => {
  fc.assert(
    fc.property(fc.ipV6(), (v) => {
      assert.equal(parseAddress(v), new SocketAddress({ address: v, family: 'ipv6' }).address);
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.ipV4(), (v) => {
      assert.equal(parseAddress(v), v);
    }),
    { numRuns: 200 },
  );
});

test('zone ids, non-standard IPv4 forms, garbage and non-strings are refused with the argument named', () => {
  refuses(() => parseAddress('fe80::1%eth0', 'gateway'), 'gateway', 'zone id');
  refuses(() => parseSubnetCidr('fe80::%eth0/64'), 'zone id');
  refuses(() => parseAddress('10.1'), '"10.1"', 'not an IPv4 or IPv6 address');
  refuses(() => parseAddress('010.0.0.1'), 'not an IPv4');
  refuses(() => parseAddress('0x0a.0.0.1'), 'not an IPv4');
  refuses(() => parseAddress('10.0.0.1\n'), 'not an IPv4');
  refuses(() => parseAddress(''), 'not an IPv4');
  refuses(() => parseAddress(42 as unknown as string, 'ip'), 'ip', 'not a string');
});

test('subnet CIDRs must have host bits zero; the refusal says which subnet was meant', () => {
  assert.equal(parseSubnetCidr('10.0.0.0/24'), '10.0.0.0/24');
  assert.equal(parseSubnetCidr('FD00:0::/64'), 'fd00::/64');
  assert.equal(parseSubnetCidr('0.0.0.0/0'), '0.0.0.0/0');
  assert.equal(parseSubnetCidr('::/0'), '::/0');
  assert.equal(parseSubnetCidr('10.0.0.7/32'), '10.0.0.7/32');
  refuses(() => parseSubnetCidr('10.0.0.5/24', 'cidr'), 'cidr', 'host bits', 'did you mean 10.0.0.0/24?');
  refuses(() => parseSubnetCidr('fd00::1/64'), 'did you mean fd00::/64?');
  refuses(() => parseSubnetCidr('10.0.0.0/33'), 'prefix length (0-32');
  refuses(() => parseSubnetCidr('fd00::/129'), '0-128');
  refuses(() => parseSubnetCidr('10.0.0.0'), 'not a CIDR');
  refuses(() => parseSubnetCidr('10.0.0.0/'), 'prefix length');
  refuses(() => parseSubnetCidr('10.0.0.0/2a'), 'prefix length');
});

test('interface CIDRs keep their host bits; match prefixes clear them and widen bare addresses', () => {
  assert.equal(parseInterfaceCidr('10.0.0.5/24'), '10.0.0.5/24');
  assert.equal(parseInterfaceCidr('FD00::5/64'), 'fd00::5/64');
  assert.equal(parsePrefix('10.0.0.1'), '10.0.0.1/32');
  assert.equal(parsePrefix('fd00::1'), 'fd00::1/128');
  assert.equal(parsePrefix('10.1.2.3/8'), '10.0.0.0/8');
  assert.equal(parsePrefix('0.0.0.0/0'), '0.0.0.0/0');
  refuses(() => parsePrefix('10.0.0.1/40'), 'prefix length');
});

test('family, prefix length, address part, network address, subnet of an interface CIDR', () => {
  assert.equal(cidrFamily(c('10.0.0.0/8')), 4);
  assert.equal(cidrFamily(c('fd00::/8')), 6);
  assert.equal(addressFamily(a('::ffff:1.2.3.4')), 6);
  assert.equal(prefixLength(c('fd00::/64')), 64);
  assert.equal(cidrAddress(c('10.0.0.5/24')), '10.0.0.5');
  assert.equal(networkAddress(c('10.0.0.5/24')), '10.0.0.0');
  assert.equal(networkAddress(c('fd00::1:2/112')), 'fd00::1:0');
  assert.equal(subnetOf(c('172.16.5.4/12')), '172.16.0.0/12');
  assert.equal(withPrefix(a('10.0.0.1'), 24), '10.0.0.1/24');
  refuses(() => withPrefix(a('10.0.0.1'), 33), 'prefix length');
});

test('broadcast: IPv4 only, none for /31 and /32', () => {
  assert.equal(broadcastAddress(c('10.0.0.0/24')), '10.0.0.255');
  assert.equal(broadcastAddress(c('0.0.0.0/0')), '255.255.255.255');
  assert.equal(broadcastAddress(c('10.0.0.0/30')), '10.0.0.3');
  assert.equal(broadcastAddress(c('10.0.0.0/31')), null);
  assert.equal(broadcastAddress(c('10.0.0.1/32')), null);
  assert.equal(broadcastAddress(c('fd00::/64')), null);
});

test('host ranges at the edge prefixes (/0 /30 /31 /32, /64 /127 /128)', () => {
  const cases: [string, string, string, bigint, bigint][] = [
    ['0.0.0.0/0', '0.0.0.1', '255.255.255.254', 2n ** 32n - 2n, 2n ** 32n],
    ['10.0.0.0/24', '10.0.0.1', '10.0.0.254', 254n, 256n],
    ['10.0.0.0/30', '10.0.0.1', '10.0.0.2', 2n, 4n],
    ['10.0.0.0/31', '10.0.0.0', '10.0.0.1', 2n, 2n],
    ['10.0.0.9/32', '10.0.0.9', '10.0.0.9', 1n, 1n],
    ['::/0', '::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 2n ** 128n - 1n, 2n ** 128n],
    ['fd00::/64', 'fd00::1', 'fd00::ffff:ffff:ffff:ffff', 2n ** 64n - 1n, 2n ** 64n],
    ['fd00::/127', 'fd00::1', 'fd00::1', 1n, 2n],
    ['fd00::5/128', 'fd00::5', 'fd00::5', 1n, 1n],
  ];
  for (const [cidr, first, last, hosts, size] of cases) {
    assert.equal(firstHost(c(cidr)), first, `first host of ${cidr}`);
    assert.equal(lastHost(c(cidr)), last, `last host of ${cidr}`);
    assert.equal(hostCount(c(cidr)), hosts, `host count of ${cidr}`);
    assert.equal(addressCount(c(cidr)), size, `size of ${cidr}`);
  }
});

test('nth host counts from the first host, negative from the last, null past the ends', () => {
  assert.equal(nthHost(c('10.0.0.0/24'), 0), '10.0.0.1');
  assert.equal(nthHost(c('10.0.0.0/24'), 9), '10.0.0.10');
  assert.equal(nthHost(c('10.0.0.0/24'), -1), '10.0.0.254');
  assert.equal(nthHost(c('10.0.0.0/24'), 253), '10.0.0.254');
  assert.equal(nthHost(c('10.0.0.0/24'), 254), null);
  assert.equal(nthHost(c('10.0.0.0/24'), -255), null);
  assert.equal(nthHost(c('fd00::/64'), 2n ** 40n), 'fd00::100:0:1');
  assert.equal(nthHost(c('10.0.0.9/32'), 0), '10.0.0.9');
});

test('containment and host-ness: network and broadcast are inside but not hosts; families never mix', () => {
  assert.equal(containsAddress(c('10.0.0.0/24'), a('10.0.0.0')), true);
  assert.equal(containsAddress(c('10.0.0.0/24'), a('10.0.1.0')), false);
  assert.equal(containsAddress(c('0.0.0.0/0'), a('::')), false);
  assert.equal(containsAddress(c('::/0'), a('10.0.0.1')), false);
  assert.equal(isHostOf(c('10.0.0.0/24'), a('10.0.0.0')), false);
  assert.equal(isHostOf(c('10.0.0.0/24'), a('10.0.0.255')), false);
  assert.equal(isHostOf(c('10.0.0.0/24'), a('10.0.0.254')), true);
  assert.equal(isHostOf(c('10.0.0.0/31'), a('10.0.0.0')), true);
  assert.equal(isHostOf(c('fd00::/64'), a('fd00::')), false);
  assert.equal(isHostOf(c('fd00::/64'), a('fd00::ffff:ffff:ffff:ffff')), true);
  assert.equal(hostIndex(c('10.0.0.0/24'), a('10.0.0.1')), 0n);
  assert.equal(hostIndex(c('10.0.0.0/24'), a('10.0.0.255')), null);
});

test('overlap and containment of CIDRs', () => {
  assert.equal(overlaps(c('10.0.0.0/16'), c('10.0.5.0/24')), true);
  assert.equal(overlaps(c('10.0.5.0/24'), c('10.0.0.0/16')), true);
  assert.equal(overlaps(c('10.0.0.0/24'), c('10.0.1.0/24')), false);
  assert.equal(overlaps(c('0.0.0.0/0'), c('::/0')), false);
  assert.equal(overlaps(c('fd00::/64'), c('fd00::/48')), true);
  assert.equal(containsCidr(c('10.0.0.0/16'), c('10.0.5.0/24')), true);
  assert.equal(containsCidr(c('10.0.5.0/24'), c('10.0.0.0/16')), false);
});

test('address <-> BigInt, both families, and the ends of the range', () => {
  assert.equal(addressToBigInt(a('10.0.0.1')), 167772161n);
  assert.equal(bigIntToAddress(167772161n, 4), '10.0.0.1');
  assert.equal(bigIntToAddress(0n, 6), '::');
  assert.equal(bigIntToAddress(2n ** 128n - 1n, 6), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  refuses(() => bigIntToAddress(2n ** 32n, 4), 'not an IPv4 address value');
  refuses(() => bigIntToAddress(-1n, 6), 'not an IPv6 address value');
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (v) => {
      const canon = parseAddress(v);
      assert.equal(bigIntToAddress(addressToBigInt(canon), addressFamily(canon)), canon);
    }),
    { numRuns: 300 },
  );
});

test('addresses sort numerically, IPv4 before IPv6', () => {
  const sorted = [a('10.0.0.10'), a('fd00::1'), a('10.0.0.9'), a('9.255.255.255')].sort(compareAddresses);
  assert.deepEqual(sorted, ['9.255.255.255', '10.0.0.9', '10.0.0.10', 'fd00::1']);
});

test('the probe visits every host once from its start, wrapping, and is lazy on a /64', () => {
  assert.deepEqual(
    [...hostsFrom(c('10.0.0.0/29'), 4n)],
    ['10.0.0.5', '10.0.0.6', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'],
  );
  assert.deepEqual([...hostsFrom(c('10.0.0.0/29'), 6n + 1n)], [...hostsFrom(c('10.0.0.0/29'), 1n)]);
  assert.deepEqual([...hostsFrom(c('10.0.0.0/31'), 0n)], ['10.0.0.0', '10.0.0.1']);
  const probe = hostsFrom(c('fd00::/64'), 2n ** 63n);
  assert.equal(probe.next().value, 'fd00::8000:0:0:1');
});

test('EUI-64 addresses as SLAAC makes them; only on an IPv6 /64', () => {
  assert.equal(eui64Address(c('fd00::/64'), 'fa:16:3e:00:00:10' as Mac), 'fd00::f816:3eff:fe00:10');
  assert.equal(
    eui64Address(c('2001:db8:1:2::/64'), '00:11:22:33:44:55' as Mac),
    '2001:db8:1:2:211:22ff:fe33:4455',
  );
  refuses(() => eui64Address(c('fd00::/56'), 'fa:16:3e:00:00:10' as Mac), '/64');
  refuses(() => eui64Address(c('10.0.0.0/24'), 'fa:16:3e:00:00:10' as Mac), '/64');
});

test('properties: the n-th host is inside its subnet; a subnet of an interface CIDR contains its address', () => {
  const v4 = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 }));
  const v6 = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 }));
  fc.assert(
    fc.property(fc.oneof(v4, v6), fc.bigInt({ min: 0n, max: 2n ** 70n }), ([ip, len], n) => {
      const iface = parseInterfaceCidr(`${ip}/${len}`);
      const subnet = subnetOf(iface);
      assert.ok(containsAddress(subnet, cidrAddress(iface)));
      assert.equal(parseSubnetCidr(subnet), subnet);
      const host = nthHost(subnet, n % hostCount(subnet));
      assert.ok(host && isHostOf(subnet, host));
      assert.ok(overlaps(subnet, parsePrefix(host)));
    }),
    { numRuns: 300 },
  );
});
