import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/errors.js';
import * as ip from '../../src/ip/index.js';
import { FakeBridge } from '../fakes/bridge.js';
import { FakeIpKernel } from '../fakes/ip.js';

const NS = 'h1';

/** A fake host: VXLAN devices vx1, vx2 (owned) and vx9 (not ours), with the fake bridge beside. */
async function host() {
  const kernel = new FakeIpKernel();
  const bridge = new FakeBridge(kernel);
  await ip.createNamespace(NS, { executor: kernel, promoteSecondaries: false });
  for (const [name, vni] of [
    ['vx1', 1001],
    ['vx2', 1002],
    ['vx9', 1009],
  ] as const) {
    await ip.addVxlan({ executor: kernel, namespace: NS, name, vni, learning: false });
  }
  const observe = async (devs = ['vx1', 'vx2', 'vx9']): Promise<ip.FdbObserved> => ({
    fdb: (await Promise.all(devs.map((dev) => ip.listFdb({ executor: bridge, namespace: NS, dev })))).flat(),
    neighbours: (
      await Promise.all(devs.map((dev) => ip.listNeighbours({ executor: kernel, namespace: NS, dev })))
    ).flat(),
  });
  const apply = async (plan: ip.FdbPlan) => {
    if (plan.fdb.length) await bridge.apply(NS as never, plan.fdb);
    if (plan.neighbours.length) await kernel.apply(NS as never, plan.neighbours);
  };
  return { kernel, bridge, observe, apply };
}

const port = (mac: string, vtep: string, ips: string[], revision = 1): ip.RemotePort => ({
  mac,
  vtep,
  ips,
  revision,
});
const lines = (plan: ip.FdbPlan) => [...plan.fdb.map(ip.fdbLine), ...plan.neighbours.map(ip.batchLine)];

test('from nothing: a flood entry per remote host, a MAC entry per remote port, a permanent neighbour per address', async () => {
  const h = await host();
  const desired: ip.FdbDesired[] = [
    {
      dev: 'vx1',
      remotes: [
        port('fa:16:3e:00:00:02', '10.254.0.12', ['10.10.1.2']),
        port('fa:16:3e:00:00:03', '10.254.0.13', ['10.10.1.3', 'fd00:0::3']),
        port('fa:16:3e:00:00:04', '10.254.0.13', ['10.10.1.4']),
      ],
    },
  ];
  const plan = ip.planFdb(desired, await h.observe(), ['vx1', 'vx2']);
  assert.deepEqual(lines(plan), [
    'fdb append 00:00:00:00:00:00 dev vx1 dst 10.254.0.12 self permanent',
    'fdb append 00:00:00:00:00:00 dev vx1 dst 10.254.0.13 self permanent',
    'fdb replace fa:16:3e:00:00:02 dev vx1 dst 10.254.0.12 self permanent',
    'fdb replace fa:16:3e:00:00:03 dev vx1 dst 10.254.0.13 self permanent',
    'fdb replace fa:16:3e:00:00:04 dev vx1 dst 10.254.0.13 self permanent',
    'neigh replace 10.10.1.2 lladdr fa:16:3e:00:00:02 dev vx1 nud permanent',
    'neigh replace 10.10.1.3 lladdr fa:16:3e:00:00:03 dev vx1 nud permanent',
    'neigh replace 10.10.1.4 lladdr fa:16:3e:00:00:04 dev vx1 nud permanent',
    'neigh replace fd00::3 lladdr fa:16:3e:00:00:03 dev vx1 nud permanent',
  ]);
  await h.apply(plan);
  assert.deepEqual(
    ip.planFdb(desired, await h.observe(), ['vx1', 'vx2']),
    { fdb: [], neighbours: [] },
    'converged',
  );
});

test('a host leaving, a port moving, an address changing: the whole set is recomputed, stale entries go', async () => {
  const h = await host();
  const before: ip.FdbDesired[] = [
    {
      dev: 'vx1',
      remotes: [
        port('fa:16:3e:00:00:02', '10.254.0.12', ['10.10.1.2']),
        port('fa:16:3e:00:00:03', '10.254.0.13', ['10.10.1.3']),
      ],
    },
  ];
  await h.apply(ip.planFdb(before, await h.observe(), ['vx1']));
  // h3 leaves; the port of h2 moves to h4 with a new address.
  const after: ip.FdbDesired[] = [
    { dev: 'vx1', remotes: [port('fa:16:3e:00:00:02', '10.254.0.14', ['10.10.1.22'], 5)] },
  ];
  const plan = ip.planFdb(after, await h.observe(), ['vx1']);
  assert.deepEqual(lines(plan), [
    'fdb append 00:00:00:00:00:00 dev vx1 dst 10.254.0.14 self permanent',
    'fdb replace fa:16:3e:00:00:02 dev vx1 dst 10.254.0.14 self permanent',
    'fdb del 00:00:00:00:00:00 dev vx1 dst 10.254.0.12 self',
    'fdb del 00:00:00:00:00:00 dev vx1 dst 10.254.0.13 self',
    'fdb del fa:16:3e:00:00:03 dev vx1 self',
    'neigh replace 10.10.1.22 lladdr fa:16:3e:00:00:02 dev vx1 nud permanent',
    'neigh flush to 10.10.1.2 dev vx1 nud all',
    'neigh flush to 10.10.1.3 dev vx1 nud all',
  ]);
  await h.apply(plan);
  assert.deepEqual(ip.planFdb(after, await h.observe(), ['vx1']), { fdb: [], neighbours: [] });
  // Nothing desired: an owned device is emptied of l2pop entries.
  await h.apply(ip.planFdb([], await h.observe(), ['vx1']));
  const left = await h.observe(['vx1']);
  assert.deepEqual([left.fdb, left.neighbours], [[], []]);
});

test('a MAC (or an address) published by two hosts goes to the newest publication', async () => {
  const desired: ip.FdbDesired[] = [
    {
      dev: 'vx1',
      remotes: [
        port('fa:16:3e:00:00:02', '10.254.0.14', ['10.10.1.2'], 900),
        port('fa:16:3e:00:00:02', '10.254.0.12', ['10.10.1.2'], 100),
        port('fa:16:3e:00:00:09', '10.254.0.12', ['10.10.1.9'], 50),
        port('fa:16:3e:00:00:08', '10.254.0.12', ['10.10.1.9'], 60),
      ],
    },
  ];
  const plan = ip.planFdb(desired, { fdb: [], neighbours: [] }, ['vx1']);
  assert.ok(lines(plan).includes('fdb replace fa:16:3e:00:00:02 dev vx1 dst 10.254.0.14 self permanent'));
  assert.ok(!lines(plan).some((l) => l.includes('fa:16:3e:00:00:02 dev vx1 dst 10.254.0.12')));
  assert.ok(lines(plan).includes('neigh replace 10.10.1.9 lladdr fa:16:3e:00:00:08 dev vx1 nud permanent'));
  // The old host's VTEP still floods: it has another port on the network.
  assert.ok(lines(plan).includes('fdb append 00:00:00:00:00:00 dev vx1 dst 10.254.0.12 self permanent'));
});

test("entries on devices it does not own are never touched; the bridge's own entries are not l2pop's", async () => {
  const h = await host();
  // Foreign entries on vx9 (not ours), and a bridge-side entry on vx1 (no dst, master).
  await ip.appendFdb({
    executor: h.bridge,
    namespace: NS,
    mac: '00:00:00:00:00:00',
    dev: 'vx9',
    dst: '192.0.2.9',
  });
  await ip.replaceFdb({
    executor: h.bridge,
    namespace: NS,
    mac: 'fa:16:3e:00:00:99',
    dev: 'vx9',
    dst: '192.0.2.9',
  });
  await ip.addNeighbour({
    executor: h.kernel,
    namespace: NS,
    dev: 'vx9',
    address: '10.99.0.9',
    mac: 'fa:16:3e:00:00:99',
  });
  await ip.replaceFdb({
    executor: h.bridge,
    namespace: NS,
    mac: '52:54:00:00:00:01',
    dev: 'vx1',
    table: 'master',
  });
  const desired: ip.FdbDesired[] = [
    { dev: 'vx1', remotes: [port('fa:16:3e:00:00:02', '10.254.0.12', ['10.10.1.2'])] },
    // A device that is not owned: not planned, even though desired.
    { dev: 'vx9', remotes: [port('fa:16:3e:00:00:03', '10.254.0.13', ['10.10.1.3'])] },
  ];
  const plan = ip.planFdb(desired, await h.observe(), ['vx1', 'vx2']);
  assert.ok(
    lines(plan).every((l) => !l.includes('vx9')),
    lines(plan).join('\n'),
  );
  assert.ok(lines(plan).every((l) => !l.includes('52:54:00:00:00:01')));
  await h.apply(plan);
  assert.deepEqual(
    ip.planFdb([], await h.observe(), []),
    { fdb: [], neighbours: [] },
    'owning nothing plans nothing',
  );
  const foreign = await h.observe(['vx9']);
  assert.equal(foreign.fdb.length, 2);
  assert.equal(foreign.neighbours.length, 1);
  assert.ok((await h.observe(['vx1'])).fdb.some((e) => e.mac === '52:54:00:00:00:01'));
});

test('a unicast MAC with several destinations (older kernels allow it) is cleared before it is replaced', async () => {
  const h = await host();
  for (const dst of ['10.254.0.12', '10.254.0.13']) {
    h.bridge.entries(NS, 'vx1').push({ mac: 'fa:16:3e:00:00:02', dst, table: 'self', state: 'permanent' });
  }
  const desired = [{ dev: 'vx1', remotes: [port('fa:16:3e:00:00:02', '10.254.0.13', [])] }];
  const plan = ip.planFdb(desired, await h.observe(), ['vx1']);
  const text = plan.fdb.map(ip.fdbLine);
  assert.equal(text[0], 'fdb del fa:16:3e:00:00:02 dev vx1 self');
  assert.ok(text.indexOf('fdb replace fa:16:3e:00:00:02 dev vx1 dst 10.254.0.13 self permanent') > 0);
  await h.apply(plan);
  assert.deepEqual(ip.planFdb(desired, await h.observe(), ['vx1']), { fdb: [], neighbours: [] });
});

test('bad desired input is an InvalidInputError naming the field, before anything is planned', () => {
  const bad: [unknown, string][] = [
    [[{ dev: 'vx 1', remotes: [] }], 'desired[0].dev'],
    [[{ dev: 'vx1', remotes: [port('ff:ff:ff:ff:ff:ff', '10.0.0.1', [])] }], 'desired[0].remotes[0].mac'],
    [[{ dev: 'vx1', remotes: [port('fa:16:3e:00:00:01', '10.0.0.1\n', [])] }], 'desired[0].remotes[0].vtep'],
    [
      [{ dev: 'vx1', remotes: [port('fa:16:3e:00:00:01', '10.0.0.1', ['x'])] }],
      'desired[0].remotes[0].ips[0]',
    ],
    [
      [{ dev: 'vx1', remotes: [{ ...port('fa:16:3e:00:00:01', '10.0.0.1', []), revision: 1.5 }] }],
      'desired[0].remotes[0].revision',
    ],
    [[{ dev: 'vx1', remotes: 'x' }], 'desired[0].remotes'],
    [
      [
        { dev: 'vx1', remotes: [] },
        { dev: 'vx1', remotes: [] },
      ],
      'desired[1].dev',
    ],
  ];
  for (const [desired, where] of bad) {
    assert.throws(
      () => ip.planFdb(desired as never, { fdb: [], neighbours: [] }, ['vx1']),
      (e: unknown) => e instanceof InvalidInputError && e.where === where,
      where,
    );
  }
  assert.throws(() => ip.planFdb([], { fdb: [], neighbours: [] }, ['a/b']), InvalidInputError);
});

test('property: from any start, one plan converges and the next plans nothing; foreign devices keep theirs', async () => {
  const mac = fc.integer({ min: 1, max: 6 }).map((i) => `fa:16:3e:00:00:0${i}`);
  const vtep = fc.integer({ min: 11, max: 14 }).map((i) => `10.254.0.${i}`);
  const addr = fc.integer({ min: 1, max: 8 }).map((i) => (i > 6 ? `fd00::${i}` : `10.10.1.${i}`));
  const remote = fc.record({
    mac,
    vtep,
    ips: fc.uniqueArray(addr, { maxLength: 2 }),
    revision: fc.integer({ min: 1, max: 99 }),
  });
  const device = fc.constantFrom('vx1', 'vx2');
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ dev: device, remote }), { maxLength: 8 }),
      fc.array(fc.record({ dev: device, remote }), { maxLength: 8 }),
      async (start, want) => {
        const h = await host();
        const group = (list: { dev: string; remote: ip.RemotePort }[]) =>
          ['vx1', 'vx2'].map((dev) => ({
            dev,
            remotes: list.filter((x) => x.dev === dev).map((x) => x.remote),
          }));
        await ip.appendFdb({
          executor: h.bridge,
          namespace: NS,
          mac: '00:00:00:00:00:00',
          dev: 'vx9',
          dst: '192.0.2.9',
        });
        await h.apply(ip.planFdb(group(start), await h.observe(), ['vx1', 'vx2']));
        await h.apply(ip.planFdb(group(want), await h.observe(), ['vx1', 'vx2']));
        assert.deepEqual(ip.planFdb(group(want), await h.observe(), ['vx1', 'vx2']), {
          fdb: [],
          neighbours: [],
        });
        assert.equal((await h.observe(['vx9'])).fdb.length, 1);
      },
    ),
    { numRuns: 100 },
  );
});
