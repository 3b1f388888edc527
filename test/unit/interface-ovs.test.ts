import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PlugConflictError } from '../../src/interface/errors.js';
import { linkMark } from '../../src/interface/layout.js';
import { NETWORK_KEY } from '../../src/interface/local-vlan.js';
import { observeIntegrationBridge } from '../../src/interface/observe.js';
import { OvsInterfaceDriver } from '../../src/interface/ovs.js';
import { mac, mtu } from '../../src/net/types.js';
import { BridgeNotFoundError } from '../../src/ovs/errors.js';
import type { Change, Step } from '../../src/reconcile/step.js';
import { FakeHost, network, request } from './interface-fixtures.js';

const driver = new OvsInterfaceDriver();

async function plan(host: FakeHost, req: Parameters<typeof driver.planPlug>[0]): Promise<Change[]> {
  return driver.planPlug(req, await driver.observePlug(host.observation(), req));
}

function stepsOf(changes: readonly Change[]): Step[] {
  return changes.flatMap((c) => c.steps);
}

async function plugged(style?: 'internal' | 'veth' | 'hybrid') {
  const host = new FakeHost();
  await host.bridge();
  const ns = host.namespace('qdhcp-a');
  const req = request('p1', network('n1'), ns, 'tapdhcp1', style ? { style } : {});
  await host.apply(await plan(host, req));
  return { host, ns, req };
}

describe('OVS interface driver (fakes)', () => {
  test('a missing integration bridge is BridgeNotFoundError while planning, and nothing is sent', async () => {
    const host = new FakeHost();
    const ns = host.namespace('qdhcp-a');
    const req = request('p1', network('n1'), ns, 'tapdhcp1');
    const writes = host.ovsdb.writes;
    const applied = host.kernel.applied.length;
    await assert.rejects(plan(host, req), BridgeNotFoundError);
    assert.equal(host.ovsdb.writes, writes);
    assert.equal(host.kernel.applied.length, applied);
  });

  test('an internal plug: port in the dead VLAN, device moved, set up, then bound to the local VLAN', async () => {
    const host = new FakeHost();
    await host.bridge();
    const ns = host.namespace('qdhcp-a');
    const req = request('p1', network('n1', 1450), ns, 'tapdhcp1');
    const changes = await plan(host, req);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.action, 'create');
    const steps = stepsOf(changes);
    const add = steps.find((s) => s.via === 'ovs' && s.ops[0]?.op === 'port.add');
    assert.equal(add?.phase, 'port');
    const op = add?.via === 'ovs' ? add.ops[0] : undefined;
    assert.deepEqual(op?.op === 'port.add' ? [op.spec.tag, op.spec.type] : null, [4095, 'internal']);
    const bind = steps.find((s) => s.via === 'ovs' && s.ops[0]?.op === 'port.tag');
    assert.equal(bind?.phase, 'l3');
    await host.apply(changes);

    const dev = host.link(ns, 'tapdhcp1')!;
    assert.ok(dev, 'device moved into the namespace');
    assert.equal(host.link('host', 'tapdhcp1'), undefined);
    assert.equal(dev.mac, req.port.mac);
    assert.equal(dev.mtu, 1450);
    assert.equal(dev.up, true);
    assert.equal(dev.alias, linkMark(req.port.owner).alias);
    assert.equal(dev.group, linkMark(req.port.owner).group);
    const port = host.ovsdb.row('Port', 'tapdhcp1')!;
    assert.equal(host.tags().tapdhcp1, 1);
    assert.deepEqual(port.trunks, []);
    assert.equal((port.external_ids as Record<string, string>)[NETWORK_KEY], 't1.network.n1');
    const iface = host.ovsdb.row('Interface', 'tapdhcp1')!;
    assert.deepEqual(
      {
        ...(iface.external_ids as Record<string, string>),
      },
      {
        'iface-id': req.port.id,
        'attached-mac': req.port.mac,
        'iface-status': 'active',
        'tenantnet-owner': 't1.port.p1',
      },
    );
  });

  for (const style of ['internal', 'veth', 'hybrid'] as const) {
    test(`${style}: an unchanged plug plans nothing`, async () => {
      const { host, req } = await plugged(style);
      assert.deepEqual(await plan(host, req), []);
    });

    test(`${style}: unplug removes OVS rows first (port phase) and links after (bridge phase), leaving nothing`, async () => {
      const { host, ns, req } = await plugged(style);
      const seen = await driver.observePlug(host.observation(), req);
      const changes = driver.planUnplug(req, seen);
      assert.equal(changes.length, 1);
      assert.equal(changes[0]!.action, 'delete');
      const steps = stepsOf(changes);
      assert.ok(steps.every((s) => (s.via === 'ovs' ? s.phase === 'port' : s.phase === 'bridge')));
      await host.apply(changes);
      assert.deepEqual(
        host.ovsdb.rows('Port').map((r) => r.name),
        ['br-int'],
      );
      for (const space of ['host', ns]) {
        assert.deepEqual(
          host.kernel
            .ns(space)!
            .links.map((l) => l.name)
            .filter((n) => n !== 'lo' && n !== 'br-int'),
          [],
        );
      }
      assert.deepEqual(driver.planUnplug(req, await driver.observePlug(host.observation(), req)), []);
    });
  }

  test('an MTU-only change is one link set mtu, and the device keeps its ifindex', async () => {
    const { host, ns, req } = await plugged();
    const index = host.link(ns, 'tapdhcp1')!.index;
    const changes = await plan(host, { ...req, mtu: mtu(1400) });
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.action, 'update');
    assert.deepEqual(stepsOf(changes), [
      { via: 'ip', phase: 'l3', place: ns, ops: [{ op: 'link.set', name: 'tapdhcp1', set: { mtu: 1400 } }] },
    ]);
    await host.apply(changes);
    assert.equal(host.link(ns, 'tapdhcp1')!.mtu, 1400);
    assert.equal(host.link(ns, 'tapdhcp1')!.index, index);
    assert.deepEqual(await plan(host, { ...req, mtu: mtu(1400) }), []);
  });

  test('planMtu sets the MTU of every link of a hybrid plug that carries one (not the bridge)', async () => {
    const { host, req } = await plugged('hybrid');
    const changes = driver.planMtu(req, mtu(1300), await driver.observePlug(host.observation(), req));
    const names = stepsOf(changes).flatMap((s) =>
      s.via === 'ip' ? s.ops.map((o) => ('name' in o ? String(o.name) : '')) : [],
    );
    assert.equal(names.length, 4);
    assert.ok(!names.some((n) => n.startsWith('qbr')));
  });

  test('a MAC change is one link set address (and the attached-mac key)', async () => {
    const { host, ns, req } = await plugged();
    const next = { ...req, port: { ...req.port, mac: mac('fa:16:3e:12:34:56') } };
    const changes = await plan(host, next);
    const steps = stepsOf(changes);
    assert.deepEqual(
      steps.filter((s) => s.via === 'ip'),
      [
        {
          via: 'ip',
          phase: 'l3',
          place: ns,
          ops: [{ op: 'link.set', name: 'tapdhcp1', set: { mac: 'fa:16:3e:12:34:56' } }],
        },
      ],
    );
    assert.deepEqual(
      steps.filter((s) => s.via === 'ovs'),
      [
        {
          via: 'ovs',
          phase: 'port',
          ops: [
            {
              op: 'iface.external_ids',
              name: 'tapdhcp1',
              externalIds: { 'attached-mac': 'fa:16:3e:12:34:56' },
            },
          ],
        },
      ],
    );
  });

  test('a device deleted by hand is replaced: the stale port goes (delete change), then a new one', async () => {
    const { host, ns, req } = await plugged();
    const space = host.kernel.ns(ns)!;
    space.drop(space.link('tapdhcp1')!);
    const changes = await plan(host, req);
    assert.deepEqual(
      changes.map((c) => c.action),
      ['delete', 'update'],
    );
    await host.apply(changes);
    assert.ok(host.link(ns, 'tapdhcp1')?.up);
    assert.deepEqual(await plan(host, req), []);
  });

  test('hybrid: a qvb/qvo pair deleted by hand is made again with its OVS port, nothing else', async () => {
    const { host, req } = await plugged('hybrid');
    const layout = driver.layout(req);
    const qvb = layout.hostLinks[2]!;
    const hostNs = host.kernel.ns('host')!;
    const qvbLink = hostNs.link(qvb)!;
    hostNs.drop(qvbLink.peer!);
    hostNs.drop(qvbLink);
    const changes = await plan(host, req);
    const touched = new Set(
      stepsOf(changes).flatMap((s) =>
        s.via === 'ip'
          ? s.ops.map((o) => ('name' in o ? String(o.name) : ''))
          : s.via === 'ovs'
            ? s.ops.map((o) => ('name' in o ? o.name : o.op === 'port.add' ? o.spec.name : ''))
            : [],
      ),
    );
    assert.deepEqual([...touched].sort(), [layout.hostLinks[2], layout.hostLinks[3]].sort());
    await host.apply(changes);
    assert.deepEqual(await plan(host, req), []);
  });

  test('hybrid on a netdev datapath: tx offload off on the namespace end and qvb, IPv6 off on host ends', async () => {
    const host = new FakeHost();
    await host.bridge();
    const ns = host.namespace('vm-a');
    const req = request('p1', network('n1'), ns, 'eth0', { style: 'hybrid' });
    await host.apply(await plan(host, req));
    const [qbr, tap, qvb, qvo] = driver.layout(req).hostLinks;
    const cmds = host.commands.map((c) => `${c.place}: ${c.argv.join(' ')}`).sort();
    assert.deepEqual(
      cmds,
      [
        `host: ethtool -K ${qvb} tx off`,
        ...[qbr, qvb, qvo, tap].map((d) => `host: sysctl -q -w net.ipv6.conf.${d}.disable_ipv6=1`),
        `${ns}: ethtool -K eth0 tx off`,
      ].sort(),
    );
    assert.equal(host.link('host', tap!)!.master, qbr);
    assert.equal(host.link('host', qvb!)!.master, qbr);
    assert.equal(host.tags()[qvo!], 1);
    assert.deepEqual(driver.layout(req).filter, { bridge: qbr, device: tap });
  });

  test("a device of the plug name in the namespace that is not tenantnet's is a conflict, nothing planned", async () => {
    const host = new FakeHost();
    await host.bridge();
    const ns = host.namespace('qdhcp-a');
    host.kernel.ns(ns)!.addLink({ name: 'tapdhcp1', kind: 'veth' });
    await assert.rejects(plan(host, request('p1', network('n1'), ns, 'tapdhcp1')), PlugConflictError);
  });

  test('an unmarked device in the topology group (an apply killed before the mark) is taken over and marked', async () => {
    const host = new FakeHost();
    await host.bridge();
    const ns = host.namespace('qdhcp-a');
    const req = request('p1', network('n1'), ns, 'tapdhcp1');
    const mark = linkMark(req.port.owner);
    host.kernel.ns(ns)!.addLink({ name: 'tapdhcp1', kind: 'veth', group: mark.group });
    const changes = await plan(host, req);
    assert.ok(changes.length > 0, 'the half-made plug is finished');
    assert.match(JSON.stringify(changes), new RegExp(mark.alias.replace(/[.]/g, '\\.')));
  });

  test("a device of the wrong kind that is this port's (a Linux-bridge veth) is replaced", async () => {
    const host = new FakeHost();
    await host.bridge();
    const ns = host.namespace('qdhcp-a');
    const req = request('p1', network('n1'), ns, 'tapdhcp1');
    host.kernel.ns(ns)!.addLink({ name: 'tapdhcp1', kind: 'veth', alias: linkMark(req.port.owner).alias });
    const changes = await plan(host, req);
    assert.deepEqual(
      changes.map((c) => c.action),
      ['delete', 'update'],
    );
    await host.apply(changes);
    assert.equal(host.link(ns, 'tapdhcp1')!.kind as string, 'tun');
    assert.deepEqual(await plan(host, req), []);
  });

  test('local VLANs: one per network, unique, kept; the lowest free tag for a new network', async () => {
    const host = new FakeHost();
    await host.bridge();
    const ns = host.namespace('x');
    const [a, b, c] = [network('a'), network('b'), network('c')];
    const pa = request('pa', a, ns, 'da');
    const pa2 = request('pa2', a, ns, 'da2');
    const pb = request('pb', b, ns, 'db');
    // Two networks planned against one observation: the shared table keeps them apart.
    const obs = host.observation();
    const first = [
      ...driver.planPlug(pa, await driver.observePlug(obs, pa)),
      ...driver.planPlug(pb, await driver.observePlug(obs, pb)),
      ...driver.planPlug(pa2, await driver.observePlug(obs, pa2)),
    ];
    await host.apply(first);
    assert.deepEqual(host.tags(), { 'br-int': [], da: 1, da2: 1, db: 2 });
    // Observed again: the mapping is read back from the ports.
    const view = await observeIntegrationBridge(host.observation(), 'br-int');
    assert.deepEqual(
      [...view!.vlans.observed],
      [
        ['t1.network.a', 1],
        ['t1.network.b', 2],
      ],
    );
    // Network a's ports go; network c takes the lowest free tag (1); b keeps 2.
    for (const p of [pa, pa2])
      await host.apply(driver.planUnplug(p, await driver.observePlug(host.observation(), p)));
    const pc = request('pc', c, ns, 'dc');
    await host.apply(await plan(host, pc));
    assert.deepEqual(host.tags(), { 'br-int': [], db: 2, dc: 1 });
  });

  test('a port bound to a stale tag (or left in the dead VLAN) is bound again by one port.tag', async () => {
    const { host, req } = await plugged();
    await host.sw.setColumns('Port', 'tapdhcp1', { tag: 4095 });
    const changes = await plan(host, req);
    assert.deepEqual(stepsOf(changes), [
      { via: 'ovs', phase: 'l3', ops: [{ op: 'port.tag', name: 'tapdhcp1', tag: 1 }] },
    ]);
  });

  test('planIntegrationBridge ensures a missing bridge in standalone fail mode, and plans nothing for one that exists', async () => {
    const host = new FakeHost();
    const resource = { topology: 't1', kind: 'host', name: 'integration-bridge' } as const;
    const none = await observeIntegrationBridge(host.observation(), 'br-int');
    const changes = driver.planIntegrationBridge(none, resource as never);
    assert.deepEqual(stepsOf(changes), [
      {
        via: 'ovs',
        phase: 'bridge',
        ops: [
          {
            op: 'bridge.ensure',
            name: 'br-int',
            options: { datapathType: 'auto', failMode: 'standalone' },
            observed: null,
          },
        ],
      },
    ]);
    await host.bridge();
    const seen = await observeIntegrationBridge(host.observation(), 'br-int');
    assert.deepEqual(driver.planIntegrationBridge(seen, resource as never), []);
  });
});
