import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  fixedEgressRules,
  fixedIngressRules,
  linkLocal,
  portAddresses,
  spoofRules,
} from '../../src/firewall/chains.js';
import type { FirewallPort } from '../../src/firewall/desired.js';
import { ruleFilters } from '../../src/firewall/flows.js';
import {
  egressChain,
  firewallPrefix,
  ingressChain,
  parsePortChain,
  parseZoneComment,
  SG_CHAIN,
  SG_FALLBACK,
  spoofChain,
  zoneComment,
} from '../../src/firewall/names.js';
import { protocolMatch, ruleLines } from '../../src/firewall/rules.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import { MAX_CHAIN_NAME, MAX_PREFIX } from '../../src/iptables/names.js';
import type { SecurityGroupRule } from '../../src/model/types.js';
import { type Owner, resourceId, type TopologyName } from '../../src/net/ownership.js';
import type { Cidr, DeviceName, IpAddress, Mac } from '../../src/net/types.js';

function rule(r: Partial<SecurityGroupRule>): SecurityGroupRule {
  return {
    direction: 'ingress',
    family: 4,
    protocol: null,
    port: null,
    sourcePort: null,
    icmpType: null,
    icmpCode: null,
    remoteIp: null,
    remoteGroup: null,
    index: 0,
    ...r,
  };
}

const owner = { topology: 't1', kind: 'port', name: 'vm_a' } as Owner;
const port: FirewallPort = {
  owner,
  mac: 'fa:16:3e:00:00:01' as Mac,
  fixedIps: ['10.0.0.5', 'fd00::5'] as IpAddress[],
  allowedAddressPairs: [
    { cidr: '10.0.0.200/32' as Cidr, mac: 'fa:16:3e:00:00:09' as Mac },
    { cidr: '10.9.0.0/16' as Cidr, mac: 'fa:16:3e:00:00:01' as Mac },
  ],
  securityGroups: [],
  network: { topology: 't1', kind: 'network', name: 'web' } as Owner,
  hook: { bridge: 'brqx' as DeviceName, device: 'tapx' as DeviceName },
  dhcp: { addresses: ['10.0.0.2', 'fd00::2'] as IpAddress[], mac: 'fa:16:3e:00:00:02' as Mac },
};

describe('security-group rules as iptables matches', () => {
  test('a single port is a protocol match, a range goes through multiport, both together keep both', () => {
    assert.deepEqual(
      protocolMatch(rule({ protocol: 'tcp', port: { min: 22, max: 22 } })).join(' '),
      '-p tcp -m tcp --dport 22',
    );
    assert.equal(
      protocolMatch(rule({ protocol: 'udp', port: { min: 8000, max: 8100 } })).join(' '),
      '-p udp -m multiport --dports 8000:8100',
    );
    assert.equal(
      protocolMatch(
        rule({ protocol: 'tcp', port: { min: 80, max: 80 }, sourcePort: { min: 1000, max: 2000 } }),
      ).join(' '),
      '-p tcp -m tcp --dport 80 -m multiport --sports 1000:2000',
    );
    assert.equal(
      protocolMatch(rule({ protocol: 'sctp', sourcePort: { min: 9, max: 9 } })).join(' '),
      '-p sctp -m sctp --sport 9',
    );
  });

  test('ICMP type and code, ICMPv6 by its iptables name, any protocol and protocol numbers', () => {
    assert.equal(
      protocolMatch(rule({ protocol: 'icmp', icmpType: 8, icmpCode: 0 })).join(' '),
      '-p icmp -m icmp --icmp-type 8/0',
    );
    assert.equal(
      protocolMatch(rule({ family: 6, protocol: 'icmpv6', icmpType: 128 })).join(' '),
      '-p ipv6-icmp -m icmp6 --icmpv6-type 128',
    );
    assert.equal(protocolMatch(rule({ family: 6, protocol: 'icmpv6' })).join(' '), '-p ipv6-icmp');
    assert.deepEqual(protocolMatch(rule({})), []);
    assert.equal(protocolMatch(rule({ protocol: '47' })).join(' '), '-p 47');
  });

  test('the remote side is -s for ingress and -d for egress; a /0 remote matches anything', () => {
    assert.deepEqual(ruleLines(rule({ remoteIp: '10.0.0.0/8' as Cidr }), null), ['-s 10.0.0.0/8 -j RETURN']);
    assert.deepEqual(
      ruleLines(rule({ direction: 'egress', protocol: 'udp', remoteIp: '10.1.1.1/32' as Cidr }), null),
      ['-d 10.1.1.1/32 -p udp -j RETURN'],
    );
    assert.deepEqual(ruleLines(rule({ remoteIp: '0.0.0.0/0' as Cidr }), null), ['-j RETURN']);
  });

  test("a remote group is one set match, or one rule per member without the port's own address, none when empty", () => {
    const r = rule({ protocol: 'icmp', remoteGroup: 'web' as never });
    assert.deepEqual(ruleLines(r, { set: 'sgx4-abc' }), [
      '-m set --match-set sgx4-abc src -p icmp -j RETURN',
    ]);
    assert.deepEqual(ruleLines({ ...r, direction: 'egress' }, { set: 'sgx4-abc' }), [
      '-m set --match-set sgx4-abc dst -p icmp -j RETURN',
    ]);
    assert.deepEqual(
      ruleLines(r, { members: ['10.0.0.5', '10.0.0.6'] as IpAddress[] }, new Set(['10.0.0.5'])),
      ['-s 10.0.0.6 -p icmp -j RETURN'],
    );
    assert.deepEqual(ruleLines(r, { members: [] }), []);
  });
});

describe('fixed port rules', () => {
  test('anti-spoofing: pairs, then fixed IPs with the port MAC, the IPv6 link-local, then DROP', () => {
    assert.deepEqual(spoofRules(port, 4), [
      '-s 10.0.0.200/32 -m mac --mac-source fa:16:3e:00:00:09 -j RETURN',
      '-s 10.9.0.0/16 -m mac --mac-source fa:16:3e:00:00:01 -j RETURN',
      '-s 10.0.0.5 -m mac --mac-source fa:16:3e:00:00:01 -j RETURN',
      '-j DROP',
    ]);
    const v6 = spoofRules(port, 6);
    assert.equal(v6.at(-2), `-s ${linkLocal(port.mac)} -m mac --mac-source fa:16:3e:00:00:01 -j RETURN`);
    assert.equal(linkLocal(port.mac), 'fe80::f816:3eff:fe00:1');
    assert.deepEqual(spoofRules({ ...port, fixedIps: [], allowedAddressPairs: [] }, 4), [
      '-m mac --mac-source fa:16:3e:00:00:01 -j RETURN',
      '-j DROP',
    ]);
  });

  test('egress admits the DHCP client before and after the spoof check, drops a DHCP server and IPv6 router advertisements', () => {
    const v4 = fixedEgressRules('abc', 4);
    assert.equal(v4[1], `-j $${spoofChain('abc')}`);
    assert.ok(v4[0]?.includes('--sport 68 --dport 67 -j RETURN') && v4[0].startsWith('-s 0.0.0.0/32'));
    assert.ok(v4.includes('-p udp -m udp --sport 67 --dport 68 -j DROP'));
    const v6 = fixedEgressRules('abc', 6);
    assert.ok(
      v6.indexOf('-p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP') < v6.indexOf('-p ipv6-icmp -j RETURN'),
    );
    assert.ok(v6.includes('-p udp -m udp --sport 547 --dport 546 -j DROP'));
  });

  test("ingress admits DHCP replies from the network's server (IPv6: from its link-local) and NDP", () => {
    assert.deepEqual(fixedIngressRules(port, 4), [
      '-s 10.0.0.2 -p udp -m udp --sport 67 --dport 68 -j RETURN',
    ]);
    const v6 = fixedIngressRules(port, 6);
    assert.ok(v6.includes(`-s ${linkLocal(port.dhcp!.mac)} -p udp -m udp --sport 547 --dport 546 -j RETURN`));
    assert.ok(v6.includes('-p ipv6-icmp -m icmp6 --icmpv6-type 135 -j RETURN'));
    assert.deepEqual(fixedIngressRules({ ...port, dhcp: null }, 4), []);
  });

  test('a port may hold flows on its fixed IPs and its single-address pairs', () => {
    assert.deepEqual(portAddresses(port, 4), ['10.0.0.5', '10.0.0.200']);
    assert.deepEqual(portAddresses(port, 6), ['fd00::5']);
  });
});

describe('names', () => {
  test('the manager prefix is sg plus 8 characters, deterministic, and every chain fits 28 characters', () => {
    const p = firewallPrefix('demo' as TopologyName);
    assert.match(p, /^sg[a-z2-7]{8}$/);
    assert.ok(p.length <= MAX_PREFIX);
    assert.equal(firewallPrefix('demo' as TopologyName), p);
    assert.notEqual(firewallPrefix('demo2' as TopologyName), p);
    const m = new IptablesManager({ prefix: p, tables: ['filter'] });
    const id = resourceId(owner);
    for (const c of [ingressChain(id), egressChain(id), spoofChain(id), SG_CHAIN, SG_FALLBACK]) {
      const full = m.wrapped(c);
      assert.ok(full.length <= MAX_CHAIN_NAME, full);
      assert.equal(full, `tn-${p}-${c}`, 'never cut');
    }
  });

  test('port chains and zone comments parse back; sg-chain and sg-fallback are not port chains', () => {
    const id = resourceId(owner);
    assert.deepEqual(parsePortChain(spoofChain(id)), { kind: 's', portId: id });
    assert.deepEqual(parsePortChain(ingressChain(id)), { kind: 'i', portId: id });
    assert.equal(parsePortChain(SG_CHAIN), null);
    assert.equal(parsePortChain(SG_FALLBACK), null);
    assert.equal(parseZoneComment(zoneComment(id)), id);
    assert.equal(parseZoneComment('net-x'), null);
  });
});

describe('conntrack filters of a removed rule', () => {
  test('narrowed by protocol, single destination port and single remote address', () => {
    assert.deepEqual(
      ruleFilters('-s 10.1.1.1/32 -p tcp -m tcp --dport 22 -j RETURN', 'ingress', 4, 3, ['10.0.0.5']),
      [{ family: 4, zone: 3, dst: '10.0.0.5', src: '10.1.1.1', protocol: 'tcp', dport: 22 }],
    );
    assert.deepEqual(
      ruleFilters('-d 10.0.0.0/8 -p udp -m multiport --dports 1:9 -j RETURN', 'egress', 4, 3, ['10.0.0.5']),
      [{ family: 4, zone: 3, src: '10.0.0.5', protocol: 'udp' }],
    );
    assert.deepEqual(ruleFilters('-p ipv6-icmp -j RETURN', 'ingress', 6, 1, ['fd00::5']), [
      { family: 6, zone: 1, dst: 'fd00::5', protocol: 'icmpv6' },
    ]);
    assert.deepEqual(ruleFilters('-p 112 -j RETURN', 'ingress', 4, 1, ['10.0.0.5']), [
      { family: 4, zone: 1, dst: '10.0.0.5' },
    ]);
    assert.deepEqual(ruleFilters('-m state --state INVALID -j DROP', 'ingress', 4, 1, ['10.0.0.5']), []);
  });
});
