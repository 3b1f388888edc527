import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { InterfaceMonitor } from '../../src/ovs/interface-monitor.js';
import {
  OvsdbConstraintViolationError,
  OvsdbRpcError,
  OvsdbSyntaxError,
  OvsdbTimedOutError,
} from '../../src/ovs/ovsdb/errors.js';
import { Transaction } from '../../src/ovs/ovsdb/operations.js';
import { ovsMap, ovsSet } from '../../src/ovs/ovsdb/values.js';
import { InterfacePollingMinimizer } from '../../src/ovs/polling.js';
import { usePrivateOvs } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';

const env = usePrivateOvs({ datapathType: 'netdev' });

test(
  'the client speaks RFC 7047: schema, echo, and errors inside a successful reply are typed',
  rootOnly,
  async () => {
    const schema = await env.client.getSchema();
    assert.equal(schema.name, 'Open_vSwitch');
    assert.ok('Interface' in schema.tables);
    await env.client.echo();
    const br = new OvsBridge(env.sw, env.ovs.name('er'));
    await br.create();
    // A second Bridge row with the same name, linked from the root table: the name index refuses it.
    const tx = new Transaction();
    const b = tx.insert('Bridge', { name: br.name });
    tx.mutate('Open_vSwitch', [], [['bridges', 'insert', ovsSet(b)]]);
    const err = await env.client.transact(tx).catch((e: unknown) => e);
    assert.ok(err instanceof OvsdbConstraintViolationError, String(err));
    assert.equal(err.error, 'constraint violation');
    assert.match(err.details ?? '', /identical values/);
    await assert.rejects(
      env.client.transact([{ op: 'select', table: 'NoSuchTable', where: [] }]),
      OvsdbSyntaxError,
    );
    await assert.rejects(
      env.client.transact([
        {
          op: 'wait',
          table: 'Bridge',
          where: [['name', '==', br.name]],
          columns: ['name'],
          until: '!=',
          rows: [{ name: br.name }],
          timeoutMs: 50,
        },
      ]),
      OvsdbTimedOutError,
    );
    await assert.rejects(env.client.request('no_such_method', []), OvsdbRpcError);
    assert.deepEqual(
      await env.sw.listBridges(),
      [br.name],
      'nothing of the failed transactions was committed',
    );
    await br.destroy();
  },
);

test(
  'the interface monitor reports added (with the ofport that arrives later), modified and removed',
  rootOnly,
  async () => {
    const br = new OvsBridge(env.sw, env.ovs.name('mo'));
    await br.create();
    const mon = new InterfaceMonitor(env.client);
    const polling = new InterfacePollingMinimizer(mon);
    await polling.start();
    const initial = mon.getEvents();
    assert.ok(
      initial.added.some((e) => e.name === br.name && e.ofport === 65534),
      'existing rows replayed as added',
    );
    assert.equal(polling.isPollingRequired(), false, 'nothing changed');
    const p = env.ovs.name('mo1');
    await br.addVifPorts([{ name: p, ifaceId: 'vif-1', mac: 'fa:16:3e:00:00:01' }]);
    assert.equal(polling.isPollingRequired(), true);
    const ev = mon.getEvents();
    const added = ev.added.find((e) => e.name === p);
    assert.ok(added, JSON.stringify(ev));
    assert.equal(typeof added.ofport, 'number', 'ofport filled into the added event');
    assert.equal(added.externalIds['iface-id'], 'vif-1');
    polling.pollingCompleted();
    assert.equal(polling.isPollingRequired(), false);
    await env.sw.setMapKeys('Interface', p, 'external_ids', { 'iface-status': 'down' });
    const mod = mon.getEvents().modified.find((e) => e.name === p);
    assert.equal(mod?.externalIds['iface-status'], 'down');
    await br.deletePort(p);
    await mon.waitForUpdate(200);
    assert.deepEqual(
      mon.getEvents().removed.map((e) => e.name),
      [p],
    );
    await polling.stop();
    await polling.stop();
    await br.destroy();
  },
);

test(
  'the client survives an ovsdb-server restart: requests work again and monitors replay their rows',
  rootOnly,
  async () => {
    const br = new OvsBridge(env.sw, env.ovs.name('rs'));
    await br.create();
    await br.addPort({ name: env.ovs.name('rs1'), type: 'internal' });
    const mon = new InterfaceMonitor(env.client);
    await mon.start();
    mon.getEvents();
    const before = env.client.reconnects;
    await env.ovs.restartServer();
    assert.deepEqual(
      await br.listPorts(),
      [env.ovs.name('rs1')],
      'the first request after the restart works',
    );
    // At least one reconnect: under load a first attempt can land while the new server is still starting.
    assert.ok(env.client.reconnects > before, `reconnects ${before} -> ${env.client.reconnects}`);
    const replay = mon.getEvents();
    assert.ok(
      replay.added.some((e) => e.name === env.ovs.name('rs1')),
      'rows replayed as added after the restart',
    );
    // The re-established monitor still delivers live updates.
    await env.sw.setMapKeys('Interface', env.ovs.name('rs1'), 'external_ids', { k: 'v' });
    await mon.waitForUpdate(500);
    assert.equal(mon.getEvents().modified[0]?.externalIds.k, 'v');
    await mon.stop();
    await br.destroy();
    // Writes wait for the vswitchd again (it reconnected too): the tap is gone when destroy returns.
    const tx = new Transaction();
    tx.update('Open_vSwitch', [], {
      external_ids: ovsMap({ 'tenantnet-sandbox': env.ovs.dir, after: 'restart' }),
    });
    await env.client.transact(tx, { waitForVswitchd: 5000 });
  },
);

test(
  'the interface monitor with a bridge filter sees only that bridge, on the real switch',
  rootOnly,
  async () => {
    const a = new OvsBridge(env.sw, env.ovs.name('fa'));
    const b = new OvsBridge(env.sw, env.ovs.name('fb'));
    await Promise.all([a.create(), b.create()]);
    const mon = new InterfaceMonitor(env.client, { bridges: [a.name] });
    await mon.start();
    assert.deepEqual(
      mon.getEvents().added.map((e) => e.name),
      [a.name],
    );
    await b.addPort({ name: env.ovs.name('fb1'), type: 'internal' });
    await a.addPort({ name: env.ovs.name('fa1'), type: 'internal' });
    const added = mon.getEvents().added;
    assert.deepEqual(
      added.map((e) => e.name),
      [env.ovs.name('fa1')],
    );
    assert.equal(typeof added[0]?.ofport, 'number');
    await a.destroy();
    await mon.waitForUpdate(200);
    assert.deepEqual(
      mon
        .getEvents()
        .removed.map((e) => e.name)
        .sort(),
      [a.name, env.ovs.name('fa1')].sort(),
    );
    await mon.stop();
    await b.destroy();
  },
);
