// Many hosts for real: three simulated hosts (namespaces on one underlay bridge), a private etcd and
// one real `tenantnet agent` process per host. Two tenant networks with the same CIDR across hosts:
// reachability, isolation, l2pop (exact FDB and neighbours, no flooded ARP, entries restored, foreign
// entries left alone), MTU over the overlay, drift rebuilt, the revision-checked apply, destroy.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { fabric } from '../fakes/fabric.js';
import { rootOnly } from '../helpers/root.js';
import {
  arpSniffer,
  eth0,
  fdbOf,
  instanceMac,
  nameServer,
  neighOf,
  stopChild,
  tcpRead,
  topologyFile,
  vxlans,
  within,
} from './multihost-helpers.js';

const f = rootOnly.skip ? null : await fabric({ after }, { hosts: 3, resyncInterval: 3 });
const servers: ChildProcess[] = [];
after(async () => {
  for (const s of servers) await stopChild(s);
});

const TOPO = 'mho';
const BASE = `name: ${TOPO}
backend: linuxbridge
networks:
  - { name: blue, cidr: 10.10.1.0/24, dhcp: false, vni: 5001 }
  - { name: red, cidr: 10.10.1.0/24, dhcp: false, vni: 5002 }
instances:
  - { name: b1, network: blue, host: h1, ip: 10.10.1.11, address: static }
  - { name: b3, network: blue, host: h3, ip: 10.10.1.13, address: static }
  - { name: r1, network: red, host: h1, ip: 10.10.1.11, address: static }
  - { name: r3, network: red, host: h3, ip: 10.10.1.13, address: static }
  - { name: r9, network: red, host: h3, ip: 10.10.1.20, address: static }
`;
const WITH_B2 = `${BASE}  - { name: b2, network: blue, host: h2, ip: 10.10.1.12, address: static }\n`;

test(
  'an apply reaches every host; the same addresses reach the right instance in each network, nothing crosses',
  rootOnly,
  async () => {
    const file = topologyFile(f!, TOPO, BASE);
    const a = await f!.cli(['--json', 'apply', file, '--wait=60']);
    assert.equal(a.exitCode, 0, a.stderr + a.stdout);
    const r = a.json<{ results: { host: string; state: string }[]; changes: number }>();
    assert.deepEqual(
      r.results.map((h) => [h.host, h.state]),
      [
        ['h1', 'converged'],
        ['h3', 'converged'],
      ],
    );
    const ns = (h: string, i: string) => f!.instanceNs(h, TOPO, i);
    servers.push(nameServer(ns('h3', 'b3'), 7000, 'b3'), nameServer(ns('h3', 'r3'), 7000, 'r3'));
    const ping = await f!.exec(ns('h1', 'b1'), ['ping', '-c', '2', '-W', '1', '10.10.1.13']);
    assert.equal(ping.exitCode, 0, ping.stdout);
    const ping2 = await f!.exec(ns('h1', 'r1'), ['ping', '-c', '2', '-W', '1', '10.10.1.13']);
    assert.equal(ping2.exitCode, 0, ping2.stdout);
    // The same address answers with the name of the instance of the client's own network.
    assert.ok(
      (await within(5000, async () => (await tcpRead(f!, ns('h1', 'b1'), '10.10.1.13', 7000)) === 'b3')) >= 0,
    );
    assert.equal(await tcpRead(f!, ns('h1', 'r1'), '10.10.1.13', 7000), 'r3');
    // An address only red has is not reachable from blue.
    const cross = await f!.exec(ns('h1', 'b1'), ['ping', '-c', '1', '-W', '1', '10.10.1.20']);
    assert.notEqual(cross.exitCode, 0);
    assert.equal((await f!.exec(ns('h1', 'r1'), ['ping', '-c', '1', '-W', '1', '10.10.1.20'])).exitCode, 0);
    // h2 has nothing of the topology.
    assert.deepEqual([...(await vxlans(f!, 'h2')).keys()], []);
  },
);

test(
  'l2pop: a new instance on h2 is reachable from h1 and h3 without flooded ARP; FDB and neighbours are exact',
  rootOnly,
  async () => {
    const file = topologyFile(f!, TOPO, WITH_B2);
    const a = await f!.cli(['--json', 'apply', file, '--wait=60']);
    assert.equal(a.exitCode, 0, a.stderr + a.stdout);
    const ns = (h: string, i: string) => f!.instanceNs(h, TOPO, i);
    const dev = (await vxlans(f!, 'h1')).get(5001)!;
    const macs = {
      b1: await instanceMac(f!, ns('h1', 'b1')),
      b2: await instanceMac(f!, ns('h2', 'b2')),
      b3: await instanceMac(f!, ns('h3', 'b3')),
    };
    // Exactly the desired entries on each host's blue device.
    const want = {
      h1: {
        fdb: [
          `00:00:00:00:00:00>10.254.0.12`,
          `00:00:00:00:00:00>10.254.0.13`,
          `${macs.b2}>10.254.0.12`,
          `${macs.b3}>10.254.0.13`,
        ],
        neigh: [`10.10.1.12>${macs.b2}`, `10.10.1.13>${macs.b3}`],
      },
      h2: {
        fdb: [
          `00:00:00:00:00:00>10.254.0.11`,
          `00:00:00:00:00:00>10.254.0.13`,
          `${macs.b1}>10.254.0.11`,
          `${macs.b3}>10.254.0.13`,
        ],
        neigh: [`10.10.1.11>${macs.b1}`, `10.10.1.13>${macs.b3}`],
      },
      h3: {
        fdb: [
          `00:00:00:00:00:00>10.254.0.11`,
          `00:00:00:00:00:00>10.254.0.12`,
          `${macs.b1}>10.254.0.11`,
          `${macs.b2}>10.254.0.12`,
        ],
        neigh: [`10.10.1.11>${macs.b1}`, `10.10.1.12>${macs.b2}`],
      },
    };
    for (const h of ['h1', 'h2', 'h3'] as const) {
      const d = (await vxlans(f!, h)).get(5001)!;
      assert.ok(
        (await within(
          5000,
          async () => JSON.stringify(await fdbOf(f!, h, d)) === JSON.stringify(want[h].fdb.sort()),
        )) >= 0,
        `${h}: ${await fdbOf(f!, h, d)}`,
      );
      assert.deepEqual(await neighOf(f!, h, d), want[h].neigh.sort());
    }
    // No flooded ARP: with the neighbour caches emptied, h1 and h3 reach b2 while sniffers on the
    // other hosts' blue devices see no ARP frame at all (the local device answers from l2pop).
    await f!.exec(ns('h1', 'b1'), ['ip', 'neigh', 'flush', 'all']);
    await f!.exec(ns('h3', 'b3'), ['ip', 'neigh', 'flush', 'all']);
    await f!.exec(ns('h2', 'b2'), ['ip', 'neigh', 'flush', 'all']);
    const sniffers = await Promise.all(
      (['h1', 'h2', 'h3'] as const).map(async (h) => arpSniffer(f!, h, (await vxlans(f!, h)).get(5001)!, 4)),
    );
    await new Promise((r) => setTimeout(r, 500));
    const h1ping = await f!.exec(ns('h1', 'b1'), ['ping', '-c', '2', '-W', '1', '10.10.1.12']);
    assert.equal(h1ping.exitCode, 0, h1ping.stdout);
    const h3ping = await f!.exec(ns('h3', 'b3'), ['ping', '-c', '2', '-W', '1', '10.10.1.12']);
    assert.equal(h3ping.exitCode, 0, h3ping.stdout);
    const seen = await Promise.all(sniffers);
    assert.deepEqual(seen, [0, 0, 0], 'ARP frames crossed the overlay');
    // The sniffer does see ARP where there is some: b2 asking for an address nobody has, on h2's own
    // bridge (the VXLAN device answers or drops ARP, it never floods it).
    const h2dev = (await vxlans(f!, 'h2')).get(5001)!;
    const master = JSON.parse(
      (await f!.exec(f!.host('h2').netns, ['ip', '-j', 'link', 'show', 'dev', h2dev])).stdout,
    )[0].master as string;
    const control = arpSniffer(f!, 'h2', master, 3);
    await new Promise((r) => setTimeout(r, 500));
    await f!.exec(ns('h2', 'b2'), ['ping', '-c', '1', '-W', '1', '10.10.1.99']);
    assert.ok((await control) > 0, 'the sniffer saw no flooded ARP for an unknown address');

    // An entry deleted by hand comes back; a foreign VXLAN device's entries are never touched.
    const h1 = f!.host('h1').netns;
    await f!.exec(h1, [
      'ip',
      'link',
      'add',
      'vxforeign',
      'type',
      'vxlan',
      'id',
      '99',
      'local',
      '10.254.0.11',
      'dstport',
      '4789',
      'nolearning',
    ]);
    await f!.exec(h1, [
      'bridge',
      'fdb',
      'append',
      '00:00:00:00:00:00',
      'dev',
      'vxforeign',
      'dst',
      '10.254.0.99',
    ]);
    const del = await f!.exec(h1, ['bridge', 'fdb', 'del', macs.b2, 'dev', dev, 'dst', '10.254.0.12']);
    assert.equal(del.exitCode, 0, del.stderr);
    const del2 = await f!.exec(h1, ['ip', 'neigh', 'del', '10.10.1.13', 'dev', dev]);
    assert.equal(del2.exitCode, 0, del2.stderr);
    const back = await within(
      8000,
      async () =>
        JSON.stringify(await fdbOf(f!, 'h1', dev)) === JSON.stringify(want.h1.fdb.sort()) &&
        JSON.stringify(await neighOf(f!, 'h1', dev)) === JSON.stringify(want.h1.neigh.sort()),
    );
    assert.ok(back >= 0, `not restored: ${await fdbOf(f!, 'h1', dev)}`);
    assert.deepEqual(await fdbOf(f!, 'h1', 'vxforeign'), ['00:00:00:00:00:00>10.254.0.99']);
    await f!.exec(h1, ['ip', 'link', 'del', 'vxforeign']);
  },
);

test(
  'MTU 1450 on a 1500 underlay: a DF ping of 1422 bytes crosses hosts, 1423 fails locally',
  rootOnly,
  async () => {
    const ns = f!.instanceNs('h1', TOPO, 'b1');
    assert.equal((await eth0(f!, ns)).mtu, 1450);
    const ok = await f!.exec(ns, ['ping', '-M', 'do', '-s', '1422', '-c', '1', '-W', '2', '10.10.1.13']);
    assert.equal(ok.exitCode, 0, ok.stdout + ok.stderr);
    const big = await f!.exec(ns, ['ping', '-M', 'do', '-s', '1423', '-c', '1', '-W', '2', '10.10.1.13']);
    assert.notEqual(big.exitCode, 0);
    assert.match(big.stdout + big.stderr, /message too long|mtu=1450|Frag needed/i);
  },
);

/** Every key an apply writes (topologies, slices, VNIs) with its mod revision. */
async function desiredState(): Promise<string[]> {
  const all = await f!.etcd.entries(f!.storePrefix);
  return all
    .filter((e) => /\/(topologies|vni)\/|\/desired\//.test(e.key))
    .map((e) => `${e.key}@${e.modRevision}`)
    .sort();
}

test(
  're-applying an unchanged file writes nothing; a stale --expect-revision and a lost race write nothing',
  rootOnly,
  async () => {
    const file = topologyFile(f!, TOPO, WITH_B2);
    const rev0 = await f!.etcd.revision();
    const same = await f!.cli(['--json', 'apply', file]);
    assert.equal(same.exitCode, 0, same.stderr);
    assert.equal(same.json<{ changes: number }>().changes, 0);
    assert.equal(await f!.etcd.revision(), rev0, 'an unchanged apply moved the store revision');
    const plan = await f!.cli(['--json', 'plan', file]);
    assert.equal(plan.exitCode, 0, plan.stderr);
    const planned = plan.json<{ revision: number; changes: number }>();
    assert.equal(planned.changes, 0);
    // Another apply moves the topology on: the reviewed revision is stale.
    const other = topologyFile(
      f!,
      `${TOPO}-b`,
      `${WITH_B2}  - { name: b4, network: blue, host: h3, ip: 10.10.1.14, address: static }\n`,
    );
    const moved = await f!.cli(['--json', 'apply', other]);
    assert.equal(moved.exitCode, 0, moved.stderr);
    const rev1 = await f!.etcd.revision();
    assert.ok(rev1 > rev0);
    const before = await desiredState();
    const stale = await f!.cli(['apply', file, '--expect-revision', String(planned.revision)]);
    assert.equal(stale.exitCode, 1, stale.stderr);
    assert.match(stale.stderr, /revision|changed|another apply/i);
    // Nothing of the topology moved (agents may still be publishing the other apply's ports).
    assert.deepEqual(await desiredState(), before);
    const rev2 = await f!.etcd.revision();
    // Two applies at once, both of a plan reviewed at the same revision: exactly one wins, whatever
    // the timing (the store's own tests race unguarded applies too).
    const at = (await f!.cli(['--json', 'plan', file])).json<{ revision: number }>().revision;
    const [x, y] = await Promise.all([
      f!.cli(['apply', file, '--expect-revision', String(at)]),
      f!.cli([
        'apply',
        topologyFile(f!, `${TOPO}-c`, WITH_B2.replace('10.10.1.12', '10.10.1.22')),
        '--expect-revision',
        String(at),
      ]),
    ]);
    assert.deepEqual([x.exitCode, y.exitCode].sort(), [0, 1], x.stderr + y.stderr);
    assert.ok((await f!.etcd.revision()) > rev2);
    // Back to the base plus b2 for the next tests, converged.
    const back = await f!.cli(['apply', file, '--wait=60']);
    assert.equal(back.exitCode, 0, back.stderr + back.stdout);
  },
);

test(
  'drift: a VXLAN device and an instance namespace removed by hand are rebuilt within the resync interval',
  rootOnly,
  async () => {
    const dev = (await vxlans(f!, 'h3')).get(5002)!;
    await f!.exec(f!.host('h3').netns, ['ip', 'link', 'del', dev]);
    const ns = f!.instanceNs('h1', TOPO, 'r1');
    await f!.exec(f!.host('h1').netns, ['ip', 'netns', 'del', ns]).catch(() => {});
    const { run } = await import('../../src/exec/run.js');
    await run(['ip', 'netns', 'del', ns], { check: false });
    const took = await within(
      15_000,
      async () => {
        const r = await f!.exec(ns, ['ping', '-c', '1', '-W', '1', '10.10.1.13']).catch(() => null);
        return r?.exitCode === 0;
      },
      300,
    );
    assert.ok(took >= 0, `not rebuilt:\n${await f!.agentLog('h1', 10)}\n${await f!.agentLog('h3', 10)}`);
    assert.ok((await vxlans(f!, 'h3')).has(5002));
  },
);

test(
  'a second topology on the same hosts leaves the first one’s published ports alone',
  rootOnly,
  async () => {
    const l2pop = async (topo: string) =>
      (await f!.etcd.entries(`${f!.storePrefix}l2pop/${topo}/`))
        .map((e) => `${e.key}@${e.modRevision}`)
        .sort();
    const before = await l2pop(TOPO);
    assert.ok(before.length > 0);
    const other = topologyFile(
      f!,
      'mho2',
      `name: mho2
backend: linuxbridge
networks:
  - { name: green, cidr: 10.10.9.0/24, dhcp: false, vni: 5009 }
instances:
  - { name: g1, network: green, host: h1, ip: 10.10.9.11, address: static }
  - { name: g3, network: green, host: h3, ip: 10.10.9.13, address: static }
`,
    );
    const a = await f!.cli(['apply', other, '--wait=60']);
    assert.equal(a.exitCode, 0, a.stdout + a.stderr);
    assert.equal((await l2pop('mho2')).length, 2);
    const d = await f!.cli(['destroy', other]);
    assert.equal(d.exitCode, 0, d.stderr);
    const gone = await within(15_000, async () => (await l2pop('mho2')).length === 0, 200);
    assert.ok(gone >= 0, 'mho2 ports still published');
    // Not one key of the first topology was deleted or written again meanwhile.
    assert.deepEqual(await l2pop(TOPO), before);
  },
);

test(
  'status --store shows every host up with its ports; destroy --store leaves no trace on hosts or in the store',
  rootOnly,
  async () => {
    const file = topologyFile(f!, TOPO, WITH_B2);
    const s = await f!.cli(['--json', 'status', file]);
    assert.equal(s.exitCode, 0, s.stdout + s.stderr);
    const st = s.json<{ topologies: { hosts: { host: string; up: boolean; portsUp: number }[] }[] }>();
    assert.deepEqual(
      st.topologies[0]!.hosts.map((h) => [h.host, h.up, h.portsUp]),
      [
        ['h1', true, 2],
        ['h2', true, 1],
        ['h3', true, 3],
      ],
    );
    for (const srv of servers.splice(0)) await stopChild(srv);
    const d = await f!.cli(['destroy', file]);
    assert.equal(d.exitCode, 0, d.stderr);
    const { readdir } = await import('node:fs/promises');
    const gone = await within(
      20_000,
      async () => {
        const left = (await readdir('/run/netns')).filter(
          (n) => n.startsWith(`${f!.prefix}h`) && n.includes('-'),
        );
        const devs = await Promise.all(['h1', 'h2', 'h3'].map(async (h) => (await vxlans(f!, h)).size));
        const keys = (await f!.etcd.keys(f!.storePrefix)).filter((k) => !/\/hosts\/h\d\/agent$/.test(k));
        return left.length === 0 && devs.every((n) => n === 0) && keys.length === 0;
      },
      300,
    );
    assert.ok(gone >= 0, `left: ${(await f!.etcd.keys(f!.storePrefix)).join(' ')}`);
    for (const h of ['h1', 'h2', 'h3']) {
      const links = await f!.exec(f!.host(h).netns, ['ip', '-br', 'link']);
      assert.deepEqual(
        links.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(/[\s@]/)[0])
          .sort(),
        ['lo', 'ul0'],
      );
    }
  },
);

test('bad input is refused before anything is written', rootOnly, async () => {
  const rev = await f!.etcd.revision();
  const ovs = topologyFile(f!, 'bad-ovs', BASE.replace('backend: linuxbridge', 'backend: ovs'));
  const r1 = await f!.cli(['apply', ovs]);
  assert.equal(r1.exitCode, 1);
  assert.match(r1.stderr, /backend: ovs is not supported on many hosts/);
  const nohost = topologyFile(f!, 'bad-host', BASE.replace('host: h3, ip: 10.10.1.20', 'ip: 10.10.1.20'));
  const r2 = await f!.cli(['apply', nohost]);
  assert.notEqual(r2.exitCode, 0);
  assert.match(r2.stderr, /host/);
  const badHost = topologyFile(
    f!,
    'bad-name',
    BASE.replace('host: h3, ip: 10.10.1.20', 'host: H_3, ip: 10.10.1.20'),
  );
  const r3 = await f!.cli(['apply', badHost]);
  assert.equal(r3.exitCode, 2, r3.stderr);
  assert.match(r3.stderr, /bad-name\.yaml:\d+:\d+/);
  const mtu = topologyFile(f!, 'bad-mtu', BASE.replace('vni: 5001 }', 'vni: 5001, mtu: 1451 }'));
  const r4 = await f!.cli(['apply', mtu]);
  assert.notEqual(r4.exitCode, 0);
  assert.match(r4.stderr, /h1|h3/);
  const { run } = await import('../../src/exec/run.js');
  const { tenantnetArgv } = await import('../fakes/fabric.js');
  const r5 = await run([...tenantnetArgv(), 'apply', ovs, '--store', 'etcd://127.0.0.1:1/\u0007'], {
    check: false,
  });
  assert.equal(r5.exitCode, 2, r5.stderr);
  const r6 = await run(
    [...tenantnetArgv(), 'apply', ovs, '--store', f!.etcd.url, '--store-prefix', 'no-slash'],
    { check: false },
  );
  assert.equal(r6.exitCode, 2, r6.stderr);
  const t0 = Date.now();
  const file = topologyFile(f!, 'ok', BASE);
  const r7 = await run(
    [...tenantnetArgv(), 'apply', file, '--store', 'etcd://127.0.0.1:9', '--store-prefix', f!.storePrefix],
    { check: false },
  );
  assert.equal(r7.exitCode, 1, r7.stderr);
  assert.ok(Date.now() - t0 < 15_000);
  assert.equal(await f!.etcd.revision(), rev);
});
