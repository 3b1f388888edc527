import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NamespaceName } from '../../src/net/types.js';
import { applyChanges, assertApplied } from '../../src/reconcile/apply.js';
import { countingExecutors, stateChanging } from '../../src/reconcile/counting.js';
import { Observation } from '../../src/reconcile/observation.js';
import { renderChanges } from '../../src/reconcile/render.js';
import type { Change } from '../../src/reconcile/step.js';
import { type FakeExecutors, fakeExecutors } from '../fakes/executors.js';
import { DEMO_SET, type DemoNames, demoNames, planDemo } from '../helpers/reconcile-demo.js';

function setup(): { f: FakeExecutors; n: DemoNames; plan: () => Promise<Change[]> } {
  const f = fakeExecutors({ hostNamespace: 'host0', netnsPrefix: 'p-' });
  const n = demoNames(
    'p-',
    (s) => `d${s}`,
    (s) => `o${s}`,
  );
  return { f, n, plan: () => planDemo(new Observation(f.executors), n, 'present') };
}

/** The commands a plan would run, without the namespace prefix noise. */
function commands(f: FakeExecutors, changes: readonly Change[]): string[] {
  return renderChanges(changes, f.executors.host, { datapath: 'netdev' }).commands.map((c) => c.command);
}

async function converged(f: FakeExecutors, n: DemoNames): Promise<void> {
  const c = countingExecutors(f.executors);
  const again = await planDemo(new Observation(c.executors), n, 'present');
  assert.deepEqual(commands(f, again), [], 'the next plan is empty');
  assert.equal(stateChanging(c.counts), 0, 'planning changed nothing');
}

test('the kernel planners converge in one apply and then plan nothing (namespaces, veth, addresses, route, OVS port, chain, ipset)', async () => {
  const { f, n, plan } = setup();
  const changes = await plan();
  assert.deepEqual(
    changes.map((c) => `${c.action} ${c.resource.kind}/${c.resource.name}`),
    ['create network/br', 'create instance/a', 'create instance/b', 'create port/ab', 'create port/pa'],
  );
  const result = assertApplied(await applyChanges(changes, f.executors));
  assert.equal(
    result.changes,
    renderChanges(changes, f.executors.host).changes,
    'apply sends what the plan counts',
  );
  const a = f.kernel.ns(n.nsA)!;
  assert.equal(a.link('lo')?.alias, 'tenantnet:demo.instance.a');
  assert.deepEqual(
    a.link(n.vethA)?.addresses.map((x) => x.cidr),
    ['10.77.1.1/24'],
  );
  assert.equal(a.link(n.port)?.up, true, 'the internal port was moved in and raised');
  assert.equal(f.kernel.ns('host0')?.link(n.port), undefined);
  assert.deepEqual([...(f.ipset.sets(n.nsA).get('demo4-web')?.members ?? [])].sort(), [...DEMO_SET].sort());
  await converged(f, n);
});

test('a namespace deleted behind our back is made again, with what was inside it and nothing else', async () => {
  const { f, n, plan } = setup();
  await applyChanges(await plan(), f.executors);
  await f.kernel.apply(null, [{ op: 'netns.del', name: n.nsB }]);
  const again = await plan();
  assert.deepEqual(commands(f, again), [
    `ip netns add ${n.nsB}`,
    `ip -n ${n.nsB} link set dev lo alias tenantnet:demo.instance.b up`,
    `ip netns exec ${n.nsB} sysctl -q -w net.ipv4.conf.all.promote_secondaries=1`,
    `ip -n ${n.nsA} link add name ${n.vethA} group 4242 type veth peer name ${n.vethB} group 4242 netns ${n.nsB}`,
    `ip -n ${n.nsA} link set dev ${n.vethA} alias tenantnet:demo.port.ab up`,
    `ip -n ${n.nsB} link set dev ${n.vethB} alias tenantnet:demo.port.ab up`,
    `ip -n ${n.nsB} addr add 10.77.1.2/24 brd 10.77.1.255 dev ${n.vethB}`,
    `ip -n ${n.nsA} addr add 10.77.1.1/24 brd 10.77.1.255 dev ${n.vethA}`,
  ]);
  assertApplied(await applyChanges(again, f.executors));
  await converged(f, n);
});

test('an address removed behind our back is added again, and only it', async () => {
  const { f, n, plan } = setup();
  await applyChanges(await plan(), f.executors);
  await f.kernel.apply(n.nsA, [{ op: 'addr.del', cidr: '10.77.2.1/24' as never, dev: n.port as never }]);
  const again = await plan();
  assert.deepEqual(commands(f, again), [
    `ip -n ${n.nsA} addr add 10.77.2.1/24 brd 10.77.2.255 dev ${n.port}`,
  ]);
  assertApplied(await applyChanges(again, f.executors));
  await converged(f, n);
});

test('a veth whose mark was changed gets its mark back in place, not a new pair', async () => {
  const { f, n, plan } = setup();
  await applyChanges(await plan(), f.executors);
  f.kernel.ns(n.nsB)!.link(n.vethB)!.alias = null;
  f.kernel.ns(n.nsA)!.link(n.vethA)!.up = false;
  const again = await plan();
  assert.deepEqual(commands(f, again), [
    `ip -n ${n.nsA} link set dev ${n.vethA} up`,
    `ip -n ${n.nsB} link set dev ${n.vethB} alias tenantnet:demo.port.ab`,
  ]);
  assertApplied(await applyChanges(again, f.executors));
  await converged(f, n);
});

test('an OVS port deleted behind our back is added again and its new device moved into the namespace', async () => {
  const { f, n, plan } = setup();
  await applyChanges(await plan(), f.executors);
  await f.ovsdb.deleteRow('Port', n.port);
  f.vswitchd();
  assert.equal(f.kernel.ns(n.nsA)?.link(n.port), undefined, 'its device went with it');
  const again = await plan();
  const cmds = commands(f, again);
  assert.equal(cmds.length, 4, cmds.join('\n'));
  assert.match(
    cmds[0]!,
    new RegExp(`^ovs-vsctl add-port ${n.bridge} ${n.port} -- set Interface ${n.port} type=internal `),
  );
  assert.deepEqual(cmds.slice(1), [
    `ip -n host0 link set dev ${n.port} netns ${n.nsA}`,
    `ip -n ${n.nsA} link set dev ${n.port} alias tenantnet:demo.port.pa group 4242 up`,
    `ip -n ${n.nsA} addr add 10.77.2.1/24 brd 10.77.2.255 dev ${n.port}`,
  ]);
  assertApplied(await applyChanges(again, f.executors));
  await converged(f, n);
});

test('a rule deleted behind our back is put back by one iptables-restore', async () => {
  const { f, n, plan } = setup();
  await applyChanges(await plan(), f.executors);
  await f.iptables.restore(n.nsA, 4, '*filter\n-D tn-demo-web -j DROP\nCOMMIT\n');
  // The step carries its manager, which applies through the executor it was planned with.
  const c = countingExecutors(f.executors);
  const again = await planDemo(new Observation(c.executors), n, 'present');
  assert.deepEqual(commands(f, again), [
    `ip netns exec ${n.nsA} iptables-restore -w --noflush <<'EOF'\n*filter\n-A tn-demo-web -j DROP\nCOMMIT\nEOF`,
  ]);
  assertApplied(await applyChanges(again, c.executors));
  assert.equal(c.counts.iptables.restores, 1);
  await converged(f, n);
});

test('a set member deleted behind our back is added again by one ipset restore', async () => {
  const { f, n, plan } = setup();
  await applyChanges(await plan(), f.executors);
  await f.ipset.restore(n.nsA, 'del demo4-web 10.77.9.9\n');
  const again = await plan();
  assert.deepEqual(commands(f, again), [
    `ip netns exec ${n.nsA} ipset restore <<'EOF'\nadd demo4-web 10.77.9.9 -exist\nEOF`,
  ]);
  assertApplied(await applyChanges(again, f.executors));
  await converged(f, n);
});

test('destroy plans towards nothing: OVS rows, then the namespaces (which take everything inside)', async () => {
  const { f, n, plan } = setup();
  await applyChanges(await plan(), f.executors);
  const gone = await planDemo(new Observation(f.executors), n, 'absent');
  const cmds = commands(f, gone);
  assert.deepEqual(cmds, [
    `ovs-vsctl --if-exists del-port ${n.port}`,
    `ovs-vsctl --if-exists del-br ${n.bridge}`,
    `ip netns del ${n.nsA}`,
    `ip netns del ${n.nsB}`,
  ]);
  assertApplied(await applyChanges(gone, f.executors));
  assert.deepEqual(f.kernel.namespaces(), ['host0']);
  assert.deepEqual(f.ovsdb.rows('Port'), []);
  assert.deepEqual(await planDemo(new Observation(f.executors), n, 'absent'), []);
  for (const ns of [n.nsA, n.nsB] as NamespaceName[]) assert.equal(f.kernel.ns(ns), undefined);
});
