import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError, TenantnetError } from '../../src/errors.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { OfctlFlows } from '../../src/ovs/flows.js';
import { InterfaceMonitor } from '../../src/ovs/interface-monitor.js';
import { Ovs } from '../../src/ovs/ovs.js';
import { ovsMap } from '../../src/ovs/ovsdb/values.js';
import { OWNER_KEY } from '../../src/ovs/ownership.js';
import { hostileString, hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';
import { usePrivateOvs } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';

const env = usePrivateOvs({ datapathType: 'netdev' });
const RUNS = 30;

/** Runs `fn`: 'ok' when it succeeded, else the error, which must be one of tenantnet's own. */
async function outcome(fn: () => Promise<unknown>): Promise<'ok' | TenantnetError> {
  try {
    await fn();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof TenantnetError, `not a typed error: ${String(e)}`);
    return e;
  }
}

/** The OVSDB connection is the one we started with and still answers. */
async function stillUp(reconnects: number): Promise<void> {
  await env.client.echo();
  assert.equal(env.client.reconnects, reconnects, 'the connection was never dropped');
}

const record = (row: Record<string, unknown> | undefined, column: string) =>
  (row?.[column] ?? {}) as Record<string, string>;

test(
  'a NUL or a lone surrogate is refused before it is sent: the connection and the requests in flight survive',
  rootOnly,
  async () => {
    const br = new OvsBridge(env.sw, env.ovs.name('nul'));
    await br.create();
    const r0 = env.client.reconnects;
    for (const bad of ['a\0b', 'a\ud800b']) {
      const [before, refused, after] = await Promise.allSettled([
        env.sw.listBridges(),
        env.sw.setMapKeys('Bridge', br.name, 'external_ids', { k: bad }),
        env.sw.listBridges(),
      ]);
      assert.equal(before.status, 'fulfilled');
      assert.equal(after.status, 'fulfilled', 'a request sent after the bad one is answered');
      assert.ok(refused.status === 'rejected' && refused.reason instanceof InvalidInputError);
      assert.match(refused.reason.where ?? '', /external_ids/);
      // The raw client refuses too, naming the operation.
      const raw = await env.client
        .transact([
          { op: 'comment', comment: bad },
          { op: 'select', table: 'Bridge', where: [] },
        ])
        .catch((e: unknown) => e);
      assert.ok(raw instanceof InvalidInputError);
      assert.equal(raw.where, 'operation 0 (comment)');
    }
    await stillUp(r0);
    await br.destroy();
  },
);

test(
  'hostile strings at every string parameter: a typed error or a verbatim result; the connection stays up; the host is unchanged',
  rootOnly,
  async () => {
    const host = await hostSnapshot();
    const r0 = env.client.reconnects;
    const br = new OvsBridge(env.sw, env.ovs.name('hs'));
    await br.create();
    const row = async (table: string, name: string) => (await env.ovs.list(table, name))[0];

    // external_ids and other_config keys and values, on an existing bridge and at creation.
    await fc.assert(
      fc.asyncProperty(hostileString(), hostileString(), async (k, v) => {
        if (
          (await outcome(() => env.sw.setMapKeys('Bridge', br.name, 'external_ids', { [k]: v }))) === 'ok'
        ) {
          assert.equal(record(await row('Bridge', br.name), 'external_ids')[k], v);
        }
        if ((await outcome(() => br.setOtherConfig({ [k]: v }))) === 'ok') {
          assert.equal(record(await row('Bridge', br.name), 'other_config')[k], v);
        }
        if ((await outcome(() => br.create({ otherConfig: { x: v } }))) === 'ok') {
          assert.equal(record(await row('Bridge', br.name), 'other_config').x, v);
        }
        await stillUp(r0);
      }),
      { numRuns: RUNS },
    );

    // Bridge and port names (a name that passes is a device name: made and found by exactly it).
    await fc.assert(
      fc.asyncProperty(hostileString(), async (name) => {
        const made = await outcome(async () => {
          const b = new OvsBridge(env.sw, name);
          await b.create();
          assert.ok((await env.ovs.vsctl(['list-br'])).split('\n').includes(name));
          await b.destroy();
        });
        if (made === 'ok') assert.match(name, /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,14}$/);
        if ((await outcome(() => br.addPorts([{ name, type: 'internal' }]))) === 'ok') {
          assert.deepEqual((await env.ovs.vsctl(['list-ports', br.name])).trim().split('\n'), [name]);
          assert.equal(await br.deletePort(name), true);
        }
        for (const call of [
          () => env.sw.bridgeExists(name),
          () => env.sw.getBridgeForIface(name),
          () => br.setPortTag(name, 5),
          () => br.ofport(name),
          () => env.sw.getColumn('Port', name, 'tag'),
          () => env.sw.deleteBridge(name),
        ]) {
          await outcome(call);
        }
        await stillUp(r0);
      }),
      { numRuns: RUNS },
    );

    // Table and column names of the generic column calls, and raw comments.
    await fc.assert(
      fc.asyncProperty(hostileString(), async (s) => {
        for (const call of [
          () => env.sw.getColumn(s, br.name, 'name'),
          () => env.sw.getColumn('Bridge', br.name, s),
          () => env.sw.setColumns('Bridge', br.name, { [s]: 'x' }),
          () => env.sw.select('Bridge', [['name', '==', s]]),
          () => env.client.transact([{ op: 'comment', comment: s }]),
        ]) {
          await outcome(call);
        }
        // A value given as OVSDB data: only what the wire cannot carry is refused.
        if (
          (await outcome(() => env.sw.setColumns('Port', br.name, { other_config: ovsMap({ k: s }) }))) ===
          'ok'
        ) {
          assert.equal(record(await row('Port', br.name), 'other_config').k, s);
        }
        await stillUp(r0);
      }),
      { numRuns: RUNS },
    );

    // The owner mark: on every row made, found again by observe(), removed by cleanup().
    await fc.assert(
      fc.asyncProperty(hostileString(), async (owner) => {
        let sw: Ovs;
        try {
          sw = new Ovs(env.client, { owner, datapathType: 'netdev' });
        } catch (e) {
          assert.ok(e instanceof InvalidInputError);
          return;
        }
        const b = new OvsBridge(sw, env.ovs.name('ow'));
        await b.create();
        await b.addVifPorts([{ name: env.ovs.name('ow1'), ifaceId: owner, mac: 'fa:16:3e:00:50:01' }]);
        assert.equal(record(await row('Bridge', b.name), 'external_ids')[OWNER_KEY], owner);
        assert.equal(record(await row('Interface', env.ovs.name('ow1')), 'external_ids')['iface-id'], owner);
        const seen = await sw.observe();
        assert.deepEqual(
          seen.bridges.map((x) => [x.name, x.ports.map((p) => p.name)]),
          [[b.name, [b.name, env.ovs.name('ow1')]]],
        );
        assert.deepEqual(await sw.cleanup(), { bridges: [b.name], ports: [] });
        await stillUp(r0);
      }),
      { numRuns: RUNS },
    );

    // Flow matches and actions: refused, or ovs-ofctl's own typed error, or a flow under our
    // cookie; another owner's flows are never touched.
    const mine = new OfctlFlows(br.name, { env: env.ovs.env, cookie: 0x71n });
    const theirs = new OfctlFlows(br.name, { env: env.ovs.env, cookie: 0x72n });
    await theirs.addFlows([
      { priority: 9, actions: 'drop' },
      { table: 2, priority: 9, match: 'ip', actions: 'drop' },
    ]);
    const theirFlows = async () =>
      (await theirs.dumpFlows({ cookie: 0x72n })).map((f) => `${f.table} ${f.match}`);
    const sentinel = await theirFlows();
    await fc.assert(
      fc.asyncProperty(hostileString(), hostileString(), async (match, actions) => {
        await outcome(() => mine.addFlows([{ priority: 5, match, actions: 'drop' }]));
        await outcome(() => mine.addFlows([{ priority: 6, actions }]));
        await outcome(() => mine.deleteFlows([{ match }]));
        await outcome(() => mine.modFlows([{ match, actions: 'NORMAL' }]));
        assert.deepEqual(await theirFlows(), sentinel, "the other owner's flows are intact");
        const stray = (await mine.dumpFlows()).filter(
          (f) => f.cookie !== 0x71n && f.cookie !== 0x72n && f.cookie !== 0n,
        );
        assert.deepEqual(stray, [], 'nothing was added under another cookie');
        await mine.deleteFlowsByCookie();
        await stillUp(r0);
      }),
      { numRuns: RUNS },
    );
    await mine.deleteFlowsByCookie();
    await theirs.deleteFlowsByCookie();

    // The monitor's bridge filter.
    await fc.assert(
      fc.asyncProperty(hostileString(), async (name) => {
        await outcome(async () => {
          const m = new InterfaceMonitor(env.client, { bridges: [name] });
          await m.start();
          await m.stop();
        });
        await stillUp(r0);
      }),
      { numRuns: 10 },
    );

    await br.destroy();
    assert.deepEqual(snapshotDiff(host, await hostSnapshot()), [], 'the host did not change');
  },
);
