// The deployment on the engine's fakes: one apply converges a whole topology (OVS and Linux bridge),
// a re-apply plans nothing, a namespace deleted by hand is recreated, an instance dropped from the
// model is removed, and destroy empties everything the topology made (and nothing of another).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDeployment, destroyDeployment, planDeployment } from '../../src/deploy/index.js';
import { readRecordedModel } from '../../src/deploy/record.js';
import { buildModel } from '../../src/model/build.js';
import type { Model, TopologyInput } from '../../src/model/types.js';
import type { TopologyName } from '../../src/net/ownership.js';
import { fakeExecutors } from '../fakes/executors.js';

function input(backend: 'ovs' | 'linuxbridge', over: Partial<TopologyInput> = {}): TopologyInput {
  return {
    name: 'dp1',
    backend,
    networks: [
      { name: 'a', cidr: '10.1.0.0/24', dhcp: false },
      { name: 'b', cidr: '10.2.0.0/24', dhcp: false },
      { name: 'ext', cidr: '172.24.4.0/24', dhcp: false, external: true },
    ],
    routers: [{ name: 'r1', gateway: { network: 'ext', ip: '172.24.4.2' }, interfaces: ['a', 'b'] }],
    securityGroups: [{ name: 'web', rules: [{ direction: 'ingress', protocol: 'tcp', port: 80 }] }],
    instances: [
      { name: 'vm1', network: 'a', ip: '10.1.0.10', address: 'static', securityGroups: ['web'] },
      { name: 'vm2', network: 'b', ip: '10.2.0.10', address: 'static', portSecurity: false },
      { name: 'up', network: 'ext', ip: '172.24.4.1', address: 'static' },
    ],
    floatingIps: [{ instance: 'vm1', address: '172.24.4.100' }],
    ...over,
  };
}

function host() {
  return fakeExecutors({
    hostNamespace: 'host',
    onRun: (argv) => (argv[0] === 'sysctl' ? { stdout: '1\n1\n' } : undefined),
  });
}

async function applied(x: ReturnType<typeof host>, model: Model) {
  const r = await applyDeployment(model, x.executors);
  assert.ok(
    r.ok,
    JSON.stringify(
      r.results.flatMap((x) =>
        x.outcomes
          .filter((o) => o.status !== 'done')
          .map((o) => [
            o.change.summary,
            String((o as { error?: unknown }).error ?? (o as { reason?: string }).reason),
          ]),
      ),
    ),
  );
  return r;
}

for (const backend of ['ovs', 'linuxbridge'] as const) {
  test(`${backend}: one apply converges, a re-apply plans nothing, the model is recorded`, async () => {
    const x = host();
    const model = buildModel(input(backend));
    const first = await applied(x, model);
    assert.ok(first.changes > 0);
    const again = await planDeployment(model, x.executors);
    assert.deepEqual(
      again.changes.map((c) => c.summary),
      [],
    );
    assert.equal(again.clients.length, 0);
    const namespaces = x.kernel
      .namespaces()
      .filter((n) => n !== 'host')
      .sort();
    assert.deepEqual(namespaces, ['qrouter-dp1.r1', 'vm-dp1.up', 'vm-dp1.vm1', 'vm-dp1.vm2']);
    const recorded = await readRecordedModel(
      x.executors.files,
      x.executors.host.stateDir,
      'dp1' as TopologyName,
    );
    assert.deepEqual(recorded, JSON.parse(JSON.stringify(model)));
    const vm1 = x.kernel.ns('vm-dp1.vm1')!;
    assert.ok(vm1.link('eth0'), 'the instance device is eth0 (hybrid or veth)');
    if (backend === 'ovs') {
      const vm2 = x.kernel.ns('vm-dp1.vm2')!.links.map((l) => l.name);
      assert.ok(
        vm2.some((n) => n.startsWith('tap')),
        `internal port without port security: ${vm2}`,
      );
    }
    await destroyDeployment('dp1', x.executors);
  });

  test(`${backend}: a namespace deleted by hand is recreated; a dropped instance is removed; destroy empties it`, async () => {
    const x = host();
    const model = buildModel(input(backend));
    await applied(x, model);
    await x.kernel.apply(null, [{ op: 'netns.del', name: 'vm-dp1.vm1' as never }]);
    x.vswitchd();
    const repair = await planDeployment(model, x.executors);
    assert.ok(
      repair.changes.some((c) => c.resource.name === 'vm1' && c.action === 'create'),
      repair.changes.map((c) => c.summary).join('\n'),
    );
    await applied(x, model);
    assert.equal((await planDeployment(model, x.executors)).changes.length, 0);

    const smaller = buildModel(
      input(backend, {
        instances: [
          { name: 'vm1', network: 'a', ip: '10.1.0.10', address: 'static', securityGroups: ['web'] },
        ],
        floatingIps: [{ instance: 'vm1', address: '172.24.4.100' }],
      }),
      { previous: model },
    );
    const drop = await planDeployment(smaller, x.executors);
    assert.deepEqual(
      drop.changes
        .filter((c) => c.action === 'delete')
        .map((c) => c.summary)
        .sort(),
      ['- instance up: namespace vm-dp1.up', '- instance vm2: namespace vm-dp1.vm2'],
    );
    await applied(x, smaller);
    assert.equal((await planDeployment(smaller, x.executors)).changes.length, 0);

    const r = await destroyDeployment('dp1', x.executors);
    assert.ok(r.ok);
    assert.deepEqual(
      x.kernel.namespaces().filter((n) => n !== 'host'),
      [],
    );
    const rows = await x.ovs?.observe({ ownerPrefix: 'dp1.' });
    assert.deepEqual(rows?.bridges.flatMap((b) => b.ports.map((p) => p.name)) ?? [], []);
    assert.equal((await planDestroy2(x)).length, 0, 'a second destroy plans nothing');
    assert.equal(
      await readRecordedModel(x.executors.files, x.executors.host.stateDir, 'dp1' as TopologyName),
      null,
    );
  });
}

async function planDestroy2(x: ReturnType<typeof host>) {
  const { planDestroy } = await import('../../src/deploy/index.js');
  return (await planDestroy('dp1', x.executors)).changes;
}

test('a port name says which namespace its resource has (what dangling host links are found by)', async () => {
  const { portParent } = await import('../../src/deploy/removal.js');
  const t = 'dp1' as TopologyName;
  const p = 'x-' as never;
  assert.equal(portParent('vm_web1', t, p), 'x-vm-dp1.web1');
  assert.equal(portParent('dhcp_web', t, p), 'x-qdhcp-dp1.web');
  assert.equal(portParent('qr_r1_web', t, p), 'x-qrouter-dp1.r1');
  assert.equal(portParent('qg_r1', t, p), 'x-qrouter-dp1.r1');
  assert.equal(portParent('other', t, p), null);
  assert.equal(portParent('vm_', t, p), null);
});
