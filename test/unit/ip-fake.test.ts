import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defined } from '../../src/ip/defined.js';
import * as ip from '../../src/ip/index.js';
import * as net from '../../src/net/index.js';
import { FakeIpKernel } from '../fakes/ip.js';

async function routerNamespace(kernel: FakeIpKernel) {
  const via = { executor: kernel };
  await ip.createNamespace('qr1', { ...via, promoteSecondaries: false });
  await ip.createNamespace('qd1', { ...via, promoteSecondaries: false });
  const owner = { owner: 'router-r1', group: 1001 };
  await ip.addVeth({
    ...via,
    namespace: 'qr1',
    name: 'qr-1',
    peer: 'tap1',
    peerNamespace: 'qd1',
    up: true,
    owner,
  });
  await ip.addBridge({ ...via, namespace: 'qr1', name: 'br1', up: true, owner });
  await ip.setLink({ ...via, namespace: 'qr1', name: 'qr-1', master: 'br1' });
  await ip.addVxlan({ ...via, namespace: 'qr1', name: 'vx1', vni: 42, remote: '192.0.2.2', owner });
  await ip.addAddress({ ...via, namespace: 'qr1', dev: 'qr-1', cidr: '10.0.0.1/24' });
  await ip.addAddress({ ...via, namespace: 'qr1', dev: 'qr-1', cidr: 'fd00::1/64' });
  await ip.addRoute({ ...via, namespace: 'qr1', to: '10.9.0.0/16', via: '10.0.0.254', table: 100 });
  await ip.addRoute({ ...via, namespace: 'qr1', to: 'fd09::/48', dev: 'qr-1' });
  await ip.addRule({ ...via, namespace: 'qr1', from: '10.0.0.0/24', priority: 1000 });
  await ip.addRule({ ...via, namespace: 'qr1', from: 'fd00::/64', table: 200, priority: 1001 });
  await ip.addNeighbour({
    ...via,
    namespace: 'qr1',
    dev: 'qr-1',
    address: '10.0.0.9',
    mac: '02:00:00:00:00:09',
  });
  return via;
}

test('observeNamespace on the fake returns what the verbs made, through the real parsers', async () => {
  const kernel = new FakeIpKernel();
  const via = await routerNamespace(kernel);
  const seen = await ip.observeNamespace('qr1', via);
  assert.ok(seen);
  assert.deepEqual(seen.links.map((l) => l.name).sort(), ['br1', 'lo', 'qr-1', 'vx1']);
  const port = seen.links.find((l) => l.name === 'qr-1')!;
  assert.equal(port.owner, 'router-r1');
  assert.equal(port.group, 1001);
  assert.equal(port.master, 'br1');
  assert.equal(port.up, true);
  assert.deepEqual(
    port.addresses.map((a) => a.cidr),
    ['10.0.0.1/24', 'fd00::1/64'],
  );
  assert.equal(seen.links.find((l) => l.name === 'vx1')?.kind, 'vxlan');
  assert.deepEqual(
    seen.routes.map((r) => [r.family, r.to, r.via, r.dev, r.table]),
    [
      [4, '10.9.0.0/16', '10.0.0.254', null, 100],
      [6, 'fd09::/48', null, 'qr-1', 'main'],
    ],
  );
  const mine = seen.rules.filter((r) => r.priority >= 1000 && r.priority < 2000);
  assert.deepEqual(
    mine.map((r) => [r.from, r.table]),
    [
      ['10.0.0.0/24', 'default'],
      ['fd00::/64', 200],
    ],
    'a rule without a table looks up "default" (253), as in Neutron',
  );
  assert.deepEqual(
    seen.neighbours.map((n) => [n.address, n.dev, n.mac]),
    [['10.0.0.9', 'qr-1', '02:00:00:00:00:09']],
  );
  const peer = await ip.observeNamespace('qd1', via);
  assert.equal(
    peer?.links.find((l) => l.name === 'tap1')?.owner,
    'router-r1',
    'the peer is marked where it lives',
  );
  assert.equal(await ip.observeNamespace('qnone', via), null, 'a missing namespace is a state');
});

test('planAddresses converges in one apply, then plans nothing', async () => {
  const kernel = new FakeIpKernel();
  const via = await routerNamespace(kernel);
  const want = ['10.0.0.1/24', '10.0.1.1/24', 'FD00:0::1/64'];
  const have = (await ip.observeNamespace('qr1', via))!.links.flatMap((l) => l.addresses);
  const plan = ip.planAddresses('qr-1', want, have);
  assert.deepEqual(
    plan.map((o) => ip.batchLine(o)),
    ['addr add 10.0.1.1/24 brd 10.0.1.255 dev qr-1'],
    'fd00:0::1 is the address already there, spelled differently',
  );
  await kernel.apply(net.namespaceName('qr1'), plan);
  const again = (await ip.observeNamespace('qr1', via))!.links.flatMap((l) => l.addresses);
  assert.deepEqual(ip.planAddresses('qr-1', want, again), []);
  // Unwanted global addresses go; the loopback's host-scoped ones and other devices are left alone.
  const shrink = ip.planAddresses('qr-1', ['10.0.1.1/24'], again);
  assert.deepEqual(
    shrink.map((o) => ip.batchLine(o)),
    ['addr del 10.0.0.1/24 dev qr-1', 'addr del fd00::1/64 dev qr-1'],
  );
});

test('an object deleted behind the planner is recreated, exactly it', async () => {
  const kernel = new FakeIpKernel();
  const via = await routerNamespace(kernel);
  const want = ['10.0.0.1/24', 'fd00::1/64'];
  const observe = async () => (await ip.observeNamespace('qr1', via))!.links.flatMap((l) => l.addresses);
  assert.deepEqual(ip.planAddresses('qr-1', want, await observe()), []);
  const port = kernel.ns('qr1')!.link('qr-1')!;
  port.addresses = port.addresses.filter((a) => a.cidr !== 'fd00::1/64');
  const plan = ip.planAddresses('qr-1', want, await observe());
  assert.deepEqual(plan, [{ op: 'addr.add', cidr: 'fd00::1/64', dev: 'qr-1' }]);
  const before = kernel.applied.length;
  await kernel.apply(net.namespaceName('qr1'), plan);
  assert.equal(kernel.applied.length - before, 1);
  assert.deepEqual(ip.planAddresses('qr-1', want, await observe()), []);
});

test('the fake answers with the kernel errors the verbs turn into results', async () => {
  const kernel = new FakeIpKernel();
  const via = await routerNamespace(kernel);
  await assert.rejects(
    ip.addVeth({ ...via, namespace: 'qr1', name: 'qr-1', peer: 'x' }),
    ip.LinkAlreadyExistsError,
  );
  await assert.rejects(
    ip.addAddress({ ...via, namespace: 'qr1', dev: 'qr-1', cidr: '10.0.0.1/24' }),
    ip.AddressAlreadyExistsError,
  );
  await assert.rejects(
    ip.setLink({ ...via, namespace: 'qr1', name: 'nope', up: true }),
    ip.DeviceNotFoundError,
  );
  await assert.rejects(ip.listLinks({ ...via, namespace: 'qnone' }), net.NamespaceNotFoundError);
  assert.equal(await ip.addRule({ ...via, namespace: 'qr1', from: '10.0.0.0/24', priority: 1000 }), false);
  assert.equal(await ip.deleteRule({ ...via, namespace: 'qr1', from: '10.0.0.0/24', priority: 1000 }), true);
  assert.equal(await ip.deleteRule({ ...via, namespace: 'qr1', from: '10.0.0.0/24', priority: 1000 }), false);
  assert.equal(await ip.deleteAddress({ ...via, namespace: 'qr1', dev: 'qr-1', cidr: '10.0.0.7/24' }), false);
  assert.equal(await ip.deleteRoute({ ...via, namespace: 'qr1', to: '10.9.0.0/16', table: 100 }), true);
  assert.equal(await ip.deleteRoute({ ...via, namespace: 'qr1', to: '10.9.0.0/16', table: 100 }), false);
  assert.equal(
    await ip.deleteNeighbour({ ...via, namespace: 'qr1', dev: 'qr-1', address: '10.0.0.9' }),
    true,
  );
  assert.equal(
    await ip.deleteNeighbour({ ...via, namespace: 'qr1', dev: 'qr-1', address: '10.0.0.9' }),
    false,
  );
  kernel.missingSysctlKeys.add('net.ipv4.tn_none');
  await assert.rejects(
    ip.sysctl('qr1', { 'net.ipv4.ip_forward': 1, 'net.ipv4.tn_none': 1 }, via),
    (e: unknown) => e instanceof ip.SysctlError && Object.keys(e.failures).join() === 'net.ipv4.tn_none',
  );
  // Deleting one veth end takes the peer in the other namespace with it.
  assert.equal(await ip.deleteLink({ ...via, namespace: 'qr1', name: 'qr-1' }), true);
  assert.equal(kernel.ns('qd1')!.link('tap1'), undefined);
  assert.equal(await ip.deleteNamespace('qd1', via), true);
  assert.equal(await ip.deleteNamespace('qd1', via), false);
  assert.equal(await ip.createNamespace('qr1', via), false, 'an existing namespace converges');
});

test('a link group is deleted with one request only when every member is tenantnet-marked', async () => {
  const kernel = new FakeIpKernel();
  const via = await routerNamespace(kernel);
  const ns = net.namespaceName('qr1');
  // Every member of group 1001 in qr1 is marked: one request.
  let before = kernel.applied.length;
  assert.equal(await ip.deleteLinkGroup({ ...via, namespace: 'qr1', group: 1001 }), true);
  assert.deepEqual(
    kernel.applied.slice(before).map((a) => a.line),
    ['link del group 1001'],
  );
  // A foreign link in the group (no mark) is never touched; ours go one by one.
  await ip.addBridge({ ...via, namespace: 'qr1', name: 'ours', owner: { owner: 'r2', group: 7 } });
  await ip.addBridge({ ...via, namespace: 'qr1', name: 'theirs' });
  await ip.setLink({ ...via, namespace: 'qr1', name: 'theirs', alias: 'docker-thing' });
  await kernel.apply(ns, [
    { op: 'link.set', name: net.deviceName('theirs'), set: { group: net.linkGroup(7) } },
  ]);
  before = kernel.applied.length;
  assert.equal(await ip.deleteLinkGroup({ ...via, namespace: 'qr1', group: 7 }), true);
  assert.deepEqual(
    kernel.applied.slice(before).map((a) => a.line),
    ['link del dev ours'],
  );
  assert.ok(kernel.ns('qr1')!.link('theirs'), 'the foreign member is still there');
  assert.equal(
    await ip.deleteLinkGroup({ ...via, namespace: 'qr1', group: 7 }),
    false,
    'nothing of ours left',
  );
  // With an owner, only that owner's marked links count.
  await ip.addBridge({ ...via, namespace: 'qr1', name: 'a1', owner: { owner: 'A', group: 9 } });
  await ip.addBridge({ ...via, namespace: 'qr1', name: 'b1', owner: { owner: 'B', group: 9 } });
  assert.equal(await ip.deleteLinkGroup({ ...via, namespace: 'qr1', group: 9, owner: 'A' }), true);
  assert.deepEqual(
    (await ip.listLinks({ ...via, namespace: 'qr1', group: 9 })).map((l) => l.name),
    ['b1'],
  );
});

test('verbs take the executor explicitly; the module-global one is left alone', async () => {
  const kernel = new FakeIpKernel();
  const global = ip.ipExecutor();
  await ip.createNamespace('qx', { executor: kernel, promoteSecondaries: false });
  assert.equal(ip.ipExecutor(), global);
  assert.deepEqual(kernel.namespaces(), ['qx']);
  assert.deepEqual(
    kernel.applied.map((a) => [a.namespace, a.line]),
    [
      [null, 'netns add qx'],
      ['qx', 'link set dev lo up'],
    ],
  );
});

test('ops builders are pure and emit exactly what the verbs run', async () => {
  const kernel = new FakeIpKernel();
  const spec = ip.vethSpec({
    name: 'a',
    peer: 'b',
    peerNamespace: 'qy',
    owner: { owner: 'o', group: 3 },
    up: true,
  });
  const { here, there } = ip.vethOps(spec);
  assert.deepEqual(here.map(ip.batchLine), [
    'link add name a group 3 type veth peer name b group 3 netns qy',
    'link set dev a alias tenantnet:o up',
  ]);
  assert.deepEqual(there.map(ip.batchLine), ['link set dev b alias tenantnet:o up']);
  kernel.addNamespace('qy');
  await ip.addVeth({
    executor: kernel,
    name: 'a',
    peer: 'b',
    peerNamespace: 'qy',
    owner: { owner: 'o', group: 3 },
    up: true,
  });
  assert.deepEqual(
    kernel.applied.map((a) => a.line),
    [...here, ...there].map(ip.batchLine),
  );
  assert.deepEqual(ip.markOps(net.deviceName('x'), undefined, false), []);
  assert.deepEqual(defined({ a: 1, b: undefined, c: null }), { a: 1, c: null });
  assert.equal(
    ip.batchLine(ip.addRuleOps(ip.ruleSpec({ from: '10.0.0.5' }))[0]!),
    'rule add from 10.0.0.5/32 table default',
  );
});
