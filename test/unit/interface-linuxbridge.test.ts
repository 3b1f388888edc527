import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { linkMark, networkBridge } from '../../src/interface/layout.js';
import { LinuxBridgeInterfaceDriver } from '../../src/interface/linuxbridge.js';
import { NullInterfaceDriver } from '../../src/interface/null.js';
import { mtu } from '../../src/net/types.js';
import type { Change } from '../../src/reconcile/step.js';
import { FakeHost, network, request } from './interface-fixtures.js';

const driver = new LinuxBridgeInterfaceDriver();

async function planAll(host: FakeHost, req: ReturnType<typeof request>): Promise<Change[]> {
  const obs = host.observation();
  const [net, seen] = await Promise.all([
    driver.observeNetwork(obs, req.network),
    driver.observePlug(obs, req),
  ]);
  return [...driver.planNetwork(req.network, net), ...driver.planPlug(req, seen)];
}

describe('Linux bridge interface driver (fakes)', () => {
  test('a plug: brq<net> (bridge phase, marked by the network) and tap<id> in it ↔ the device, no OVS row', async () => {
    const host = new FakeHost();
    const ns = host.namespace('qdhcp-a');
    const req = request('p1', network('n1', 1450), ns, 'ns-dhcp1');
    const writes = host.ovsdb.writes;
    const changes = await planAll(host, req);
    assert.deepEqual(
      changes.map((c) => [c.resource.kind, c.action, c.after?.map((a) => a.name)]),
      [
        ['network', 'create', undefined],
        ['port', 'create', ['n1']],
      ],
    );
    assert.ok(changes[0]!.steps.some((s) => s.phase === 'bridge' && s.via === 'ip'));
    await host.apply(changes);
    const brq = networkBridge(req.network);
    assert.match(brq, /^brq[a-z2-7]{11}$/);
    const bridge = host.link('host', brq)!;
    assert.equal(bridge.kind, 'bridge');
    assert.equal(bridge.alias, linkMark(req.network.owner).alias);
    assert.equal(bridge.group, linkMark(req.network.owner).group);
    const tap = host.link('host', `tap${req.port.id}`)!;
    assert.equal(tap.master, brq);
    assert.equal(tap.mtu, 1450);
    assert.equal(tap.up, true);
    const dev = host.link(ns, 'ns-dhcp1')!;
    assert.equal(dev.mac, req.port.mac);
    assert.equal(dev.mtu, 1450);
    assert.equal(dev.alias, linkMark(req.port.owner).alias);
    assert.equal(host.ovsdb.writes, writes, 'no OVS row at all');
    assert.deepEqual(
      host.commands.map((c) => c.argv.join(' ')).sort(),
      [brq, `tap${req.port.id}`].map((d) => `sysctl -q -w net.ipv6.conf.${d}.disable_ipv6=1`).sort(),
    );
    assert.deepEqual(driver.layout(req).filter, { bridge: brq, device: `tap${req.port.id}` });
    assert.deepEqual(await planAll(host, req), [], 'an unchanged plug plans nothing');
  });

  test('an MTU-only change is one link set mtu per end of the veth, ifindexes kept', async () => {
    const host = new FakeHost();
    const ns = host.namespace('qdhcp-a');
    const req = request('p1', network('n1'), ns, 'ns-dhcp1');
    await host.apply(await planAll(host, req));
    const before = host.link(ns, 'ns-dhcp1')!.index;
    const changes = await planAll(host, { ...req, mtu: mtu(1400) });
    const ops = changes.flatMap((c) => c.steps).flatMap((s) => (s.via === 'ip' ? s.ops : []));
    assert.deepEqual(
      ops.map((o) => (o.op === 'link.set' ? o.set : o.op)),
      [{ mtu: 1400 }, { mtu: 1400 }],
    );
    await host.apply(changes);
    assert.equal(host.link(ns, 'ns-dhcp1')!.index, before);
    assert.equal(host.link(ns, 'ns-dhcp1')!.mtu, 1400);
  });

  test('unplug deletes the host end only (the namespace end goes with it); network removal deletes brq', async () => {
    const host = new FakeHost();
    const ns = host.namespace('qdhcp-a');
    const req = request('p1', network('n1'), ns, 'ns-dhcp1');
    await host.apply(await planAll(host, req));
    const seen = await driver.observePlug(host.observation(), req);
    const out = driver.planUnplug(req, seen);
    assert.deepEqual(
      out.flatMap((c) => c.steps),
      [{ via: 'ip', phase: 'bridge', place: 'host', ops: [{ op: 'link.del', name: `tap${req.port.id}` }] }],
    );
    await host.apply(out);
    assert.equal(host.link(ns, 'ns-dhcp1'), undefined);
    const net = await driver.observeNetwork(host.observation(), req.network);
    await host.apply(driver.planNetworkRemoval(req.network, net));
    assert.deepEqual(
      host.kernel.ns('host')!.links.map((l) => l.name),
      ['lo'],
    );
  });

  test('a device in the wrong namespace is replaced: the lone host end goes, a new pair is made', async () => {
    const host = new FakeHost();
    const a = host.namespace('qdhcp-a');
    const b = host.namespace('qdhcp-b');
    const req = request('p1', network('n1'), a, 'ns-dhcp1');
    await host.apply(await planAll(host, req));
    const moved = { ...req, namespace: b };
    const changes = await planAll(host, moved);
    assert.deepEqual(
      changes.map((c) => c.action),
      ['delete', 'update'],
    );
    await host.apply(changes);
    assert.equal(host.link(a, 'ns-dhcp1'), undefined);
    assert.ok(host.link(b, 'ns-dhcp1')?.up);
    assert.deepEqual(await planAll(host, moved), []);
  });
});

describe('null interface driver', () => {
  test('plans nothing and plugs nothing', async () => {
    const host = new FakeHost();
    const ns = host.namespace('x');
    const d = new NullInterfaceDriver();
    const req = request('p1', network('n1'), ns, 'eth0');
    const obs = host.observation();
    assert.deepEqual(d.planNetwork(req.network, await d.observeNetwork(obs, req.network)), []);
    assert.deepEqual(d.planPlug(req, await d.observePlug(obs, req)), []);
    assert.deepEqual(d.planUnplug(req, await d.observePlug(obs, req)), []);
    const r = await d.plug(req, { executors: host.executors });
    assert.equal(r.operations, 0);
    assert.equal(host.kernel.applied.length, 0);
  });
});
