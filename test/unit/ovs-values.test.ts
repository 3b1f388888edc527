import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { InterfaceMonitor } from '../../src/ovs/interface-monitor.js';
import { ovsName } from '../../src/ovs/names.js';
import { Ovs } from '../../src/ovs/ovs.js';
import { encodeOperation, Transaction } from '../../src/ovs/ovsdb/operations.js';
import { NamedUuid, ovsMap, ovsSet, Uuid } from '../../src/ovs/ovsdb/values.js';
import { checkWireText } from '../../src/ovs/ovsdb/wire-text.js';
import { addPortOps, deletePortOps, setPortTagOps, vifPortSpec, wantedVlan } from '../../src/ovs/ports.js';
import { ovsdbText, stringMap } from '../../src/ovs/text.js';
import { vswitchdWork } from '../../src/ovs/vswitchd-wait.js';
import { FakeOvsdb } from '../fakes/ovsdb.js';

test('every string of a transaction is checked for the wire: NUL and lone surrogates are refused', () => {
  const ok = new Transaction();
  ok.insert('Bridge', { name: 'br', external_ids: ovsMap({ 'k "\'$(id)': 'v\n\t🙂网络' }) });
  ok.comment('fine');
  checkWireText(ok.ops);
  const bad: [string, (t: Transaction) => void][] = [
    ['value', (t) => t.insert('Bridge', { name: 'br', external_ids: ovsMap({ k: 'a\0b' }) })],
    ['map key', (t) => t.update('Bridge', [], { external_ids: ovsMap({ 'a\0': 'v' }) })],
    ['set item', (t) => t.mutate('Bridge', [], [['protocols', 'insert', ovsSet('x\0')]])],
    ['condition', (t) => t.select('Bridge', [['name', '==', 'a\0']])],
    ['table name', (t) => t.select('Bri\0dge', [])],
    ['column name', (t) => t.select('Bridge', [], ['na\0me'])],
    ['comment', (t) => t.comment('\0')],
    ['lone surrogate', (t) => t.update('Bridge', [], { external_ids: ovsMap({ k: 'a\ud800b' }) })],
    ['uuid', (t) => t.delete('Port', [['_uuid', '==', new Uuid('x\0')]])],
    ['named uuid', (t) => t.update('Bridge', [], { ports: ovsSet(new NamedUuid('r\0')) })],
  ];
  for (const [what, build] of bad) {
    const t = new Transaction();
    build(t);
    const e = (() => {
      try {
        checkWireText(t.ops);
      } catch (x) {
        return x;
      }
    })();
    assert.ok(e instanceof InvalidInputError, what);
    assert.match(e.where ?? '', /^operation 0 /, what);
  }
});

test('OVSDB text and maps: control characters and lone surrogates refused, everything else verbatim', () => {
  assert.equal(ovsdbText('a "b" $(id) é 网络 🙂', 'x'), 'a "b" $(id) é 网络 🙂');
  for (const bad of ['a\0', 'a\n', 'a\t', '\u007f', '\u0085', '\u2028', '\udc00x']) {
    assert.throws(() => ovsdbText(bad, 'x'), InvalidInputError, JSON.stringify(bad));
  }
  assert.throws(() => stringMap({ '': 'v' }, 'external_ids'), /external_ids/);
  const e = (() => {
    try {
      stringMap({ good: 'v', bad: 'a\0' }, 'external_ids');
    } catch (x) {
      return x as InvalidInputError;
    }
  })();
  assert.equal(e?.where, 'external_ids["bad"]');
});

test('bridge and port names are device names that cannot be read as an option', () => {
  assert.equal(ovsName('br-int', 'n'), 'br-int');
  for (const bad of ['-br', '--help', '-', 'a b', 'a/b', '', 'x'.repeat(16), '..']) {
    assert.throws(() => ovsName(bad, 'n'), InvalidInputError, JSON.stringify(bad));
  }
});

test('a dead port is a trunk of VLAN 4095 only, as Neutron makes it; binding makes it an access port', () => {
  const tx = new Transaction();
  addPortOps(
    tx,
    [['name', '==', 'br']],
    vifPortSpec({ name: 'tap1', ifaceId: 'p', mac: 'fa:16:3e:00:00:01' }),
    'o',
  );
  const port = tx.ops.find((o) => o.op === 'insert' && o.table === 'Port');
  assert.deepEqual(port && 'row' in port ? [port.row.tag, port.row.vlan_mode, port.row.trunks] : [], [
    4095,
    'trunk',
    ovsSet(4095),
  ]);
  assert.deepEqual(wantedVlan({ name: 'p', tag: 101 }), { tag: 101, vlanMode: null, trunks: [] });
  assert.deepEqual(wantedVlan({ name: 'p', tag: 4095, vlanMode: 'access' }), {
    tag: 4095,
    vlanMode: 'access',
    trunks: [],
  });
  assert.deepEqual(wantedVlan({ name: 'p' }), {});
  const bind = new Transaction();
  setPortTagOps(bind, 'tap1', 101);
  assert.deepEqual(bind.ops.map(encodeOperation), [
    { op: 'update', table: 'Port', where: [['name', '==', 'tap1']], row: { tag: 101 } },
    {
      op: 'update',
      table: 'Port',
      where: [
        ['name', '==', 'tap1'],
        ['vlan_mode', '==', 'trunk'],
        ['trunks', '==', ['set', [4095]]],
      ],
      row: { vlan_mode: ['set', []], trunks: ['set', []] },
    },
  ]);
});

test('setPortTag on the fake: dead and back; a port’s own trunk settings survive a retag', async () => {
  const db = new FakeOvsdb();
  const br = new OvsBridge(new Ovs(db, { datapathType: 'netdev' }), 'br');
  await br.create();
  await br.addPorts([
    { name: 'a', type: 'internal', tag: 5 },
    { name: 't', type: 'internal', tag: 5, vlanMode: 'native-untagged', trunks: [5, 6] },
  ]);
  const vlan = (n: string) => ['tag', 'vlan_mode', 'trunks'].map((c) => db.row('Port', n)?.[c]);
  assert.equal(await br.markDead('a'), true);
  assert.deepEqual(vlan('a'), [[4095], ['trunk'], [4095]]);
  assert.equal(await br.setPortTag('a', 7), true);
  assert.deepEqual(vlan('a'), [[7], [], []]);
  assert.equal(await br.setPortTag('t', 9), true);
  assert.deepEqual(vlan('t'), [[9], ['native-untagged'], [5, 6]]);
  assert.equal(await br.setPortTag('nope', 9), false);
});

test('the vswitchd work of a transaction counts interfaces made and ports removed, once each', () => {
  const tx = new Transaction();
  addPortOps(tx, [], { name: 'a' }, 'o');
  addPortOps(tx, [], { name: 'b' }, 'o');
  deletePortOps(tx, [new Uuid('u1'), new Uuid('u2'), new Uuid('u3')]);
  assert.equal(vswitchdWork(tx.ops), 5);
});

test('the interface monitor with a bridge filter reports only that bridge’s interfaces, and moves in and out', async () => {
  const db = new FakeOvsdb();
  const sw = new Ovs(db, { datapathType: 'netdev' });
  const a = new OvsBridge(sw, 'br-a');
  const b = new OvsBridge(sw, 'br-b');
  await a.create();
  await b.create();
  await a.addPort({ name: 'a1', type: 'internal' });
  await b.addPort({ name: 'b1', type: 'internal' });
  const mon = new InterfaceMonitor(db, { bridges: ['br-a'] });
  const all = new InterfaceMonitor(db);
  await Promise.all([mon.start(), all.start()]);
  const names = (evs: { name: string }[]) => evs.map((e) => e.name).sort();
  assert.deepEqual(names(mon.getEvents().added), ['a1', 'br-a']);
  assert.deepEqual(names(all.getEvents().added), ['a1', 'b1', 'br-a', 'br-b']);
  await b.addPort({ name: 'b2', type: 'internal' });
  await a.addVifPorts([{ name: 'a2', ifaceId: 'x', mac: 'fa:16:3e:00:00:02' }]);
  await new Promise((r) => setImmediate(r));
  const ev = mon.getEvents();
  assert.deepEqual(names(ev.added), ['a2']);
  assert.equal(typeof ev.added[0]?.ofport, 'number', 'the ofport vswitchd gave later is on the added event');
  await sw.setMapKeys('Interface', 'b1', 'external_ids', { k: 'v' });
  await sw.setMapKeys('Interface', 'a1', 'external_ids', { k: 'v' });
  assert.deepEqual(names(mon.getEvents().modified), ['a1']);
  await b.deletePort('b1');
  await a.deletePort('a1');
  assert.deepEqual(names(mon.getEvents().removed), ['a1']);
  assert.deepEqual(names(all.getEvents().removed), ['a1', 'b1']);
  await db.deleteRow('Bridge', 'br-a');
  assert.deepEqual(names(mon.getEvents().removed), ['a2', 'br-a'], 'a deleted bridge takes its interfaces');
  await mon.stop();
  await all.stop();
  assert.throws(() => new InterfaceMonitor(db, { bridges: ['-x'] }), InvalidInputError);
});
