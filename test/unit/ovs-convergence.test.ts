import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { ensureBridgeOps } from '../../src/ovs/bridge-ops.js';
import { BridgeNotFoundError } from '../../src/ovs/errors.js';
import { Ovs } from '../../src/ovs/ovs.js';
import { OvsdbVswitchdTimeoutError } from '../../src/ovs/ovsdb/errors.js';
import { Transaction } from '../../src/ovs/ovsdb/operations.js';
import { OWNER_KEY } from '../../src/ovs/ownership.js';
import { observedBridge } from '../../src/ovs/plan-ports.js';
import { type PortSpec, vifPortSpec } from '../../src/ovs/ports.js';
import { FakeOvsdb } from '../fakes/ovsdb.js';

function setup(opts: ConstructorParameters<typeof Ovs>[1] = {}) {
  const db = new FakeOvsdb();
  const sw = new Ovs(db, { owner: 'topo-a', datapathType: 'netdev', ...opts });
  return { db, sw, br: new OvsBridge(sw, 'br-int') };
}

const vifs = (n: number, tag?: number): PortSpec[] =>
  Array.from({ length: n }, (_, i) =>
    vifPortSpec({
      name: `tap${i}`,
      ifaceId: `port-${i}`,
      mac: `fa:16:3e:00:00:${i.toString(16).padStart(2, '0')}`,
      ...(tag !== undefined ? { tag } : {}),
    }),
  );

const empty = { added: [], updated: [], replaced: [], deleted: [] };

test('applying the same bridge and ports twice changes nothing the second time', async () => {
  const { db, br } = setup();
  assert.equal(
    await br.create({ failMode: 'secure', protocols: ['OpenFlow13'], otherConfig: { a: '1' } }),
    true,
  );
  const first = await br.ensurePorts(vifs(3));
  assert.deepEqual(first.added, ['tap0', 'tap1', 'tap2']);
  const writes = db.writes;
  const before = db.snapshot();
  assert.equal(
    await br.create({ failMode: 'secure', protocols: ['OpenFlow13'], otherConfig: { a: '1' } }),
    false,
  );
  assert.deepEqual(await br.ensurePorts(vifs(3)), empty);
  assert.equal(db.writes, writes, 'no write transaction was sent');
  assert.equal(db.snapshot(), before);
});

test('a row deleted behind our back is recreated, exactly it, by the next ensure', async () => {
  const { db, br } = setup();
  await br.create();
  await br.ensurePorts(vifs(3));
  const uuids = (name: string) => db.row('Port', name)?._uuid;
  const [u0, u2] = [uuids('tap0'), uuids('tap2')];
  await db.deleteRow('Port', 'tap1');
  assert.equal(
    db.row('Interface', 'tap1'),
    undefined,
    'the interface went with its port (garbage collection)',
  );
  assert.deepEqual(await br.ensurePorts(vifs(3)), { ...empty, added: ['tap1'] });
  assert.equal(uuids('tap0'), u0, 'the other ports are the same rows');
  assert.equal(uuids('tap2'), u2);
  assert.deepEqual(db.row('Interface', 'tap1')?.external_ids, {
    'iface-id': 'port-1',
    'attached-mac': 'fa:16:3e:00:00:01',
    'iface-status': 'active',
    [OWNER_KEY]: 'topo-a',
  });
  // The whole bridge gone: create() and ensurePorts() bring back all of it.
  await db.deleteRow('Bridge', 'br-int');
  assert.equal(db.rows('Port').length, 0);
  assert.equal(await br.create(), true);
  assert.deepEqual((await br.ensurePorts(vifs(3))).added, ['tap0', 'tap1', 'tap2']);
});

test('drift is corrected in place, only where the spec says something; foreign keys stay', async () => {
  const { db, sw, br } = setup();
  await br.create();
  await br.ensurePorts([...vifs(2), { name: 'patch-tun', type: 'patch', options: { peer: 'patch-int' } }]);
  await sw.setColumns('Port', 'tap0', { tag: 5 });
  await sw.setMapKeys('Interface', 'tap1', 'external_ids', {
    'attached-mac': 'fa:16:3e:ff:ff:ff',
    other: 'kept',
  });
  await sw.setMapKeys('Interface', 'patch-tun', 'options', { peer: 'elsewhere' });
  const plan = await br.ensurePorts([
    ...vifs(2),
    { name: 'patch-tun', type: 'patch', options: { peer: 'patch-int' } },
  ]);
  assert.deepEqual(plan, { ...empty, updated: ['patch-tun', 'tap0', 'tap1'] });
  assert.deepEqual(db.row('Port', 'tap0')?.tag, [4095]);
  assert.deepEqual(db.row('Port', 'tap0')?.vlan_mode, ['trunk']);
  const ids = (db.row('Interface', 'tap1')?.external_ids ?? {}) as Record<string, string>;
  assert.equal(ids['attached-mac'], 'fa:16:3e:00:00:01');
  assert.equal(ids.other, 'kept');
  assert.deepEqual(db.row('Interface', 'patch-tun')?.options, { peer: 'patch-int' });
  // Binding the ports: the tag changes, the dead VLAN's trunk settings go.
  assert.deepEqual((await br.ensurePorts(vifs(2, 101))).updated, ['tap0', 'tap1']);
  assert.deepEqual(
    ['tag', 'vlan_mode', 'trunks'].map((c) => db.row('Port', 'tap0')?.[c]),
    [[101], [], []],
  );
});

test('prune deletes only this owner’s other ports of this bridge, never the local port or foreign ones', async () => {
  const { db, br } = setup();
  const other = new OvsBridge(new Ovs(db, { owner: 'topo-b', datapathType: 'netdev' }), 'br-int');
  await br.create();
  await br.ensurePorts(vifs(3));
  await other.addPort({ name: 'foreign', type: 'internal' });
  assert.deepEqual(await br.ensurePorts(vifs(1), { prune: true }), { ...empty, deleted: ['tap1', 'tap2'] });
  assert.deepEqual(
    db
      .rows('Port')
      .map((r) => r.name)
      .sort(),
    ['br-int', 'foreign', 'tap0'],
  );
});

test('one apply is ONE transaction that also asks vswitchd to apply it, with a wait scaled by the ports', async () => {
  const { db, br } = setup();
  await br.create();
  const n = db.log.length;
  await br.ensurePorts(vifs(20));
  const sent = db.log.slice(n);
  assert.equal(sent.length, 3, 'one read (observe), one write, one wait');
  const [read, write, wait] = sent as [(typeof sent)[0], (typeof sent)[0], (typeof sent)[0]];
  assert.ok(read.every((o) => o.op === 'select'));
  assert.deepEqual(
    write.slice(-2).map((o) => o.op),
    ['mutate', 'select'],
    'next_cfg += 1 and its select ride on the same transaction',
  );
  assert.equal(write.filter((o) => o.op === 'insert' && o.table === 'Interface').length, 20);
  assert.equal(wait.length, 1);
  assert.equal(wait[0]?.op === 'wait' ? wait[0].timeoutMs : -1, 10_000 + 20 * 50);
});

test('the vswitchd wait grows with the ports deleted, is configurable, and times out as a typed error', async () => {
  const waitOf = (db: FakeOvsdb) => {
    const w = db.log.at(-1)?.[0];
    return w?.op === 'wait' ? w.timeoutMs : undefined;
  };
  const { db, br } = setup();
  await br.create();
  await br.ensurePorts(vifs(200));
  await br.deletePorts(vifs(200).map((s) => s.name));
  assert.equal(waitOf(db), 10_000 + 200 * 50, 'deleting 200 ports may take 20 s');
  await br.ensurePorts(vifs(200));
  await br.destroy();
  assert.equal(waitOf(db), 10_000 + 201 * 50, 'a bridge deleted whole counts its ports (and its local port)');

  const fixed = setup({ waitForVswitchd: 3000 });
  await fixed.br.create();
  await fixed.br.ensurePorts(vifs(50));
  assert.equal(waitOf(fixed.db), 3000, 'a number is a fixed timeout');
  const scaled = setup({ waitForVswitchd: { baseMs: 100, perPortMs: 2 } });
  await scaled.br.create();
  await scaled.br.ensurePorts(vifs(50));
  assert.equal(waitOf(scaled.db), 200);
  assert.throws(() => setup({ waitForVswitchd: { perPortMs: -1 } }), InvalidInputError);

  const stalled = setup({ waitForVswitchd: { baseMs: 30, perPortMs: 0 } });
  await stalled.br.create();
  stalled.db.stopVswitchd();
  const err = await stalled.br.ensurePorts(vifs(1)).catch((e: unknown) => e);
  assert.ok(err instanceof OvsdbVswitchdTimeoutError, String(err));
  assert.ok(!(err instanceof BridgeNotFoundError));
  assert.ok(stalled.db.row('Port', 'tap0'), 'the change is committed all the same');
  stalled.db.startVswitchd();
});

test('a missing bridge fails the whole apply with BridgeNotFoundError and leaves nothing', async () => {
  const { db, br } = setup();
  await assert.rejects(br.ensurePorts(vifs(2)), BridgeNotFoundError);
  await assert.rejects(br.addPorts(vifs(2)), BridgeNotFoundError);
  assert.equal(db.rows('Port').length, 0);
});

test('observe reads an owner’s rows as typed data in one read-only transaction', async () => {
  const { db, sw, br } = setup();
  await br.create();
  await br.ensurePorts([
    ...vifs(2),
    { name: 'mtu', type: 'internal', mtuRequest: 1400, tag: 7, trunks: [8, 9] },
  ]);
  const b = new Ovs(db, { owner: 'topo-b', datapathType: 'netdev' });
  await new OvsBridge(b, 'br-b').create();
  await new OvsBridge(b, 'br-int').addPort({ name: 'b-port', type: 'internal' });
  const n = db.log.length;
  const seen = await sw.observe();
  assert.equal(db.log.length, n + 1);
  assert.deepEqual(
    seen.bridges.map((x) => [x.name, x.owner, x.portCount, x.ports.map((p) => p.name)]),
    [['br-int', 'topo-a', 5, ['br-int', 'mtu', 'tap0', 'tap1']]],
    "another owner's bridge and port are not in it",
  );
  const mtu = seen.bridges[0]!.ports.find((p) => p.name === 'mtu')!;
  assert.equal(mtu.tag, 7);
  assert.deepEqual(mtu.trunks, [8, 9]);
  assert.equal(mtu.vlanMode, null);
  assert.deepEqual(
    { ...mtu.interfaces[0]!, uuid: '' },
    {
      uuid: '',
      name: 'mtu',
      type: 'internal',
      externalIds: { [OWNER_KEY]: 'topo-a' },
      options: {},
      mtuRequest: 1400,
      ofport: mtu.interfaces[0]!.ofport,
      error: null,
    },
  );
  const tap0 = seen.bridges[0]!.ports.find((p) => p.name === 'tap0')!;
  assert.equal(tap0.vlanMode, 'trunk');
  assert.deepEqual(tap0.trunks, [4095]);
  // By prefix: both owners; the foreign bridge br-b is owned by topo-b.
  const all = await sw.observe({ ownerPrefix: 'topo-' });
  assert.deepEqual(
    all.bridges.map((x) => [x.name, x.owner, x.ports.map((p) => p.name)]),
    [
      ['br-b', 'topo-b', ['br-b']],
      ['br-int', 'topo-a', ['b-port', 'br-int', 'mtu', 'tap0', 'tap1']],
    ],
  );
  // cleanup reuses the observation: topo-b's port on topo-a's bridge goes; its own bridge stays.
  assert.deepEqual(await b.cleanup(), { bridges: ['br-b'], ports: ['b-port'] });
  assert.deepEqual(
    db.rows('Bridge').map((r) => r.name),
    ['br-int'],
  );
});

test('read() refuses a transaction that would change something; select checks identifiers', async () => {
  const { sw } = setup();
  const tx = new Transaction();
  tx.mutate('Open_vSwitch', [], [['next_cfg', '+=', 1]]);
  await assert.rejects(sw.read(tx), InvalidInputError);
  await assert.rejects(sw.select('Bridge; drop', []), InvalidInputError);
  await assert.rejects(sw.getColumn('Bridge', 'br-int', 'name\0'), InvalidInputError);
});

test('a bridge ensured from an observation: created, then unchanged, then settings corrected', async () => {
  const { db, sw } = setup();
  const want = {
    failMode: 'secure' as const,
    protocols: ['OpenFlow13', 'OpenFlow10'],
    otherConfig: { k: 'v' },
  };
  const apply = async () => {
    const seen = observedBridge(await sw.observe(), 'br-x');
    const tx = new Transaction();
    const what = ensureBridgeOps(tx, 'br-x', 'netdev', want, sw.owner, seen?.settings);
    if (tx.ops.length > 0) await sw.commit(tx);
    return what;
  };
  assert.equal(await apply(), 'created');
  const writes = db.writes;
  assert.equal(await apply(), 'unchanged');
  assert.equal(db.writes, writes);
  await sw.setColumns('Bridge', 'br-x', { fail_mode: 'standalone' });
  assert.equal(await apply(), 'updated');
  assert.deepEqual(db.row('Bridge', 'br-x')?.fail_mode, ['secure']);
  assert.deepEqual(db.row('Bridge', 'br-x')?.protocols, ['OpenFlow10', 'OpenFlow13']);
  await db.deleteRow('Bridge', 'br-x');
  assert.equal(await apply(), 'created');
});
