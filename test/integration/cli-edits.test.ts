// Editing an applied topology and applying again changes only what changed: an instance added (it,
// its DHCP server and the firewall), a floating IP dropped (an established flow through it cut within
// 2 s of apply returning, one still allowed kept).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ovsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { applied, demoHost, flow, type Status, spawnIn, stop } from './cli-topology-helpers.js';

test('incremental edits through the CLI change only what changed (OVS)', {
  ...rootOnly,
  timeout: 240000,
}, async (t) => {
  const sb = sandbox(t);
  const ovs = await ovsSandbox(t);
  const d = demoHost(sb, ovs);
  const { host, name, file, ns, ours } = d;
  await applied(d);
  await t.test('incremental edits change only what changed', async () => {
    const bigger = host.topologyFile('demo.yaml', name, (t) =>
      t.replace(
        '  - { name: db1,',
        '  - { name: web3, network: web, security_groups: [web] }\n  - { name: db1,',
      ),
    );
    const plan = (await host.cli(['plan', bigger, '--json'])).json<{ operations: { resource: string }[] }>();
    const touched = [...new Set(plan.operations.map((o) => o.resource.split('/').slice(1).join('/')))].sort();
    assert.deepEqual(
      touched,
      ['dhcp/web', 'host/firewall', 'instance/web3', 'port/vm_web3'],
      touched.join(' '),
    );
    const a = await host.cli(['apply', bigger, '--json']);
    assert.equal(a.exitCode, 0, a.stderr);
    assert.equal((await host.cli(['apply', bigger, '--json'])).json<{ changes: number }>().changes, 0);
    const s = (await host.cli(['status', bigger, '--json'])).json<Status>();
    assert.ok(s.instances.find((i) => i.name === 'web3')?.healthy, 'web3 got its lease');

    const noFip = host.topologyFile('demo.yaml', name, (t) =>
      t
        .replace(/^floating_ips:\n.*\n/m, '')
        .split('\n')
        .filter((l) => !l.includes('fip:web1') && !l.includes('172.24.4.20'))
        .join('\n'),
    );
    const p2 = (await host.cli(['plan', noFip, '--json'])).json<{ operations: { resource: string }[] }>();
    const touched2 = [...new Set(p2.operations.map((o) => o.resource.split('/').slice(1).join('/')))].sort();
    assert.ok(touched2.includes('router/r1') && touched2.includes('instance/web3'), touched2.join(' '));
    assert.ok(
      !touched2.some((r) => r.startsWith('instance/web1') || r.startsWith('instance/db1')),
      touched2.join(' '),
    );
    // Two established flows to web1's port 80: one through the floating IP (cut when it goes), one
    // from db1 (still allowed: it continues).
    const server = spawnIn(ns('vm', 'web1'), ['socat', 'TCP-LISTEN:80,reuseaddr,fork', 'PIPE']);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const viaFip = flow(ns('vm', 'upstream'), '172.24.4.20', 80);
      const direct = flow(ns('vm', 'db1'), '10.10.1.10', 80);
      try {
        assert.ok(await viaFip.roundTrip('before-1'), 'the flow through the floating IP works');
        assert.ok(await direct.roundTrip('before-2'), 'the direct flow works');
        assert.equal((await host.cli(['apply', noFip])).exitCode, 0);
        assert.equal(await viaFip.roundTrip('after-1', 2000), false, 'cut within 2 s of apply returning');
        assert.ok(await direct.roundTrip('after-2'), 'the flow that stays allowed continues');
      } finally {
        viaFip.close();
        direct.close();
      }
    } finally {
      await stop(server);
    }
    const s2 = (await host.cli(['status', noFip, '--json'])).json<Status>();
    assert.equal(s2.instances.find((i) => i.name === 'web1')!.floatingIp, null);
    assert.equal(s2.healthy, true);
    assert.deepEqual(
      (await ours()).filter((n) => n.includes('web3')),
      [],
      'web3, no longer in the file, is removed',
    );
  });

  const gone = await host.cli(['destroy', file]);
  assert.equal(gone.exitCode, 0, gone.stderr);
});
