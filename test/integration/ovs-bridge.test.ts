import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { BridgeNotFoundError } from '../../src/ovs/errors.js';
import { Ovs } from '../../src/ovs/ovs.js';
import { mapRecord } from '../../src/ovs/ovsdb/values.js';
import { OWNER_KEY } from '../../src/ovs/ownership.js';
import { vifPortSpec } from '../../src/ovs/ports.js';
import { usePrivateOvs } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';

const env = usePrivateOvs();

test(
  'a bridge is created once, comes up in vswitchd on the datapath that works, and deletes idempotently',
  rootOnly,
  async () => {
    const br = new OvsBridge(env.sw, env.ovs.name('lc'));
    assert.equal(await br.exists(), false);
    assert.equal(await br.create({ failMode: 'secure', protocols: ['OpenFlow10', 'OpenFlow13'] }), true);
    assert.equal(await br.create(), false, 'second create changes nothing');
    const [row] = await env.ovs.list('Bridge', br.name);
    assert.equal(row?.datapath_type, 'netdev', 'this machine has no kernel datapath: auto falls back');
    assert.equal(row?.fail_mode, 'secure');
    assert.deepEqual(row?.protocols, ['OpenFlow10', 'OpenFlow13']);
    assert.equal((row?.external_ids as Record<string, string> | undefined)?.[OWNER_KEY], env.sw.owner);
    assert.equal(await br.ofport(br.name), 65534, 'the local port is up');
    assert.ok((await env.sw.listBridges()).includes(br.name));
    await br.setOtherConfig({ 'mac-table-size': '5000' });
    await br.addProtocols('OpenFlow13', 'OpenFlow14');
    const [row2] = await env.ovs.list('Bridge', br.name);
    assert.deepEqual((row2?.other_config as Record<string, string> | undefined)?.['mac-table-size'], '5000');
    assert.deepEqual(row2?.protocols, ['OpenFlow10', 'OpenFlow13', 'OpenFlow14']);
    assert.equal(await br.destroy(), true);
    assert.equal(await br.destroy(), false);
    assert.equal((await env.ovs.vsctl(['list-br'])).includes(br.name), false);
  },
);

test('bridges created at once on a fresh switch share one datapath probe', rootOnly, async () => {
  const sw = new Ovs(env.client, { owner: env.sw.owner });
  const brs = ['pa', 'pb', 'pc'].map((n) => new OvsBridge(sw, env.ovs.name(n)));
  assert.deepEqual(await Promise.all(brs.map((b) => b.create())), [true, true, true]);
  for (const b of brs) assert.equal((await env.ovs.list('Bridge', b.name))[0]?.datapath_type, 'netdev');
  assert.equal(
    (await sw.listBridges()).some((n) => n.startsWith('tnprobe')),
    false,
    'no probe left',
  );
  for (const b of brs) await b.destroy();
});

test(
  'ports plug with external_ids, VLAN tag, trunks and MTU, as ovs-vsctl reads them back',
  rootOnly,
  async () => {
    const br = new OvsBridge(env.sw, env.ovs.name('pp'));
    await br.create();
    const p1 = env.ovs.name('pp1');
    const p2 = env.ovs.name('pp2');
    const added = await br.addPorts([
      {
        name: p1,
        type: 'internal',
        tag: 101,
        externalIds: { 'iface-id': 'abc', extra: 'x' },
        mtuRequest: 1400,
      },
      { name: p2, type: 'internal', vlanMode: 'trunk', trunks: [5, 6] },
    ]);
    assert.deepEqual(added, [p1, p2]);
    assert.deepEqual(
      await br.addPorts([{ name: p1, type: 'internal' }]),
      [],
      'existing ports are left alone',
    );
    await assert.rejects(br.addPorts([{ name: p1 }], { mayExist: false }), InvalidInputError);
    const json = JSON.parse(
      await env.ovs.vsctl(['--format=json', '--columns=name,tag,vlan_mode,trunks', 'list', 'Port', p1, p2]),
    ) as { data: unknown[][] };
    assert.deepEqual(json.data, [
      [p1, 101, ['set', []], ['set', []]],
      [p2, ['set', []], 'trunk', ['set', [5, 6]]],
    ]);
    const [i1] = await env.ovs.list('Interface', p1);
    assert.deepEqual(i1?.external_ids, { 'iface-id': 'abc', extra: 'x', [OWNER_KEY]: env.sw.owner });
    assert.equal(i1?.mtu_request, 1400);
    assert.equal(typeof i1?.ofport, 'number', 'ofport is there when addPorts returns');
    assert.deepEqual(await br.listPorts(), [p1, p2]);
    assert.equal(await env.sw.getBridgeForIface(p1), br.name);
    // Columns read and written generically; map keys merge.
    await env.sw.setMapKeys('Interface', p1, 'external_ids', { extra: 'y', more: 'z' });
    assert.deepEqual(mapRecord(await env.sw.getColumn('Interface', p1, 'external_ids')), {
      'iface-id': 'abc',
      extra: 'y',
      more: 'z',
      [OWNER_KEY]: env.sw.owner,
    });
    assert.equal(await br.setPortTag(p2, 7), true);
    assert.equal((await env.ovs.vsctl(['get', 'Port', p2, 'tag'])).trim(), '7');
    await env.sw.clearColumn('Port', p2, 'tag');
    assert.equal((await env.ovs.vsctl(['get', 'Port', p2, 'tag'])).trim(), '[]');
    // Replace: same name, new settings, one transaction.
    await br.replacePort({ name: p2, type: 'internal', tag: 9 });
    assert.equal((await env.ovs.vsctl(['get', 'Port', p2, 'tag'])).trim(), '9');
    assert.equal(await br.deletePort(p1), true);
    assert.equal(await br.deletePort(p1), false, 'deleting a missing port is success');
    await br.destroy();
    assert.deepEqual(await env.ovs.list('Port', '--if-exists', p2).catch(() => []), []);
  },
);

test("VIF discovery matches ovs-vsctl exactly and never shows another bridge's VIFs", rootOnly, async () => {
  const a = new OvsBridge(env.sw, env.ovs.name('va'));
  const b = new OvsBridge(env.sw, env.ovs.name('vb'));
  await Promise.all([a.create(), b.create()]);
  const vifs = [1, 2, 3].map((n) => ({
    name: env.ovs.name(`va${n}`),
    ifaceId: `port-${n}`,
    mac: `fa:16:3e:00:00:0${n}`,
  }));
  await a.addVifPorts(vifs);
  await a.addPort({ name: env.ovs.name('vaX'), type: 'internal', externalIds: { 'iface-id': 'no-mac' } });
  await b.addVifPorts([{ name: env.ovs.name('vb1'), ifaceId: 'other', mac: 'fa:16:3e:00:01:01' }]);
  const found = await a.listVifPorts();
  // Oracle: ovs-vsctl's view of the same interfaces.
  const names = (await env.ovs.vsctl(['list-ports', a.name])).trim().split('\n');
  const oracle = [];
  for (const row of await env.ovs.list('Interface', ...names)) {
    const ids = row.external_ids as Record<string, string>;
    if (!ids['iface-id'] || !ids['attached-mac']) continue;
    oracle.push({ name: row.name, ofport: row.ofport, ifaceId: ids['iface-id'], mac: ids['attached-mac'] });
  }
  oracle.sort((x, y) => String(x.name).localeCompare(String(y.name)));
  assert.deepEqual(
    found.map(({ name, ofport, ifaceId, mac }) => ({ name, ofport, ifaceId, mac })),
    oracle,
  );
  assert.equal(found.length, 3);
  assert.ok(
    found.every((v) => v.tag === 4095 && v.bridge === a.name),
    'unbound VIFs sit on the dead VLAN',
  );
  assert.equal((await a.getVifPortByIfaceId('port-2'))?.name, env.ovs.name('va2'));
  assert.equal(await a.getVifPortByIfaceId('other'), undefined, "b's VIF is not a's");
  assert.equal(await a.deleteVifPorts(), 3);
  assert.deepEqual(await a.listPorts(), [env.ovs.name('vaX')], 'non-VIF ports stay');
  assert.equal((await b.listVifPorts()).length, 1);
  await Promise.all([a.destroy(), b.destroy()]);
});

test('cleanup deletes only owned rows; foreign bridges and ports stay', rootOnly, async () => {
  const mine = new OvsBridge(env.sw, env.ovs.name('own'));
  await mine.create();
  await mine.addPort({ name: env.ovs.name('own1'), type: 'internal' });
  const foreign = env.ovs.name('frn');
  await env.ovs.vsctl(['add-br', foreign, '--', 'set', 'bridge', foreign, 'datapath_type=netdev']);
  await env.ovs.vsctl([
    'add-port',
    foreign,
    env.ovs.name('frn1'),
    '--',
    'set',
    'interface',
    env.ovs.name('frn1'),
    'type=internal',
  ]);
  await new OvsBridge(env.sw, foreign).addPort({ name: env.ovs.name('frnm'), type: 'internal' });
  const report = await env.sw.cleanup();
  assert.deepEqual(report, { bridges: [mine.name], ports: [env.ovs.name('frnm')] });
  assert.deepEqual((await env.ovs.vsctl(['list-ports', foreign])).trim(), env.ovs.name('frn1'));
  assert.ok(!(await env.sw.listBridges()).includes(mine.name));
  await env.ovs.vsctl(['del-br', foreign]);
});

test('bad input changes nothing: missing bridge, bad names, bad tags', rootOnly, async () => {
  const before = await env.ovs.vsctl(['show']);
  const ghost = new OvsBridge(env.sw, env.ovs.name('ghost'));
  await assert.rejects(ghost.addPorts([{ name: env.ovs.name('g1'), type: 'internal' }]), BridgeNotFoundError);
  assert.throws(() => new OvsBridge(env.sw, 'a-name-that-is-too-long'), InvalidInputError);
  const br = new OvsBridge(env.sw, env.ovs.name('bad'));
  await assert.rejects(br.addPorts([{ name: env.ovs.name('b1'), tag: 4096 }]), InvalidInputError);
  await assert.rejects(
    br.addVifPorts([{ name: env.ovs.name('b1'), ifaceId: 'x', mac: 'nope' }]),
    InvalidInputError,
  );
  const twice = { name: env.ovs.name('b2'), type: 'internal' as const };
  await assert.rejects(br.addPorts([twice, twice]), /given twice/);
  assert.equal(await env.ovs.vsctl(['show']), before);
});

test(
  'ensurePorts converges on the real switch: twice is a no-op, a port deleted with ovs-vsctl comes back, drift is fixed',
  rootOnly,
  async () => {
    const br = new OvsBridge(env.sw, env.ovs.name('en'));
    await br.create();
    const specs = [1, 2, 3].map((n) =>
      vifPortSpec({ name: env.ovs.name(`en${n}`), ifaceId: `en-${n}`, mac: `fa:16:3e:00:60:0${n}` }),
    );
    const names = specs.map((s) => s.name).sort();
    assert.deepEqual((await br.ensurePorts(specs)).added, names);
    const uuids = async () => (await env.ovs.list('Port', ...names)).map((r) => String(r._uuid));
    const before = await uuids();
    assert.deepEqual(await br.ensurePorts(specs), { added: [], updated: [], replaced: [], deleted: [] });
    assert.deepEqual(await uuids(), before, 'the same rows');
    await env.ovs.vsctl(['del-port', br.name, names[1]!]);
    await env.ovs.vsctl(['set', 'Port', names[2]!, 'tag=9']);
    const plan = await br.ensurePorts(specs);
    assert.deepEqual([plan.added, plan.updated], [[names[1]], [names[2]]]);
    const after = await env.ovs.list('Port', ...names);
    assert.equal(after[0]?._uuid, before[0], 'the untouched port is the same row');
    for (const r of after)
      assert.deepEqual([r.tag, r.vlan_mode, r.trunks], [4095, 'trunk', 4095], String(r.name));
    // observe() sees what ovs-vsctl sees.
    const seen = (await br.observe())!;
    assert.deepEqual(
      seen.ports.map((p) => [
        p.name,
        p.interfaces[0]?.externalIds['iface-id'],
        typeof p.interfaces[0]?.ofport,
      ]),
      [[br.name, undefined, 'number'], ...names.map((n, i) => [n, `en-${i + 1}`, 'number'])],
    );
    assert.deepEqual((await br.ensurePorts(specs.slice(0, 1), { prune: true })).deleted, names.slice(1));
    assert.deepEqual(await br.listPorts(), names.slice(0, 1));
    await br.destroy();
  },
);
