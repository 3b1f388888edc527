// The instance layer on the engine's fakes: the wiring follows port security (OVS hybrid with it,
// internal without: tap<id> inside), a switch of wiring removes the old one, a static instance gets
// its address and default route, a DHCP instance gets a client only while its device lacks its
// address (the script written once), and a removal takes switch rows and links before the namespace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceSpec } from '../../src/instance/desired.js';
import { observeInstance } from '../../src/instance/observe.js';
import { planInstance, planInstanceClients } from '../../src/instance/plan.js';
import { clientScript } from '../../src/instance/script.js';
import { deployInstance, removeInstance } from '../../src/instance/verbs.js';
import { OvsInterfaceDriver } from '../../src/interface/ovs.js';
import { buildModel } from '../../src/model/build.js';
import type { TopologyInput } from '../../src/model/types.js';
import type { TopologyName } from '../../src/net/ownership.js';
import { applyChanges, assertApplied } from '../../src/reconcile/apply.js';
import { Observation } from '../../src/reconcile/observation.js';
import { fakeExecutors } from '../fakes/executors.js';

function model(portSecurity: boolean, address: 'static' | 'dhcp' = 'static') {
  const input: TopologyInput = {
    name: 'it1',
    networks: [{ name: 'a', cidr: '10.1.0.0/24', dhcp: address === 'dhcp' }],
    instances: [{ name: 'vm1', network: 'a', ip: '10.1.0.10', address, portSecurity }],
  };
  return buildModel(input);
}

async function host() {
  const f = fakeExecutors({ hostNamespace: 'host' });
  const driver = new OvsInterfaceDriver();
  // The integration bridge, as the deployment makes it.
  const obs = new Observation(f.executors);
  const view = (await obs.ovs({ ownerPrefix: '' })) ?? null;
  assertApplied(
    await applyChanges(
      driver.planIntegrationBridge(view && null, {
        topology: 'it1' as TopologyName,
        kind: 'host',
        name: 'host',
      }),
      f.executors,
    ),
  );
  return { f, driver };
}

test('OVS: hybrid with port security (eth0 behind qbr), internal without (tap<id> inside); switching removes the old wiring', async () => {
  const { f, driver } = await host();
  const on = instanceSpec(model(true), 'vm1', driver);
  assert.equal(on.request.style, 'hybrid');
  assert.equal(on.request.device, 'eth0');
  await deployInstance(on, { executors: f.executors, driver });
  const hostLinks = () =>
    f.kernel
      .ns('host')!
      .links.map((l) => l.name)
      .filter((n) => n !== 'lo' && !n.startsWith('br-'))
      .sort();
  assert.deepEqual(
    hostLinks().map((n) => n.slice(0, 3)),
    ['qbr', 'qvb', 'qvo', 'tap'],
  );
  const again = planInstance(on, await observeInstance(on, new Observation(f.executors), driver), { driver });
  assert.deepEqual(again, [], 'converged');
  const vm = f.kernel.ns('vm-it1.vm1')!;
  assert.deepEqual(
    vm.link('eth0')!.addresses.map((a) => a.cidr),
    ['10.1.0.10/24'],
  );
  assert.ok(
    vm.routes.some((r) => r.to === 'default' && r.via === '10.1.0.1'),
    JSON.stringify(vm.routes),
  );

  const off = instanceSpec(model(false), 'vm1', driver);
  assert.equal(off.request.style, 'internal');
  assert.match(off.request.device, /^tap[a-z0-9]{11}$/);
  const switched = planInstance(off, await observeInstance(off, new Observation(f.executors), driver), {
    driver,
  });
  assert.ok(
    switched.some((c) => c.action === 'delete'),
    'the hybrid wiring goes',
  );
  assertApplied(await applyChanges(switched, f.executors));
  f.vswitchd();
  assert.deepEqual(hostLinks(), [], 'no qbr, qvb, qvo or tap left on the host');
  assert.deepEqual(
    f.kernel
      .ns('vm-it1.vm1')!
      .links.map((l) => l.name)
      .sort(),
    ['lo', off.request.device],
  );
  assert.deepEqual(
    planInstance(off, await observeInstance(off, new Observation(f.executors), driver), { driver }),
    [],
  );

  const removed = await removeInstance(
    { topology: 'it1' as TopologyName, name: 'vm1' },
    { executors: f.executors, driver },
  );
  assert.ok(removed.operations > 0);
  assert.equal(f.kernel.ns('vm-it1.vm1'), undefined);
  const rows = await f.ovs!.observe({ ownerPrefix: 'it1.' });
  assert.deepEqual(
    rows.bridges.flatMap((b) => b.ports),
    [],
  );
  assert.equal(
    (
      await removeInstance(
        { topology: 'it1' as TopologyName, name: 'vm1' },
        { executors: f.executors, driver },
      )
    ).operations,
    0,
  );
});

test('DHCP: a client runs only while the device lacks its address; the script is written once', async () => {
  const { f, driver } = await host();
  const spec = instanceSpec(model(true, 'dhcp'), 'vm1', driver);
  assert.equal(spec.address, 'dhcp');
  assertApplied(
    await applyChanges(
      planInstance(spec, await observeInstance(spec, new Observation(f.executors), driver), { driver }),
      f.executors,
    ),
  );
  const seen = await observeInstance(spec, new Observation(f.executors), driver);
  const clients = planInstanceClients([{ spec, observed: seen }], f.executors.host);
  assert.deepEqual(
    clients.map((c) => c.steps.map((s) => s.via)),
    [['file'], ['command']],
  );
  const cmd = clients[1]!.steps[0]!;
  assert.ok(cmd.via === 'command' && cmd.argv.join(' ').startsWith('busybox udhcpc -i eth0 -n -q -f'));
  assert.ok(cmd.via === 'command' && cmd.place === 'vm-it1.vm1');
  // What the client's script does on a lease, done by hand: the device holds its address.
  await f.executors.files.write(
    clients[0]!.steps[0]!.via === 'file' ? (clients[0]!.steps[0] as { path: string }).path : '',
    clientScript(),
    0o755,
  );
  await f.kernel.apply('vm-it1.vm1' as never, [
    { op: 'addr.add', dev: 'eth0' as never, cidr: '10.1.0.10/24' as never },
  ]);
  const after = await observeInstance(spec, new Observation(f.executors), driver);
  assert.deepEqual(
    planInstanceClients([{ spec, observed: after }], f.executors.host),
    [],
    'no client when it holds the lease',
  );
  assert.deepEqual(
    planInstance(spec, after, { driver }),
    [],
    'and nothing else: a DHCP address is not init_l3',
  );
});
