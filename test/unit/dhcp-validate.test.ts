// The DHCP layer's own door: every refusal names the port (or field), and hostile strings at any
// field end in InvalidInputError, never in a file or an argv.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DhcpNetwork } from '../../src/dhcp/types.js';
import { DEFAULT_DOMAIN, dhcpNetwork, dnsDomain, hostname } from '../../src/dhcp/validate.js';
import { InvalidInputError } from '../../src/errors.js';
import { hostileString } from '../helpers/host-snapshot.js';
import { served } from './dhcp-fixtures.js';

const { net } = served();
const [a, b] = net.hosts as [DhcpNetwork['hosts'][0], DhcpNetwork['hosts'][0]];

function refused(value: unknown, where: RegExp, message: RegExp): void {
  assert.throws(
    () => dhcpNetwork(value as DhcpNetwork),
    (e: unknown) => {
      assert.ok(e instanceof InvalidInputError, `not InvalidInputError: ${String(e)}`);
      assert.match(e.where ?? '', where);
      assert.match(e.message, message);
      return true;
    },
  );
}

test('a network from the model is valid and gets the defaults', () => {
  const v = dhcpNetwork(net);
  assert.equal(v.domain, DEFAULT_DOMAIN);
  assert.equal(v.leaseTime, 86400);
  assert.deepEqual(v.upstreamServers, []);
  assert.deepEqual(
    v.hosts.map((h) => h.hostname),
    ['a', 'b'],
  );
});

test('an address already used by another port is refused naming both ports', () => {
  const ip = a.fixedIps[0]!;
  refused(
    { ...net, hosts: [a, { ...b, fixedIps: [ip] }] },
    /^dhcp\.hosts\[1\]\.fixedIps\[0\]\.address$/,
    /port vm_b: 10\.0\.1\.10 is already used by port vm_a/,
  );
  refused(
    { ...net, hosts: [a, { ...b, fixedIps: [{ ...ip, address: net.port.fixedIps[0]!.address }] }] },
    /hosts\[1\]/,
    /already used by port dhcp_web \(the DHCP port\)/,
  );
});

test('an address outside its subnet, or on a subnet the network lacks, is refused naming the port', () => {
  const ip = b.fixedIps[0]!;
  refused(
    { ...net, hosts: [a, { ...b, fixedIps: [{ ...ip, address: '10.9.9.9' }] }] },
    /hosts\[1\]\.fixedIps\[0\]\.address/,
    /port vm_b: 10\.9\.9\.9 is outside its subnet 10\.0\.1\.0\/24/,
  );
  refused(
    { ...net, hosts: [a, { ...b, fixedIps: [{ ...ip, address: '10.0.1.255' }] }] },
    /address/,
    /outside its subnet|not a host/,
  );
  refused(
    { ...net, hosts: [a, { ...b, fixedIps: [{ ...ip, subnet: 'nope' }] }] },
    /hosts\[1\]\.fixedIps\[0\]\.subnet/,
    /port vm_b: no subnet "nope"/,
  );
});

test('a MAC or a hostname used twice is refused naming the port', () => {
  refused(
    { ...net, hosts: [a, { ...b, mac: a.mac }] },
    /^dhcp\.hosts\[1\]\.mac$/,
    /port vm_b: MAC fa:16:3e:00:00:0a is already used by port vm_a/,
  );
  refused({ ...net, hosts: [a, { ...b, mac: net.port.mac }] }, /hosts\[1\]\.mac/, /the DHCP port/);
  refused(
    { ...net, hosts: [a, { ...b, hostname: 'A' }] },
    /hosts\[1\]\.hostname/,
    /hostname a is already used by port vm_a/,
  );
  refused({ ...net, hosts: [a, { ...b, id: a.id }] }, /hosts\[1\]\.id/, /port vm_b/);
});

test('a bad CIDR, overlapping subnets, a gateway outside, a bad MTU or lease time are refused', () => {
  const s = net.network.subnets[0]!;
  const withSubnet = (x: object) => ({ ...net, network: { ...net.network, subnets: [{ ...s, ...x }] } });
  refused(withSubnet({ cidr: '10.0.1.5/24' }), /subnets\[0\]\.cidr/, /did you mean 10\.0\.1\.0\/24/);
  refused(withSubnet({ cidr: '10.0.1.0/33' }), /subnets\[0\]\.cidr/, /./);
  refused(
    withSubnet({ gateway: '10.0.2.1' }),
    /subnets\[0\]\.gateway/,
    /not a host address of 10\.0\.1\.0\/24/,
  );
  refused(withSubnet({ dns: ['fd00::1'] }), /subnets\[0\]\.dns\[0\]/, /not an IPv4 address/);
  refused(withSubnet({ ipv6Mode: 'slaac' }), /ipv6Mode/, /only IPv6/);
  refused(
    {
      ...net,
      network: {
        ...net.network,
        subnets: [...net.network.subnets, { ...s, name: 'other', cidr: '10.0.0.0/16' }],
      },
    },
    /subnets\[2\]\.cidr/,
    /overlaps 10\.0\.1\.0\/24/,
  );
  refused({ ...net, network: { ...net.network, mtu: 20 } }, /network\.mtu/, /./);
  refused({ ...net, leaseTime: 60 }, /leaseTime/, /120 s or more/);
  refused({ ...net, domain: 'bad domain' }, /domain/, /not a DNS domain/);
  refused({ ...net, upstreamServers: ['8.8.8.8; rm'] }, /upstreamServers\[0\]/, /./);
  refused({ ...net, hosts: 'x' }, /^dhcp\.hosts$/, /not a list/);
  refused(null, /^dhcp$/, /not a DHCP network/);
});

test('hostnames and domains are DNS names', () => {
  assert.equal(hostname('Web-1'), 'web-1');
  assert.equal(dnsDomain('Example.ORG.'), 'example.org');
  for (const bad of ['', '-a', 'a-', 'a.b', 'a b', 'x'.repeat(64), 'a\nb'])
    assert.throws(() => hostname(bad), InvalidInputError);
  for (const bad of ['', '..', 'a..b', 'a b', '-a.b', 'x'.repeat(254)])
    assert.throws(() => dnsDomain(bad), InvalidInputError);
});

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (typeof v !== 'object' || v === null) return [];
  return Object.values(v).flatMap(strings);
}

test('hostile strings at any field of a DHCP network are refused, never passed on', () => {
  const fields: ((v: string) => unknown)[] = [
    (v) => ({ ...net, domain: v }),
    (v) => ({ ...net, hosts: [{ ...a, hostname: v }] }),
    (v) => ({ ...net, hosts: [{ ...a, mac: v }] }),
    (v) => ({ ...net, hosts: [{ ...a, id: v }] }),
    (v) => ({ ...net, hosts: [{ ...a, fixedIps: [{ ...a.fixedIps[0]!, address: v }] }] }),
    (v) => ({ ...net, hosts: [{ ...a, fixedIps: [{ ...a.fixedIps[0]!, subnet: v }] }] }),
    (v) => ({ ...net, hosts: [{ ...a, owner: { ...a.owner, name: v } }] }),
    (v) => ({ ...net, network: { ...net.network, subnets: [{ ...net.network.subnets[0]!, cidr: v }] } }),
    (v) => ({ ...net, network: { ...net.network, subnets: [{ ...net.network.subnets[0]!, id: v }] } }),
    (v) => ({ ...net, network: { ...net.network, subnets: [{ ...net.network.subnets[0]!, name: v }] } }),
    (v) => ({ ...net, network: { ...net.network, owner: { ...net.network.owner, topology: v } } }),
    (v) => ({ ...net, port: { ...net.port, id: v } }),
    (v) => ({ ...net, upstreamServers: [v] }),
  ];
  fc.assert(
    fc.property(hostileString(), fc.nat(fields.length - 1), (v, i) => {
      try {
        const out = dhcpNetwork(fields[i]!(v) as DhcpNetwork);
        // Accepted: the value must have been a harmless one (no control character reaches a file).
        for (const text of strings(out)) assert.ok(!CONTROL.test(text), JSON.stringify(text));
      } catch (e) {
        assert.ok(e instanceof InvalidInputError, `field ${i}: ${String(e)}`);
      }
    }),
    { numRuns: 300 },
  );
});
