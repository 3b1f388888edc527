import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { rootOnly } from '../helpers/root.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { sandbox } from '../helpers/sandbox.js';
import { background, Lab, type LabInput, sleep } from './firewall-helpers.js';

/** Pings `to` from `ns` with source address `from` (which must be on the namespace's eth0). */
async function pingFrom(ns: string, from: string, to: string, count = 1): Promise<boolean> {
  const r = await run(['ping', '-n', '-q', '-c', String(count), '-i', '0.2', '-W', '1', '-I', from, to], {
    namespace: ns,
    check: false,
    timeoutMs: 5000,
  });
  return r.exitCode === 0;
}

/** Runs a busybox DHCP client once on eth0: the leased address, or null when none came. */
async function dhcpLease(ns: string): Promise<string | null> {
  const r = await run(
    ['busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-f', '-t', '4', '-T', '1', '-s', '/bin/true'],
    {
      namespace: ns,
      check: false,
      timeoutMs: 15_000,
    },
  );
  return /lease of (\S+) obtained/.exec(`${r.stdout}\n${r.stderr}`)?.[1] ?? null;
}

/** Starts dnsmasq on eth0 of `ns`, handing `mac` the address `ip` of `net` (mask /24). */
async function dnsmasq(sb: Sandbox, ns: string, net: string, mac: string, ip: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `${sb.prefix}-dhcp-`));
  sb.defer(() => rm(dir, { recursive: true, force: true }));
  await background(sb, ns, [
    'dnsmasq',
    '--keep-in-foreground',
    '--no-hosts',
    '--no-resolv',
    '--port=0',
    '--interface=eth0',
    '--bind-interfaces',
    '--user=root',
    `--pid-file=${join(dir, 'pid')}`,
    `--dhcp-leasefile=${join(dir, 'leases')}`,
    `--dhcp-range=${net},static,255.255.255.0`,
    `--dhcp-host=${mac},${ip}`,
  ]);
  await sleep(300);
}

describe('anti-spoofing, port security and DHCP on a real kernel', rootOnly, () => {
  test('a port sends only from its own IP and MAC and its allowed address pairs; ARP is never filtered; port security off is not filtered at all', async (t) => {
    const sb = sandbox(t);
    const input = (pairMac?: string): LabInput => ({
      networks: [{ name: 'n1', cidr: '10.62.1.0/24', dhcp: false }],
      securityGroups: [
        { name: 'g', rules: [{ direction: 'ingress', protocol: 'icmp' }, { direction: 'egress' }] },
      ],
      instances: [
        {
          name: 'a',
          network: 'n1',
          ip: '10.62.1.10',
          securityGroups: ['g'],
          ...(pairMac ? { allowedAddressPairs: [{ ip: '10.62.1.10', mac: pairMac }] } : {}),
        },
        {
          name: 'b',
          network: 'n1',
          ip: '10.62.1.11',
          securityGroups: ['g'],
          allowedAddressPairs: [{ ip: '10.62.1.200' }],
        },
        { name: 'e', network: 'n1', ip: '10.62.1.12', portSecurity: false },
      ],
    });
    const lab = await Lab.create(sb, input());
    await lab.firewall(lab.desired());
    const [a, b, e] = [lab.ns('a'), lab.ns('b'), lab.ns('e')];
    for (const [ns, ip] of [
      [a, '10.62.1.99/24'],
      [b, '10.62.1.200/24'],
      [e, '10.62.1.98/24'],
    ] as const) {
      await run(['ip', '-n', ns, 'addr', 'add', ip, 'dev', 'eth0']);
    }
    assert.equal(await pingFrom(a, '10.62.1.10', lab.ip('b'), 3), true, 'own address');
    assert.equal(await pingFrom(a, '10.62.1.99', lab.ip('b')), false, 'IP spoofing is dropped');
    assert.equal(await pingFrom(b, '10.62.1.200', lab.ip('a'), 3), true, 'an allowed address pair');
    assert.equal(await pingFrom(e, '10.62.1.98', lab.ip('b'), 3), true, 'port security off: any source');
    assert.equal(
      await pingFrom(b, lab.ip('b'), lab.ip('e'), 3),
      true,
      'port security off: reachable without rules',
    );
    const arp = await run(['ip', '-n', b, 'neigh', 'show', '10.62.1.10'], { namespace: null });
    assert.match(arp.stdout, /lladdr/, 'ARP resolved through the firewall');

    // MAC spoofing: a new MAC on a is dropped, until a pair allows that MAC.
    const spoofed = '02:00:00:00:62:99';
    await run(['ip', '-n', a, 'link', 'set', 'eth0', 'address', spoofed]);
    await run(['ip', '-n', b, 'neigh', 'flush', 'dev', 'eth0']);
    assert.equal(await pingFrom(a, '10.62.1.10', lab.ip('b')), false, 'MAC spoofing is dropped');
    await lab.update(input(spoofed));
    await lab.firewall(lab.desired());
    assert.equal(
      await pingFrom(a, '10.62.1.10', lab.ip('b'), 3),
      true,
      'the pair (own IP, new MAC) is allowed',
    );
  });

  test('IPv6: neighbour discovery passes, ICMPv6 is admitted by a rule, a spoofed IPv6 source is dropped', async (t) => {
    const sb = sandbox(t);
    const lab = await Lab.create(sb, {
      networks: [
        {
          name: 'n1',
          subnets: [
            { cidr: '10.62.4.0/24', dhcp: false },
            { cidr: 'fd62:4::/64', dhcp: false },
          ],
        },
      ],
      securityGroups: [
        { name: 'g', rules: [{ direction: 'ingress', protocol: 'icmpv6' }, { direction: 'egress' }] },
      ],
      instances: [
        { name: 'a', network: 'n1', ip: 'fd62:4::10', securityGroups: ['g'] },
        { name: 'b', network: 'n1', ip: 'fd62:4::11', securityGroups: ['g'] },
      ],
    });
    await lab.firewall(lab.desired());
    const ping6 = async (ns: string, from: string, to: string, count = 1) =>
      (
        await run(['ping', '-6', '-n', '-q', '-c', String(count), '-i', '0.2', '-W', '2', '-I', from, to], {
          namespace: ns,
          check: false,
          timeoutMs: 6000,
        })
      ).exitCode === 0;
    assert.equal(await ping6(lab.ns('a'), 'fd62:4::10', 'fd62:4::11', 3), true, 'NDP and ICMPv6 pass');
    assert.equal(await sb.ping(lab.ns('a'), lab.ip('b')), false, 'no IPv4 rule: IPv4 is default deny');
    await run(['ip', '-n', lab.ns('a'), 'addr', 'add', 'fd62:4::99/64', 'dev', 'eth0', 'nodad']);
    assert.equal(
      await ping6(lab.ns('a'), 'fd62:4::99', 'fd62:4::11'),
      false,
      'a spoofed IPv6 source is dropped',
    );
  });

  test('a DHCP client in an instance gets its lease; a DHCP server in an instance is blocked (and is not, without port security)', async (t) => {
    const sb = sandbox(t);
    const input = (serverSecured: boolean): LabInput => ({
      networks: [
        { name: 'n1', cidr: '10.62.2.0/24' },
        { name: 'n2', cidr: '10.62.3.0/24', dhcp: false },
      ],
      securityGroups: [{ name: 'g', rules: [{ direction: 'egress' }] }],
      instances: [
        { name: 'c', network: 'n1', ip: '10.62.2.10', securityGroups: ['g'] },
        { name: 'x', network: 'n2', ip: '10.62.3.10', portSecurity: serverSecured },
        { name: 'y', network: 'n2', ip: '10.62.3.11' },
      ],
    });
    const lab = await Lab.create(sb, input(true), { unaddressed: ['c', 'y'] });
    const n1 = lab.model.networks.find((n) => n.name === 'n1')!;
    const dhcpPort = n1.dhcpPort!;
    const server = await lab.plugPort(dhcpPort, 'dhcp');
    const c = lab.model.instances.find((i) => i.name === 'c')!;
    await dnsmasq(sb, server, '10.62.2.0', c.port.mac, lab.ip('c'));
    const y = lab.model.instances.find((i) => i.name === 'y')!;
    await dnsmasq(sb, lab.ns('x'), '10.62.3.0', y.port.mac, lab.ip('y'));
    await lab.firewall(lab.desired());

    const [lease, rogue] = await Promise.all([dhcpLease(lab.ns('c')), dhcpLease(lab.ns('y'))]);
    assert.equal(lease, lab.ip('c'), 'the network DHCP server answers a filtered, default-deny port');
    assert.equal(rogue, null, "x's DHCP server is dropped on x's egress");

    await lab.update(input(false));
    await lab.firewall(lab.desired());
    assert.equal(await dhcpLease(lab.ns('y')), lab.ip('y'), 'with x unfiltered its server answers');
  });
});
