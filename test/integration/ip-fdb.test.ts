// FDB verbs and the l2pop planner on real VXLAN devices in a sandbox namespace, with `bridge -j fdb
// show` and `ip -j neigh show` run by hand as the oracle.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/errors.js';
import { run } from '../../src/exec/run.js';
import { bridgeBatch } from '../../src/ip/bridge-batch.js';
import * as ip from '../../src/ip/index.js';
import { NamespaceNotFoundError } from '../../src/net/namespace.js';
import { hostileString, hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';
import { rootOnly } from '../helpers/root.js';
import { type Sandbox, sandbox } from '../helpers/sandbox.js';

after(async () => {
  await ip.closeBridgeBatches();
  await ip.closeIpBatches();
});

/** A namespace with VXLAN devices `<prefix>vx` (ours) and `<prefix>fx` (foreign), both nolearning. */
async function vxlanHost(sb: Sandbox): Promise<{ ns: string; vx: string; fx: string }> {
  const ns = await sb.namespace('h1');
  sb.defer(async () => {
    await ip.closeBridgeBatches(ns as never);
    await ip.closeIpBatches(ns as never);
  });
  const [vx, fx] = [sb.dev('vx'), sb.dev('fx')];
  for (const [dev, id] of [
    [vx, '4242'],
    [fx, '4243'],
  ] as const) {
    await run([
      'ip',
      '-n',
      ns,
      'link',
      'add',
      dev,
      'type',
      'vxlan',
      'id',
      id,
      'dstport',
      '4789',
      'nolearning',
    ]);
    await run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  }
  return { ns, vx, fx };
}

/** The oracle: `bridge -j fdb show dev D`, as `mac dst flags state` lines, sorted. */
async function fdbOf(ns: string, dev: string): Promise<string[]> {
  const out = await run(['bridge', '-n', ns, '-j', 'fdb', 'show', 'dev', dev]);
  const rows = JSON.parse(out.stdout || '[]') as {
    mac: string;
    dst?: string;
    flags: string[];
    state?: string;
  }[];
  return rows.map((r) => `${r.mac} ${r.dst ?? '-'} ${r.flags.join(',')} ${r.state ?? ''}`.trim()).sort();
}

/** The oracle: `ip -j neigh show dev D`, as `ip mac STATE` lines, sorted. */
async function neighOf(ns: string, dev: string): Promise<string[]> {
  const out = await run(['ip', '-n', ns, '-j', 'neigh', 'show', 'dev', dev]);
  const rows = JSON.parse(out.stdout || '[]') as { dst: string; lladdr?: string; state: string[] }[];
  return rows.map((r) => `${r.dst} ${r.lladdr ?? '-'} ${r.state.join(',')}`).sort();
}

test(
  'fdb verbs on a real VXLAN device: append, replace, delete, list; absent and missing are typed',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const { ns, vx } = await vxlanHost(sb);
    const flood = { namespace: ns, mac: '00:00:00:00:00:00', dev: vx };
    await ip.appendFdb({ ...flood, dst: '10.254.0.12' });
    await ip.appendFdb({ ...flood, dst: '10.254.0.12' });
    await ip.appendFdb({ ...flood, dst: '10.254.0.13' });
    await ip.replaceFdb({ namespace: ns, mac: 'fa:16:3e:00:00:02', dev: vx, dst: '10.254.0.12' });
    await ip.replaceFdb({ namespace: ns, mac: 'fa:16:3e:00:00:02', dev: vx, dst: '10.254.0.13' });
    assert.deepEqual(await fdbOf(ns, vx), [
      '00:00:00:00:00:00 10.254.0.12 self permanent',
      '00:00:00:00:00:00 10.254.0.13 self permanent',
      'fa:16:3e:00:00:02 10.254.0.13 self permanent',
    ]);
    // An IPv6 VTEP on an IPv4 device: the kernel refuses it, typed; the coprocess goes on.
    await assert.rejects(
      ip.replaceFdb({ namespace: ns, mac: 'fa:16:3e:00:00:03', dev: vx, dst: 'fd00::13' }),
      (e: unknown) =>
        e instanceof ip.IpCommandError &&
        /bridge fdb replace .* Address family not supported/.test(e.message),
    );
    const listed = (await ip.listFdb({ namespace: ns, dev: vx }))
      .map((e) => `${e.mac} ${e.dst} ${e.flags} ${e.state}`)
      .sort();
    assert.deepEqual(listed, await fdbOf(ns, vx));
    assert.equal(await ip.deleteFdb({ ...flood, dst: '10.254.0.12' }), true);
    assert.equal(await ip.deleteFdb({ namespace: ns, mac: 'fa:16:3e:00:00:09', dev: vx }), false);
    assert.equal(await ip.deleteFdb({ namespace: ns, mac: 'fa:16:3e:00:00:02', dev: vx }), true);
    assert.deepEqual(await fdbOf(ns, vx), ['00:00:00:00:00:00 10.254.0.13 self permanent']);
    await assert.rejects(ip.listFdb({ namespace: ns, dev: sb.dev('nope') }), ip.DeviceNotFoundError);
    // The coprocess survived every failure: one process served it all.
    assert.equal((await ip.listFdb({ namespace: ns })).filter((e) => e.dev === vx).length, 1);
  },
);

test(
  'a unicast MAC has one destination: a second append is ignored, replace moves it, the plan converges',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const { ns, vx } = await vxlanHost(sb);
    const m = { namespace: ns, mac: 'fa:16:3e:00:00:02', dev: vx };
    await ip.appendFdb({ ...m, dst: '10.254.0.12' });
    await ip.appendFdb({ ...m, dst: '10.254.0.13' });
    assert.deepEqual(await fdbOf(ns, vx), ['fa:16:3e:00:00:02 10.254.0.12 self permanent']);
    await ip.replaceFdb({ ...m, dst: '10.254.0.14' });
    assert.deepEqual(await fdbOf(ns, vx), ['fa:16:3e:00:00:02 10.254.0.14 self permanent']);
    const desired = [{ dev: vx, remotes: [{ mac: m.mac, vtep: '10.254.0.15', ips: [], revision: 1 }] }];
    const observe = async () => ({ fdb: await ip.listFdb({ namespace: ns, dev: vx }), neighbours: [] });
    const plan = ip.planFdb(desired, await observe(), [vx]);
    await ip.bridgeBatchExecutor.apply(ns as never, plan.fdb);
    assert.deepEqual(await fdbOf(ns, vx), [
      '00:00:00:00:00:00 10.254.0.15 self permanent',
      'fa:16:3e:00:00:02 10.254.0.15 self permanent',
    ]);
    assert.deepEqual(ip.planFdb(desired, await observe(), [vx]).fdb, []);
  },
);

test(
  'planFdb converges on the kernel, then plans nothing; entries on a foreign device survive',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const { ns, vx, fx } = await vxlanHost(sb);
    // Someone else's entries on their device, set by hand.
    await run(['bridge', '-n', ns, 'fdb', 'append', '00:00:00:00:00:00', 'dev', fx, 'dst', '192.0.2.9']);
    await run([
      'bridge',
      '-n',
      ns,
      'fdb',
      'replace',
      'fa:16:3e:00:00:99',
      'dev',
      fx,
      'dst',
      '192.0.2.9',
      'self',
      'permanent',
    ]);
    await run([
      'ip',
      '-n',
      ns,
      'neigh',
      'replace',
      '10.99.0.9',
      'lladdr',
      'fa:16:3e:00:00:99',
      'dev',
      fx,
      'nud',
      'permanent',
    ]);
    const foreign = [await fdbOf(ns, fx), await neighOf(ns, fx)];

    const observe = async (): Promise<ip.FdbObserved> => ({
      fdb: (await Promise.all([vx, fx].map((dev) => ip.listFdb({ namespace: ns, dev })))).flat(),
      neighbours: (
        await Promise.all([vx, fx].map((dev) => ip.listNeighbours({ namespace: ns, dev })))
      ).flat(),
    });
    const apply = async (plan: ip.FdbPlan) => {
      if (plan.fdb.length) await ip.bridgeBatchExecutor.apply(ns as never, plan.fdb);
      if (plan.neighbours.length) await ip.batchExecutor.apply(ns as never, plan.neighbours);
    };
    const remotes = (n: number, vteps: string[]) =>
      Array.from({ length: n }, (_, i) => ({
        mac: `fa:16:3e:00:01:${(i + 1).toString(16).padStart(2, '0')}`,
        vtep: vteps[i % vteps.length]!,
        ips: [`10.10.1.${i + 2}`, `fd00::${(i + 2).toString(16)}`],
        revision: 10 + i,
      }));
    const first = [{ dev: vx, remotes: remotes(20, ['10.254.0.12', '10.254.0.13']) }];
    await apply(ip.planFdb(first, await observe(), [vx]));
    assert.equal((await fdbOf(ns, vx)).length, 22, 'two flood entries and twenty MACs');
    assert.equal((await neighOf(ns, vx)).length, 40);
    assert.ok((await neighOf(ns, vx)).every((l) => l.endsWith(' PERMANENT')));
    assert.deepEqual(
      ip.planFdb(first, await observe(), [vx]),
      { fdb: [], neighbours: [] },
      'converged: nothing planned',
    );

    // h3 leaves, h4 comes, half the ports go: one pass, then nothing.
    const second = [{ dev: vx, remotes: remotes(10, ['10.254.0.12', '10.254.0.14']) }];
    await apply(ip.planFdb(second, await observe(), [vx]));
    assert.deepEqual(ip.planFdb(second, await observe(), [vx]), { fdb: [], neighbours: [] });
    assert.deepEqual(
      (await fdbOf(ns, vx)).filter((l) => l.startsWith('00:00')),
      ['00:00:00:00:00:00 10.254.0.12 self permanent', '00:00:00:00:00:00 10.254.0.14 self permanent'],
    );
    assert.equal((await neighOf(ns, vx)).length, 20);

    // A hand-made stale entry on our device is repaired; the foreign device is as it was throughout.
    await run([
      'bridge',
      '-n',
      ns,
      'fdb',
      'replace',
      'fa:16:3e:00:00:77',
      'dev',
      vx,
      'dst',
      '10.254.0.77',
      'self',
      'permanent',
    ]);
    await run([
      'ip',
      '-n',
      ns,
      'neigh',
      'replace',
      '10.10.1.2',
      'lladdr',
      'fa:16:3e:00:00:77',
      'dev',
      vx,
      'nud',
      'permanent',
    ]);
    const repair = ip.planFdb(second, await observe(), [vx]);
    assert.deepEqual(
      [...repair.fdb.map(ip.fdbLine), ...repair.neighbours.map(ip.batchLine)],
      [
        `fdb del fa:16:3e:00:00:77 dev ${vx} self`,
        `neigh replace 10.10.1.2 lladdr fa:16:3e:00:01:01 dev ${vx} nud permanent`,
      ],
    );
    await apply(repair);
    assert.deepEqual(ip.planFdb(second, await observe(), [vx]), { fdb: [], neighbours: [] });
    assert.deepEqual([await fdbOf(ns, fx), await neighOf(ns, fx)], foreign);
  },
);

test(
  'hostile strings in every FDB verb argument are typed errors, and the host does not change',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const { ns, vx } = await vxlanHost(sb);
    const before = await hostSnapshot();
    const fdbBefore = await fdbOf(ns, vx);
    await fc.assert(
      fc.asyncProperty(
        hostileString(),
        fc.constantFrom('mac', 'dev', 'dst', 'namespace', 'table'),
        async (bad, field) => {
          const args = { namespace: ns, mac: 'fa:16:3e:00:00:02', dev: vx, dst: '10.254.0.12', [field]: bad };
          for (const verb of [ip.appendFdb, ip.replaceFdb, ip.deleteFdb] as const) {
            await assert.rejects(
              verb(args as never),
              (e: unknown) =>
                e instanceof InvalidInputError ||
                e instanceof ip.DeviceNotFoundError ||
                /does not exist/.test(String(e)),
            );
          }
        },
      ),
      { numRuns: 40 },
    );
    assert.deepEqual(await fdbOf(ns, vx), fdbBefore);
    assert.deepEqual(snapshotDiff(before, await hostSnapshot()), []);
  },
);

test(
  'a namespace deleted behind tenantnet is let go of at once: its idle bridge process ends',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.namespace('gone');
    sb.defer(() => ip.closeBridgeBatches(ns as never));
    assert.deepEqual(await ip.listFdb({ namespace: ns }), []);
    const pid = bridgeBatch(ns as never).pid;
    assert.ok(pid !== null, 'the namespace has its bridge process');
    await run(['ip', 'netns', 'del', ns]);
    // Without the release, the idle `bridge -n NS` keeps the deleted namespace alive.
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      alive = (await run(['ps', '-p', String(pid)], { check: false })).exitCode === 0;
      if (alive) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(!alive, `bridge process ${pid} still runs in the deleted namespace`);
    await assert.rejects(ip.listFdb({ namespace: ns }), (e: unknown) => e instanceof NamespaceNotFoundError);
  },
);
