import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { echo, echoServers, eventually, Lab, type LabInput } from './firewall-helpers.js';

const ours = (save: string) => save.split('\n').filter((l) => /tn-|tenantnet/.test(l));

describe('security groups on a real kernel (Linux bridge in a simulated host)', rootOnly, () => {
  test('default deny, then an ICMP ingress rule admits pings; re-apply sends nothing; one changed rule is one -D and one -I per port; removal leaves nothing', async (t) => {
    const sb = sandbox(t);
    const input = (rules: NonNullable<LabInput['securityGroups']>[number]['rules']): LabInput => ({
      networks: [{ name: 'n1', cidr: '10.61.1.0/24', dhcp: false }],
      securityGroups: [{ name: 'g', rules }],
      instances: [
        { name: 'a', network: 'n1', ip: '10.61.1.10', securityGroups: ['g'] },
        { name: 'b', network: 'n1', ip: '10.61.1.11', securityGroups: ['g'] },
      ],
    });
    const lab = await Lab.create(sb, input([{ direction: 'egress' }]));
    assert.equal(await sb.ping(lab.ns('a'), lab.ip('b'), 3), true, 'no firewall yet');
    await lab.firewall(lab.desired());
    assert.equal(await sb.ping(lab.ns('a'), lab.ip('b')), false, 'ingress is default deny');
    assert.equal(await sb.ping(lab.ns('b'), lab.ip('a')), false);

    await lab.update(input([{ direction: 'egress' }, { direction: 'ingress', protocol: 'icmp' }]));
    const { applied } = await lab.firewall(lab.desired());
    assert.equal(applied.iptablesOps, 2, 'one rule in each port chain');
    assert.equal(await sb.ping(lab.ns('a'), lab.ip('b'), 3), true);
    assert.equal(await sb.ping(lab.ns('b'), lab.ip('a'), 3), true);

    const before = await lab.save();
    const again = await lab.firewall(lab.desired());
    assert.deepEqual(again.changes, []);
    assert.equal(again.applied.operations, 0);
    assert.deepEqual(ours(await lab.save()), ours(before));

    await lab.update(
      input([
        { direction: 'egress' },
        { direction: 'ingress', protocol: 'icmp', icmpType: 8 },
        { direction: 'ingress', protocol: 'tcp', port: 22 },
      ]),
    );
    await lab.firewall(lab.desired());
    await lab.update(
      input([
        { direction: 'egress' },
        { direction: 'ingress', protocol: 'icmp', icmpType: 8, icmpCode: 0 },
        { direction: 'ingress', protocol: 'tcp', port: 22 },
      ]),
    );
    const changed = await lab.firewall(lab.desired());
    const sent = (changed.applied.sent[4] ?? '').split('\n').filter((l) => /^-[DIA] /.test(l));
    assert.equal(sent.length, 4, sent.join('\n'));
    assert.equal(sent.filter((l) => l.startsWith('-D ')).length, 2);
    assert.equal(sent.filter((l) => l.startsWith('-I ') && l.includes('--icmp-type 8/0')).length, 2);
    const chainOf = /^-D (\S+) /.exec(sent[0] as string)?.[1] as string;
    const rules = (await lab.save()).split('\n').filter((l) => l.startsWith(`-A ${chainOf} `));
    const at = (s: string) => rules.findIndex((r) => r.includes(s));
    assert.ok(at('--icmp-type 8/0') >= 0 && at('--icmp-type 8/0') < at('--dport 22'), rules.join('\n'));
    assert.equal(await sb.ping(lab.ns('a'), lab.ip('b'), 3), true);

    // A rule deleted by hand comes back, and only it.
    const victim = rules.find((r) => r.includes('--dport 22'))!;
    await run(['iptables', '-D', ...victim.slice(3).split(' ')], { namespace: lab.host });
    const repaired = await lab.firewall(lab.desired());
    assert.equal(repaired.applied.iptablesOps, 1);

    const removed = await lab.firewall(null);
    assert.equal(removed.changes[0]?.action, 'delete');
    assert.deepEqual(ours(await lab.save(4)), []);
    assert.deepEqual(ours(await lab.save(6)), []);
    assert.equal((await run(['ipset', 'list', '-n'], { namespace: lab.host })).stdout.trim(), '');
    assert.equal(await sb.ping(lab.ns('a'), lab.ip('b'), 3), true, 'unfiltered again');
  });

  test('TCP and UDP destination and source port ranges: the ports just outside a range are blocked', async (t) => {
    const sb = sandbox(t);
    const lab = await Lab.create(sb, {
      networks: [{ name: 'n1', cidr: '10.61.2.0/24', dhcp: false }],
      securityGroups: [
        {
          name: 'srv',
          rules: [
            { direction: 'ingress', protocol: 'tcp', port: '5000-5002' },
            { direction: 'ingress', protocol: 'udp', port: '5000-5002' },
            { direction: 'ingress', protocol: 'tcp', port: 7000, sourcePort: '6000-6001' },
            { direction: 'ingress', protocol: 'udp', port: 7000, sourcePort: '6000-6001' },
          ],
        },
        { name: 'cli', rules: [{ direction: 'egress' }] },
      ],
      instances: [
        { name: 'a', network: 'n1', ip: '10.61.2.10', securityGroups: ['cli'] },
        { name: 'b', network: 'n1', ip: '10.61.2.11', securityGroups: ['srv'] },
      ],
    });
    await echoServers(sb, lab.ns('b'), [4999, 5000, 5002, 5003, 7000]);
    await lab.firewall(lab.desired());
    const b = lab.ip('b');
    const cases: [string, 'TCP' | 'UDP', number, number | undefined, boolean][] = [];
    for (const proto of ['TCP', 'UDP'] as const) {
      cases.push(
        [`${proto} dport 4999`, proto, 4999, undefined, false],
        [`${proto} dport 5000`, proto, 5000, undefined, true],
        [`${proto} dport 5002`, proto, 5002, undefined, true],
        [`${proto} dport 5003`, proto, 5003, undefined, false],
        [`${proto} sport 5999`, proto, 7000, 5999, false],
        [`${proto} sport 6000`, proto, 7000, 6000, true],
        [`${proto} sport 6001`, proto, 7000, 6001, true],
        [`${proto} sport 6002`, proto, 7000, 6002, false],
      );
    }
    const got = await Promise.all(
      cases.map(([, proto, port, sport, want]) => {
        const probe = () => echo(lab.ns('a'), proto, b, port, sport);
        return want ? eventually(probe) : probe();
      }),
    );
    assert.deepEqual(
      Object.fromEntries(cases.map(([name], i) => [name, got[i]])),
      Object.fromEntries(cases.map(([name, , , , want]) => [name, want])),
    );
  });

  test('related traffic is admitted: an ICMP port unreachable reaches a port with no ingress rule', async (t) => {
    const sb = sandbox(t);
    const lab = await Lab.create(sb, {
      networks: [{ name: 'n1', cidr: '10.61.3.0/24', dhcp: false }],
      securityGroups: [
        { name: 'cli', rules: [{ direction: 'egress' }] },
        {
          name: 'srv',
          rules: [{ direction: 'ingress', protocol: 'udp', port: 7777 }, { direction: 'egress' }],
        },
      ],
      instances: [
        { name: 'a', network: 'n1', ip: '10.61.3.10', securityGroups: ['cli'] },
        { name: 'b', network: 'n1', ip: '10.61.3.11', securityGroups: ['srv'] },
      ],
    });
    await lab.firewall(lab.desired());
    const probe = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], 7777))
s.send(b'x')
try:
    s.recv(16)
    print('answered')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')
`;
    const r = await run(['/usr/bin/python3', '-c', probe, lab.ip('b')], { namespace: lab.ns('a') });
    assert.equal(r.stdout.trim(), 'refused', 'the port unreachable came back (RELATED)');
    assert.equal(await sb.ping(lab.ns('b'), lab.ip('a')), false, 'a new ICMP flow to a is still dropped');
  });
});
