import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { ingressChain } from '../../src/firewall/names.js';
import { resourceId } from '../../src/net/ownership.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { echoServers, type FlowProbe, flow, Lab, type LabInput, pings, sleep } from './firewall-helpers.js';

/**
 * True when the probe was alive before `from - 2000` and had no success from `from` on. Call it a
 * second or more after `from`: the probe succeeds every 100-200 ms while alive.
 */
function stoppedBy(p: FlowProbe, from: number): boolean {
  return p.times().some((t) => t < from - 2000) && p.times().every((t) => t < from);
}

/** Waits until `ms` past `t`. */
function until(t: number, ms: number): Promise<void> {
  return sleep(Math.max(0, t + ms - Date.now()));
}

/** True when the probe kept succeeding after `from`. */
function aliveAfter(p: FlowProbe, from: number): boolean {
  return p.times().some((t) => t > from);
}

/** conntrack ids of the TCP entries to `dport` in the host place. */
async function entryIds(host: string, dport: number): Promise<string[]> {
  const r = await run(['conntrack', '-L', '-p', 'tcp', '--dport', String(dport), '-o', 'id'], {
    namespace: host,
    check: false,
  });
  return [...r.stdout.matchAll(/id=(\d+)/g)].map((m) => m[1] as string).sort();
}

for (const ipset of [true, false]) {
  describe(
    `remote security groups ${ipset ? 'in an ipset' : 'expanded to addresses'} (real kernel)`,
    rootOnly,
    () => {
      test('members are admitted, others are not; membership changes take effect and cut the flows of a member that leaves', async (t) => {
        const sb = sandbox(t);
        const input = (members: readonly string[]): LabInput => ({
          networks: [{ name: 'n1', cidr: '10.63.1.0/24', dhcp: false }],
          securityGroups: [
            {
              name: 'm',
              rules: [{ direction: 'ingress', protocol: 'icmp', remoteGroup: 'm' }, { direction: 'egress' }],
            },
            { name: 'out', rules: [{ direction: 'egress' }] },
          ],
          instances: ['a', 'b', 'c'].map((n, i) => ({
            name: n,
            network: 'n1',
            ip: `10.63.1.${10 + i}`,
            securityGroups: members.includes(n) ? ['m'] : ['out'],
          })),
        });
        const lab = await Lab.create(sb, input(['a', 'b']));
        await lab.firewall(lab.desired(ipset));
        assert.equal(await sb.ping(lab.ns('b'), lab.ip('a'), 3), true, 'b is a member');
        assert.equal(await sb.ping(lab.ns('c'), lab.ip('a')), false, 'c is not');

        const live = await pings(sb, lab.ns('b'), lab.ip('a'));
        // c joins, b leaves (b keeps a port here: it moves to "out").
        await lab.update(input(['a', 'c']));
        const { applied } = await lab.firewall(lab.desired(ipset));
        const done = Date.now();
        if (ipset) {
          const aChain = `${ingressChain(resourceId(lab.model.instances[0]!.port.owner))}`;
          assert.ok(!(applied.sent[4] ?? '').includes(aChain), "a's rules are not rewritten");
          assert.ok(applied.ipsetOps > 0, 'the set changed');
        }
        assert.equal(await sb.ping(lab.ns('c'), lab.ip('a'), 3), true, 'c joined');
        assert.equal(await sb.ping(lab.ns('b'), lab.ip('a')), false, 'b left');
        await until(done, 3200);
        assert.ok(stoppedBy(live, done + 2000), "b's running ping to a stopped within 2 s of apply");
      });
    },
  );
}

describe('established flows (real kernel)', rootOnly, () => {
  test('removing a rule cuts the established flow it allowed within 2 s; a flow another rule allows continues undisturbed', async (t) => {
    const sb = sandbox(t);
    const input = (ports: number[]): LabInput => ({
      networks: [{ name: 'n1', cidr: '10.63.2.0/24', dhcp: false }],
      securityGroups: [
        {
          name: 'srv',
          rules: ports.map((port) => ({ direction: 'ingress' as const, protocol: 'tcp', port })),
        },
        { name: 'cli', rules: [{ direction: 'egress' }] },
      ],
      instances: [
        { name: 'a', network: 'n1', ip: '10.63.2.10', securityGroups: ['srv'] },
        { name: 'b', network: 'n1', ip: '10.63.2.11', securityGroups: ['cli'] },
      ],
    });
    const lab = await Lab.create(sb, input([5001, 5002]));
    await lab.firewall(lab.desired());
    await echoServers(sb, lab.ns('a'), [5001, 5002]);
    const cut = await flow(sb, lab.ns('b'), lab.ip('a'), 5001);
    const kept = await flow(sb, lab.ns('b'), lab.ip('a'), 5002);
    const keptIds = await entryIds(lab.host, 5002);
    assert.equal(keptIds.length, 1);

    await lab.update(input([5002]));
    const { applied } = await lab.firewall(lab.desired());
    const done = Date.now();
    await until(done, 3200);
    assert.ok(
      stoppedBy(cut, done + 2000),
      `the 5001 flow stopped (last echo ${Math.max(...cut.times()) - done} ms after apply)`,
    );
    assert.ok(aliveAfter(kept, done + 2000), 'the 5002 flow still echoes');
    assert.deepEqual(await entryIds(lab.host, 5002), keptIds, 'its conntrack entry was never deleted');
    assert.ok(applied.conntrack > 0, 'conntrack deletes ran');
  });

  test("a port that leaves every group is unfiltered again and its flows continue; a removed port's flows are deleted", async (t) => {
    const sb = sandbox(t);
    const input = (aGroups: string[], withB = true): LabInput => ({
      networks: [{ name: 'n1', cidr: '10.63.3.0/24', dhcp: false }],
      securityGroups: [
        {
          name: 'srv',
          rules: [{ direction: 'ingress', protocol: 'tcp', port: 5001 }, { direction: 'egress' }],
        },
      ],
      instances: [
        { name: 'a', network: 'n1', ip: '10.63.3.10', securityGroups: aGroups },
        ...(withB ? [{ name: 'b', network: 'n1', ip: '10.63.3.11', securityGroups: ['srv'] }] : []),
      ],
    });
    const lab = await Lab.create(sb, input(['srv']));
    await lab.firewall(lab.desired());
    await echoServers(sb, lab.ns('a'), [5001]);
    const f = await flow(sb, lab.ns('b'), lab.ip('a'), 5001);
    await lab.update(input([]));
    const done = Date.now();
    await lab.firewall(lab.desired());
    await sleep(1000);
    assert.ok(aliveAfter(f, done + 500), 'allowed before and after: undisturbed');
    assert.equal(await sb.ping(lab.ns('b'), lab.ip('a'), 3), true, 'a is no longer default-deny');

    // b goes from the firewall (its instance leaves the topology): the entries of its flows go too.
    await run(['ip', '-n', lab.ns('b'), 'link', 'set', 'eth0', 'down']);
    assert.equal((await entryIds(lab.host, 5001)).length, 1, 'the flow is there, and quiet');
    await lab.update(input([], false));
    const { applied } = await lab.firewall(lab.desired());
    assert.ok(applied.conntrack > 0);
    assert.deepEqual(await entryIds(lab.host, 5001), []);
  });
});
