import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { Ovs } from '../../src/ovs/ovs.js';
import { type OvsOp, ovsOpCommands, ovsOpsTransaction, validateOvsOps } from '../../src/ovs/ovs-ops.js';
import { Transaction } from '../../src/ovs/ovsdb/operations.js';
import { planPortOps } from '../../src/ovs/plan-ovs-ops.js';
import { FakeOvsdb } from '../fakes/ovsdb.js';

const ctx = { owner: 'topo.network.x', datapath: 'netdev' as const };

async function commit(db: FakeOvsdb, ops: OvsOp[], bridges?: Map<string, null>) {
  const tx = new Transaction();
  const appended = ovsOpsTransaction(tx, ops, { ...ctx, ...(bridges ? { bridges } : {}) });
  await new Ovs(db, { owner: 'sw' }).commit(tx);
  return appended;
}

test('ovsOpsTransaction builds a bridge, ports, tags and external ids in one transaction, as the builders do', async () => {
  const db = new FakeOvsdb();
  const appended = await commit(db, [
    {
      op: 'bridge.ensure',
      name: 'br-int',
      options: { failMode: 'secure', protocols: ['OpenFlow13'] },
      observed: null,
    },
    {
      op: 'port.add',
      bridge: 'br-int',
      spec: { name: 'tap1', type: 'internal', tag: 4095, externalIds: { 'iface-id': 'p1' } },
      owner: 'topo.port.p1',
    },
    { op: 'port.tag', name: 'tap1', tag: 7 },
    { op: 'iface.external_ids', name: 'tap1', externalIds: { 'iface-status': 'active' } },
  ]);
  assert.equal(db.writes, 1, 'one write transaction');
  assert.ok(appended.perOp.every((n) => n > 0));
  const br = db.row('Bridge', 'br-int')!;
  assert.equal(br.datapath_type, 'netdev');
  assert.deepEqual(br.fail_mode, ['secure']);
  assert.deepEqual(br.external_ids, { 'tenantnet-owner': 'topo.network.x' });
  const port = db.row('Port', 'tap1')!;
  assert.deepEqual(port.tag, [7]);
  assert.deepEqual([port.vlan_mode, port.trunks], [[], []], 'binding cleared the dead VLAN shape');
  assert.deepEqual(port.external_ids, { 'tenantnet-owner': 'topo.port.p1' });
  assert.deepEqual(db.row('Interface', 'tap1')!.external_ids, {
    'iface-id': 'p1',
    'tenantnet-owner': 'topo.port.p1',
    'iface-status': 'active',
  });
});

test('bridge.ensure on an existing bridge writes only the settings that differ, nothing when they match', () => {
  const have = {
    datapathType: 'netdev',
    failMode: 'secure',
    protocols: ['OpenFlow13'],
    otherConfig: { a: '1' },
  };
  const same = new Transaction();
  const r = ovsOpsTransaction(
    same,
    [
      {
        op: 'bridge.ensure',
        name: 'br',
        options: { failMode: 'secure', otherConfig: { a: '1' } },
        observed: have,
      },
    ],
    ctx,
  );
  assert.deepEqual(r.perOp, [0]);
  assert.equal(same.ops.length, 0);
  const differ = new Transaction();
  ovsOpsTransaction(
    differ,
    [{ op: 'bridge.ensure', name: 'br', options: { failMode: 'standalone' }, observed: have }],
    ctx,
  );
  assert.deepEqual(
    differ.ops.map((o) => o.op),
    ['update'],
  );
  assert.throws(
    () => ovsOpsTransaction(new Transaction(), [{ op: 'bridge.ensure', name: 'br' }], ctx),
    InvalidInputError,
    'neither observed nor read',
  );
});

test('a port for a missing bridge fails the transaction instead of vanishing', async () => {
  const db = new FakeOvsdb();
  await assert.rejects(commit(db, [{ op: 'port.add', bridge: 'nope', spec: { name: 'p1' }, owner: 'o' }]));
  assert.equal(db.row('Port', 'p1'), undefined);
});

test('port.del and bridge.del remove rows by their observed uuids; bridge.del counts its ports for vswitchd', async () => {
  const db = new FakeOvsdb();
  await commit(db, [
    { op: 'bridge.ensure', name: 'br', observed: null },
    { op: 'port.add', bridge: 'br', spec: { name: 'p1' }, owner: 'o' },
    { op: 'port.add', bridge: 'br', spec: { name: 'p2' }, owner: 'o' },
  ]);
  await commit(db, [{ op: 'port.del', bridge: 'br', name: 'p1', uuid: String(db.row('Port', 'p1')!._uuid) }]);
  assert.equal(db.row('Port', 'p1'), undefined);
  assert.ok(db.row('Port', 'p2'));
  const tx = new Transaction();
  const r = ovsOpsTransaction(
    tx,
    [{ op: 'bridge.del', name: 'br', uuid: String(db.row('Bridge', 'br')!._uuid), ports: 2 }],
    ctx,
  );
  assert.equal(r.work, 2);
  await new Ovs(db).commit(tx);
  assert.deepEqual(db.rows('Bridge'), []);
  assert.deepEqual(db.rows('Port'), [], 'garbage-collected with the bridge');
});

test('ovsOpCommands prints the ovs-vsctl commands a person would type', () => {
  const ops: OvsOp[] = [
    {
      op: 'bridge.ensure',
      name: 'br-int',
      options: {
        datapathType: 'auto',
        failMode: 'secure',
        protocols: ['OpenFlow13', 'OpenFlow10'],
        otherConfig: { 'mac-table-size': '4096' },
      },
      observed: null,
    },
    {
      op: 'port.add',
      bridge: 'br-int',
      spec: {
        name: 'tap1',
        type: 'internal',
        tag: 4095,
        externalIds: { 'iface-id': 'a b', 'attached-mac': 'fa:16:3e:00:00:01' },
        mtuRequest: 1450,
      },
      owner: 'topo.port.p1',
    },
    { op: 'port.tag', name: 'tap1', tag: 7 },
    { op: 'port.tag', name: 'tap2', tag: 4095 },
    { op: 'iface.external_ids', name: 'tap1', externalIds: { 'iface-status': 'down' } },
    { op: 'port.del', bridge: 'br-int', name: 'tap9', uuid: '0b7c1c7e-0000-4000-8000-000000000001' },
    { op: 'bridge.del', name: 'br-old', uuid: '0b7c1c7e-0000-4000-8000-000000000002' },
  ];
  assert.deepEqual(
    ovsOpCommands(ops, ctx).map((a) => a.join(' ')),
    [
      'ovs-vsctl --may-exist add-br br-int -- set Bridge br-int datapath_type=netdev fail_mode=secure protocols=OpenFlow10,OpenFlow13 other_config:mac-table-size=4096 external_ids:tenantnet-owner=topo.network.x -- set Port br-int external_ids:tenantnet-owner=topo.network.x -- set Interface br-int external_ids:tenantnet-owner=topo.network.x',
      'ovs-vsctl add-port br-int tap1 -- set Interface tap1 type=internal mtu_request=1450 external_ids:iface-id="a b" external_ids:attached-mac=fa:16:3e:00:00:01 external_ids:tenantnet-owner=topo.port.p1 -- set Port tap1 tag=4095 vlan_mode=trunk trunks=4095 external_ids:tenantnet-owner=topo.port.p1',
      'ovs-vsctl set Port tap1 tag=7 -- clear Port tap1 vlan_mode trunks',
      'ovs-vsctl set Port tap2 tag=4095 vlan_mode=trunk trunks=4095',
      'ovs-vsctl set Interface tap1 external_ids:iface-status=down',
      'ovs-vsctl --if-exists del-port tap9',
      'ovs-vsctl --if-exists del-br br-old',
    ],
  );
  assert.deepEqual(
    ovsOpCommands(
      [
        {
          op: 'bridge.ensure',
          name: 'br',
          options: { failMode: 'secure' },
          observed: { datapathType: '', failMode: 'standalone', protocols: [], otherConfig: {} },
        },
      ],
      ctx,
    ),
    [['ovs-vsctl', 'set', 'Bridge', 'br', 'fail_mode=secure']],
  );
});

test('forged ops are refused before anything is built: names, uuids, tags, owners, maps', () => {
  const bad: [unknown, RegExp][] = [
    [{ op: 'port.add', bridge: '-br', spec: { name: 'p' }, owner: 'o' }, /bridge/],
    [{ op: 'port.add', bridge: 'br', spec: { name: 'p\nq' }, owner: 'o' }, /spec\.name/],
    [{ op: 'port.add', bridge: 'br', spec: { name: 'p' }, owner: '' }, /owner/],
    [{ op: 'port.del', bridge: 'br', name: 'p', uuid: 'not-a-uuid' }, /uuid/],
    [{ op: 'port.tag', name: 'p', tag: 4096 }, /tag/],
    [{ op: 'iface.external_ids', name: 'p', externalIds: { k: 'a\u0000b' } }, /externalIds/],
    [{ op: 'bridge.ensure', name: 'br', options: { failMode: 'open' } }, /failMode/],
    [{ op: 'flow.add' }, /not an OVS operation/],
  ];
  for (const [op, where] of bad) {
    assert.throws(
      () => validateOvsOps([op as OvsOp]),
      (e: unknown) => e instanceof InvalidInputError && where.test(e.message),
      JSON.stringify(op),
    );
    assert.throws(() => ovsOpCommands([op as OvsOp], ctx), InvalidInputError);
  }
});

test('planPortOps: missing ports are added, moved or misfit ones replaced, tags and external ids corrected, converged plans nothing', async () => {
  const db = new FakeOvsdb();
  const sw = new Ovs(db, { owner: 'o', datapathType: 'netdev' });
  await commit(db, [
    { op: 'bridge.ensure', name: 'br1', observed: null },
    { op: 'bridge.ensure', name: 'br2', observed: null },
  ]);
  const specs = [
    { name: 'p1', type: 'internal' as const, tag: 4095, externalIds: { 'iface-id': 'one' } },
    { name: 'p2', type: 'internal' as const },
  ];
  const first = planPortOps('br1', specs, await sw.observe({ ownerPrefix: 'o' }), 'o');
  assert.deepEqual(
    first.map((o) => o.op),
    ['port.add', 'port.add'],
  );
  await commit(db, first);
  assert.deepEqual(planPortOps('br1', specs, await sw.observe({ ownerPrefix: 'o' }), 'o'), []);
  const bound = planPortOps(
    'br1',
    [{ ...specs[0]!, tag: 3 }, specs[1]!],
    await sw.observe({ ownerPrefix: 'o' }),
    'o',
  );
  assert.deepEqual(bound, [{ op: 'port.tag', name: 'p1', tag: 3 }]);
  await commit(db, bound);
  const moved = planPortOps('br2', [specs[1]!], await sw.observe({ ownerPrefix: 'o' }), 'o');
  assert.deepEqual(
    moved.map((o) => `${o.op} ${'bridge' in o ? o.bridge : ''}`),
    ['port.del br1', 'port.add br2'],
  );
  await commit(db, moved);
  assert.deepEqual(planPortOps('br2', [specs[1]!], await sw.observe({ ownerPrefix: 'o' }), 'o'), []);
});
