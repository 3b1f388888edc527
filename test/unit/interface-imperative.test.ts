import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LinuxBridgeInterfaceDriver } from '../../src/interface/linuxbridge.js';
import { OvsInterfaceDriver } from '../../src/interface/ovs.js';
import type { IpExecutor } from '../../src/ip/executor.js';
import type { IpOp } from '../../src/ip/ops.js';
import { NamespaceNotFoundError } from '../../src/net/namespace.js';
import { mtu, type NamespaceName } from '../../src/net/types.js';
import { BridgeNotFoundError } from '../../src/ovs/errors.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { FakeHost, network, request } from './interface-fixtures.js';

/**
 * The host's executors, except that the namespace `victim` is deleted just before the first ip batch
 * that moves a device into it or creates a veth end in it: a namespace that vanishes half way.
 */
function vanishing(host: FakeHost, victim: string): Executors {
  const kernel = host.kernel;
  const touches = (ops: readonly IpOp[]) =>
    ops.some(
      (o) =>
        (o.op === 'link.set' && o.set.namespace === victim) ||
        (o.op === 'veth.add' && o.peerNamespace === victim),
    );
  let done = false;
  const before = (ops: readonly IpOp[]) => {
    if (!done && touches(ops)) {
      done = true;
      void kernel.apply(null, [{ op: 'netns.del', name: victim as NamespaceName }]);
    }
  };
  const ip: IpExecutor = {
    apply: (ns, ops) => {
      before(ops);
      return kernel.apply(ns, ops);
    },
    settle: (ns, ops) => {
      before(ops);
      return kernel.settle(ns, ops);
    },
    listNamespaces: () => kernel.listNamespaces(),
  };
  return { ...host.executors, ip };
}

function names(host: FakeHost, ns: string): string[] {
  return (host.kernel.ns(ns)?.links ?? []).map((l) => l.name).filter((n) => n !== 'lo' && n !== 'br-int');
}

describe('imperative plug, setMtu, unplug (the plans applied by the engine, on fakes)', () => {
  test('OVS: plug, plug again (nothing sent), setMtu (one op), unplug (nothing left)', async () => {
    const host = new FakeHost();
    await host.bridge();
    const ns = host.namespace('qdhcp-a');
    const driver = new OvsInterfaceDriver();
    const req = request('p1', network('n1'), ns, 'tapdhcp1');
    const first = await driver.plug(req, { executors: host.executors });
    assert.ok(first.operations > 0);
    assert.equal(first.layout.ovsPort, 'tapdhcp1');
    const again = await driver.plug(req, { executors: host.executors });
    assert.deepEqual([again.planned, again.operations], [[], 0]);
    const index = host.link(ns, 'tapdhcp1')!.index;
    assert.equal((await driver.setMtu(req, mtu(1400), { executors: host.executors })).operations, 1);
    assert.equal(host.link(ns, 'tapdhcp1')!.index, index);
    assert.equal(host.link(ns, 'tapdhcp1')!.mtu, 1400);
    await driver.unplug(req, { executors: host.executors });
    assert.deepEqual(names(host, ns), []);
    assert.deepEqual(
      host.ovsdb.rows('Port').map((r) => r.name),
      ['br-int'],
    );
    assert.equal((await driver.unplug(req, { executors: host.executors })).operations, 0);
  });

  test('OVS: a missing bridge is BridgeNotFoundError and nothing is sent', async () => {
    const host = new FakeHost();
    const ns = host.namespace('qdhcp-a');
    const writes = host.ovsdb.writes;
    await assert.rejects(
      new OvsInterfaceDriver().plug(request('p1', network('n1'), ns, 'tapdhcp1'), {
        executors: host.executors,
      }),
      BridgeNotFoundError,
    );
    assert.equal(host.ovsdb.writes, writes);
    assert.equal(host.kernel.applied.length, 0);
  });

  for (const style of ['internal', 'hybrid'] as const) {
    test(`OVS ${style}: a namespace that vanishes half way fails the plug, and what the plug made is removed`, async () => {
      const host = new FakeHost();
      await host.bridge();
      const ns = host.namespace('vm-a');
      const req = request('p1', network('n1'), ns, style === 'internal' ? 'tapvm1' : 'eth0', { style });
      await assert.rejects(
        new OvsInterfaceDriver().plug(req, { executors: vanishing(host, ns) }),
        NamespaceNotFoundError,
      );
      assert.deepEqual(
        host.ovsdb.rows('Port').map((r) => r.name),
        ['br-int'],
      );
      assert.deepEqual(names(host, 'host'), []);
    });
  }

  test('OVS: the roll-back removes only what the failed plug made, not what was there before', async () => {
    const host = new FakeHost();
    await host.bridge();
    const [a, b] = [host.namespace('vm-a'), host.namespace('vm-b')];
    const driver = new OvsInterfaceDriver();
    const kept = request('p0', network('n1'), a, 'tapvm0');
    await driver.plug(kept, { executors: host.executors });
    const req = request('p1', network('n1'), b, 'tapvm1');
    await assert.rejects(driver.plug(req, { executors: vanishing(host, b) }), NamespaceNotFoundError);
    assert.deepEqual(
      host.ovsdb
        .rows('Port')
        .map((r) => r.name)
        .sort(),
      ['br-int', 'tapvm0'],
    );
    assert.ok(host.link(a, 'tapvm0')?.up);
    assert.deepEqual(await driver.planPlug(kept, await driver.observePlug(host.observation(), kept)), []);
  });

  test('Linux bridge: a failed plug removes the bridge it made with it; a bridge that was there stays', async () => {
    const host = new FakeHost();
    const [a, b] = [host.namespace('vm-a'), host.namespace('vm-b')];
    const driver = new LinuxBridgeInterfaceDriver();
    const net = network('n1');
    await assert.rejects(
      driver.plug(request('p1', net, a, 'eth0'), { executors: vanishing(host, a) }),
      NamespaceNotFoundError,
    );
    assert.deepEqual(names(host, 'host'), [], 'brq made by the failed plug is gone');
    await driver.plug(request('p2', net, b, 'eth0'), { executors: host.executors });
    const c = host.namespace('vm-c');
    await assert.rejects(
      driver.plug(request('p3', net, c, 'eth0'), { executors: vanishing(host, c) }),
      NamespaceNotFoundError,
    );
    const left = names(host, 'host');
    assert.equal(left.length, 2, `brq and p2's tap stay: ${left.join(' ')}`);
    assert.ok(host.link(b, 'eth0')?.up);
  });
});
