// A topology's life through the CLI on a private Open vSwitch, as a user lives it: plan on a clean
// host, apply, an idempotent re-apply (0 changes), status, verify, things deleted by hand (a
// namespace, an OVS port, a firewall rule, a dead dnsmasq) flagged by status and repaired by apply,
// destroy (twice). The steps share one applied topology.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { ovsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { demoHost, type Status } from './cli-topology-helpers.js';

test('a topology through its life with the CLI (OVS)', { ...rootOnly, timeout: 240000 }, async (t) => {
  const sb = sandbox(t);
  const ovs = await ovsSandbox(t);
  const d = demoHost(sb, ovs);
  const { host, name, file, ns, ours, hostLinks, vsctl } = d;
  await t.test('plan on a clean host, apply, re-apply changes nothing', async () => {
    const plan = await host.cli(['plan', file, '--json']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    const p = plan.json<{ changes: number; operations: { resource: string }[] }>();
    assert.ok(p.changes > 50 && p.operations.length > 0);
    assert.deepEqual(await ours(), [], 'plan changes nothing');
    const a = await host.cli(['apply', file, '--json']);
    assert.equal(a.exitCode, 0, a.stderr);
    assert.ok(a.json<{ changes: number }>().changes > 50);
    const b = await host.cli(['apply', file, '--json']);
    assert.equal(b.json<{ changes: number }>().changes, 0, b.stdout);
    const again = await host.cli(['plan', file, '--json']);
    assert.deepEqual(again.json<{ operations: unknown[] }>().operations, []);
  });

  await t.test('status: every resource with its kernel names, healthy', async () => {
    const s = await host.cli(['status', file, '--json']);
    assert.equal(s.exitCode, 0, s.stdout);
    const st = s.json<Status>();
    assert.equal(st.healthy, true);
    const web = st.networks.find((n) => n.name === 'web')!;
    assert.equal(web.dhcp?.namespace, ns('qdhcp', 'web'));
    assert.ok(typeof web.dhcp?.pid === 'number' && web.dhcp.healthy);
    const web1 = st.instances.find((i) => i.name === 'web1')!;
    assert.deepEqual(web1.ips, ['10.10.1.10']);
    assert.equal(web1.floatingIp, '172.24.4.20');
    assert.equal(web1.namespace, ns('vm', 'web1'));
    assert.equal(web1.device, 'eth0');
    const r1 = st.routers.find((r) => r.name === 'r1')!;
    assert.equal(r1.ports.length, 3);
  });

  await t.test('things deleted by hand are flagged by status and repaired by apply', async () => {
    const before = (await host.cli(['status', file, '--json'])).json<Status>();
    await run(['ip', 'netns', 'del', ns('vm', 'db1')]);
    const web2Port = (
      await vsctl([
        '--bare',
        '--columns=name',
        'find',
        'Port',
        `external_ids:tenantnet-owner=${name}.port.vm_web2`,
      ])
    ).stdout.trim();
    assert.match(web2Port, /^qvo/, 'web2 is plugged hybrid: its switch port is qvo<id>');
    await vsctl(['del-port', 'br-int', web2Port]);
    const save = (await run(['ip', 'netns', 'exec', ovs.netns, 'iptables-save', '-t', 'filter'])).stdout;
    const rule = save.split('\n').find((l) => l.startsWith('-A tn-sg') && l.includes('--dport 80'));
    assert.ok(rule, 'a group rule is there');
    await run(['ip', 'netns', 'exec', ovs.netns, 'iptables', '-D', ...rule!.slice(3).split(' ')]).catch(
      async () => {
        await run(['ip', 'netns', 'exec', ovs.netns, 'sh', '-c', `iptables ${rule!.replace('-A ', '-D ')}`]);
      },
    );
    const pid = before.networks.find((n) => n.name === 'web')!.dhcp!.pid!;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const s = await host.cli(['status', file, '--json']);
    assert.equal(s.exitCode, 1);
    const st = s.json<Status>();
    assert.equal(st.healthy, false);
    assert.match(st.instances.find((i) => i.name === 'db1')!.problems.join('\n'), /missing/);
    assert.match(st.networks.find((n) => n.name === 'web')!.problems.join('\n'), /dnsmasq/);
    assert.equal(st.networks.find((n) => n.name === 'web')!.dhcp!.healthy, false);
    assert.equal(st.firewall.healthy, false);
    const web2 = st.instances.find((i) => i.name === 'web2')!;
    assert.equal(web2.healthy, false, 'the instance whose OVS port went is flagged');
    assert.match(web2.problems.join('\n'), /apply would/);
    const repaired = await host.cli(['apply', file, '--json']);
    assert.equal(repaired.exitCode, 0, repaired.stderr);
    assert.ok(repaired.json<{ changes: number }>().changes > 0);
    const ok = await host.cli(['status', file, '--json']);
    assert.equal(ok.exitCode, 0, ok.stdout);
    assert.notEqual(
      ok.json<Status>().networks.find((n) => n.name === 'web')!.dhcp!.pid,
      pid,
      'dnsmasq restarted',
    );
    const v = await host.cli(['verify', file, '--json']);
    assert.equal(v.json<{ failed: number }>().failed, 0, v.stdout);
  });

  await t.test('destroy removes everything of the topology, twice is fine', async () => {
    const d = await host.cli(['destroy', file]);
    assert.equal(d.exitCode, 0, d.stderr);
    assert.deepEqual(await ours(), []);
    assert.doesNotMatch(await hostLinks(), /tenantnet:/);
    assert.equal((await vsctl(['list-ports', 'br-int'])).stdout.trim(), '');
    assert.equal((await host.cli(['destroy', file])).exitCode, 0);
    assert.equal((await host.cli(['status'])).exitCode, 0, 'no topology left to be unhealthy');
  });
});
