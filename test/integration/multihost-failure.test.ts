// Hosts and agents failing, for real: a short lease TTL (3 s), `kill -9` of an agent (its entries
// leave the peers within TTL + 1 s while traffic between the others loses nothing, its own kernel state
// stays), a restart within the TTL (nothing changes on the peers), an agent paused while keys churn
// and etcd compacts (it resyncs and converges), etcd frozen (traffic flows, apply fails within its
// deadline).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { fabric } from '../fakes/fabric.js';
import { rootOnly } from '../helpers/root.js';
import { fdbOf, neighOf, topologyFile, vxlans, within } from './multihost-helpers.js';

const TTL = 3;
const f = rootOnly.skip ? null : await fabric({ after }, { hosts: 3, leaseTtl: TTL, resyncInterval: 5 });

const TOPO = 'mhf';
const BASE = `name: ${TOPO}
backend: linuxbridge
networks:
  - { name: net, cidr: 10.40.1.0/24, dhcp: false, vni: 6001 }
instances:
  - { name: a1, network: net, host: h1, ip: 10.40.1.11, address: static }
  - { name: a2, network: net, host: h2, ip: 10.40.1.12, address: static }
  - { name: a3, network: net, host: h3, ip: 10.40.1.13, address: static }
`;
const ns = (h: string, i: string) => f!.instanceNs(h, TOPO, i);

/** Everything l2pop put on a host's device (FDB and neighbours). */
async function entries(host: string): Promise<string[]> {
  const dev = (await vxlans(f!, host)).get(6001)!;
  return [...(await fdbOf(f!, host, dev)), ...(await neighOf(f!, host, dev))];
}

/** A host's kernel state: links, FDB, neighbours, namespaces of its agent. */
async function kernel(host: string): Promise<string> {
  const h = f!.host(host).netns;
  const links = (await f!.exec(h, ['ip', '-br', 'link'])).stdout;
  const fdb = (await f!.exec(h, ['bridge', 'fdb', 'show'])).stdout
    .split('\n')
    .filter((l) => / self permanent/.test(l))
    .sort()
    .join('\n');
  const neigh = (await f!.exec(h, ['ip', 'neigh', 'show', 'nud', 'permanent'])).stdout;
  return `${links}\n${fdb}\n${neigh}`;
}

test('the topology converges on three hosts', rootOnly, async () => {
  const a = await f!.cli(['apply', topologyFile(f!, TOPO, BASE), '--wait=60']);
  assert.equal(a.exitCode, 0, a.stdout + a.stderr);
});

test(
  'kill -9 of an agent: its entries leave the peers within TTL + 1 s; h1 ↔ h3 loses nothing; a restart restores them',
  rootOnly,
  async () => {
    assert.ok((await entries('h1')).some((e) => e.includes('10.254.0.12')));
    const h2before = await kernel('h2');
    // A ping between h1 and h3 throughout (5 per second).
    const ping = spawn(
      'ip',
      ['netns', 'exec', ns('h1', 'a1'), 'ping', '-i', '0.2', '-W', '1', '10.40.1.13'],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let out = '';
    ping.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await new Promise((r) => setTimeout(r, 600));
    const killed = Date.now();
    await f!.stopAgent('h2', 'SIGKILL');
    const gone = await within(
      (TTL + 3) * 1000,
      async () => {
        const [e1, e3] = [await entries('h1'), await entries('h3')];
        return [...e1, ...e3].every((e) => !e.includes('10.254.0.12') && !e.includes('10.40.1.12'));
      },
      100,
    );
    const took = gone < 0 ? -1 : Date.now() - killed;
    await new Promise((r) => setTimeout(r, 600));
    ping.kill('SIGINT');
    await new Promise((r) => ping.once('exit', r));
    assert.ok(took >= 0 && took <= (TTL + 1) * 1000, `entries pointing at h2 gone after ${took} ms`);
    const stats = /(\d+) packets transmitted, (\d+) received/.exec(out);
    assert.ok(stats, out);
    assert.equal(stats[1], stats[2], `h1 → h3 lost packets: ${stats[0]}`);
    assert.ok(Number(stats[1]) >= 10);
    // h2's own kernel state was not touched while its agent was down.
    assert.equal(await kernel('h2'), h2before);
    // Back with a longer lease, so that the next test's restart fits in its TTL on a loaded machine.
    await f!.startAgent('h2', ['--lease-ttl', '10']);
    const back = await within(
      10_000,
      async () => (await entries('h1')).some((e) => e.includes('10.254.0.12')),
      200,
    );
    assert.ok(back >= 0, 'h2 entries not restored on h1');
    assert.equal((await f!.exec(ns('h1', 'a1'), ['ping', '-c', '1', '-W', '1', '10.40.1.12'])).exitCode, 0);
  },
);

test(
  'a restart within the TTL changes no entry on the peers and runs no state-changing command',
  rootOnly,
  async () => {
    await within(5000, async () => (await entries('h3')).some((e) => e.includes('10.254.0.12')));
    const [b1, b3] = [await entries('h1'), await entries('h3')];
    const keys = async () =>
      (await f!.etcd.entries(`${f!.storePrefix}l2pop/`)).map((e) => `${e.key}@${e.modRevision}`).sort();
    const keysBefore = await keys();
    await f!.stopAgent('h2', 'SIGTERM');
    const started = Date.now();
    await f!.startAgent('h2');
    assert.ok(Date.now() - started < 10_000, 'the restart took longer than the TTL');
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await entries('h1'), b1);
    assert.deepEqual(await entries('h3'), b3);
    assert.deepEqual(await keys(), keysBefore, 'l2pop keys were written again');
    const log = await f!.agentLog('h2', 8);
    const lastStart = log.lastIndexOf('"lease re-used"');
    assert.ok(lastStart >= 0, log);
    assert.doesNotMatch(log.slice(lastStart), /"msg":"pass","ms":\d+,"changes":[1-9]/, log);
  },
);

test('an agent paused while keys churn and etcd compacts resyncs and converges', rootOnly, async () => {
  const pid = f!.agentPid('h3')!;
  process.kill(pid, 'SIGSTOP');
  try {
    const file = topologyFile(
      f!,
      TOPO,
      `${BASE}  - { name: a4, network: net, host: h3, ip: 10.40.1.14, address: static }\n`,
    );
    assert.equal((await f!.cli(['apply', file])).exitCode, 0);
    const file2 = topologyFile(
      f!,
      TOPO,
      `${BASE.replace('a1, network: net, host: h1, ip: 10.40.1.11', 'a1, network: net, host: h1, ip: 10.40.1.21')}  - { name: a4, network: net, host: h3, ip: 10.40.1.14, address: static }\n`,
    );
    assert.equal((await f!.cli(['apply', file2])).exitCode, 0);
    await f!.etcd.compact();
    await new Promise((r) => setTimeout(r, (TTL + 1) * 1000)); // its lease expires meanwhile
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const ok = await within(
    30_000,
    async () => {
      const r = await f!.exec(ns('h1', 'a1'), ['ping', '-c', '1', '-W', '1', '10.40.1.14']);
      return r.exitCode === 0;
    },
    500,
  );
  assert.ok(ok >= 0, await f!.agentLog('h3', 15));
  const s = await f!.cli(['--json', 'status', topologyFile(f!, TOPO, BASE)]);
  assert.equal(s.exitCode, 0, s.stdout);
});

const CHURNED = `${BASE.replace('a1, network: net, host: h1, ip: 10.40.1.11', 'a1, network: net, host: h1, ip: 10.40.1.21')}  - { name: a4, network: net, host: h3, ip: 10.40.1.14, address: static }\n`;

test(
  'etcd killed with kill -9 and restarted on its data directory: traffic flows meanwhile, agents reconnect and converge',
  rootOnly,
  async () => {
    await f!.etcd.crash();
    try {
      const p = await f!.exec(ns('h1', 'a1'), ['ping', '-c', '3', '-i', '0.2', '-W', '1', '10.40.1.13']);
      assert.equal(p.exitCode, 0, 'traffic stopped while etcd was down');
    } finally {
      await f!.etcd.restart();
    }
    const file = topologyFile(
      f!,
      TOPO,
      `${CHURNED}  - { name: a5, network: net, host: h1, ip: 10.40.1.15, address: static }\n`,
    );
    const a = await f!.cli(['apply', file, '--wait=60']);
    assert.equal(a.exitCode, 0, a.stdout + a.stderr + (await f!.agentLog('h1', 10)));
    const r = await within(
      10_000,
      async () =>
        (await f!.exec(ns('h3', 'a3'), ['ping', '-c', '1', '-W', '1', '10.40.1.15'])).exitCode === 0,
      300,
    );
    assert.ok(r >= 0, 'a5 not reachable from h3');
  },
);

test(
  'a slice edited into garbage: the agent reports a typed error, keeps what it built, recovers when fixed',
  rootOnly,
  async () => {
    const key = `${f!.storePrefix}hosts/h3/desired/${TOPO}`;
    const good = (await f!.etcd.get(key))!;
    await f!.etcd.etcdctl(['put', key, '{"generation": "garbage"'], undefined);
    const file = topologyFile(f!, TOPO, BASE);
    let out = '';
    const reported = await within(
      10_000,
      async () => {
        const s = await f!.cli(['--json', 'status', file]);
        out = s.stdout;
        return /slice mhf/.test(s.stdout) && /etcd key/.test(s.stdout);
      },
      500,
    );
    assert.ok(reported >= 0, out);
    assert.equal((await f!.exec(ns('h1', 'a1'), ['ping', '-c', '1', '-W', '1', '10.40.1.13'])).exitCode, 0);
    assert.ok(f!.agentPid('h3') !== null, 'the agent died');
    await f!.etcd.etcdctl(['put', key, good]);
    const healed = await within(10_000, async () => (await f!.cli(['status', file])).exitCode === 0, 500);
    assert.ok(healed >= 0, (await f!.cli(['status', file])).stdout);
  },
);

test(
  'etcd frozen: traffic keeps flowing, apply fails within its deadline; thawed, agents carry on',
  rootOnly,
  async () => {
    await f!.etcd.freeze();
    try {
      const p = await f!.exec(ns('h1', 'a1'), ['ping', '-c', '3', '-i', '0.2', '-W', '1', '10.40.1.13']);
      assert.equal(p.exitCode, 0);
      const t0 = Date.now();
      const a = await f!.cli(['apply', topologyFile(f!, TOPO, BASE)]);
      assert.equal(a.exitCode, 1, a.stderr);
      assert.match(a.stderr, /etcd|unavailable|deadline|reach/i);
      assert.ok(Date.now() - t0 < 15_000, `apply took ${Date.now() - t0} ms`);
    } finally {
      await f!.etcd.thaw();
    }
    const d = await f!.cli(['destroy', topologyFile(f!, TOPO, BASE)]);
    assert.equal(d.exitCode, 0, d.stderr);
    const gone = await within(
      20_000,
      async () => (await vxlans(f!, 'h1')).size + (await vxlans(f!, 'h3')).size === 0,
      300,
    );
    assert.ok(gone >= 0, await f!.agentLog('h1', 10));
  },
);

test(
  'agent --withdraw: the host’s agent record, l2pop entries and status go from the store at once',
  rootOnly,
  async () => {
    // A lease long enough to outlive the withdraw command's start: the 3 s one expires first, then
    // the agent starts with a new one, publishes a port of a topology, and stops keeping it.
    await f!.stopAgent('h3', 'SIGKILL');
    await within(
      10_000,
      async () => !(await f!.etcd.keys(`${f!.storePrefix}hosts/h3/`)).some((k) => k.endsWith('/agent')),
      200,
    );
    await f!.startAgent('h3', ['--lease-ttl', '60']);
    const a = await f!.cli(['apply', topologyFile(f!, TOPO, BASE), '--wait=60']);
    assert.equal(a.exitCode, 0, a.stdout + a.stderr);
    await f!.stopAgent('h3', 'SIGTERM');
    const mine = async () =>
      [
        ...(await f!.etcd.keys(`${f!.storePrefix}hosts/h3/`)),
        ...(await f!.etcd.keys(`${f!.storePrefix}l2pop/`)),
      ].filter((k) => /\/h3\/(agent|status\/|vm_)/.test(k));
    assert.ok((await mine()).some((k) => k.endsWith('/agent')));
    assert.ok((await mine()).some((k) => k.includes('/status/')));
    assert.ok((await mine()).some((k) => k.includes('/vm_a3')));
    const { run } = await import('../../src/exec/run.js');
    const { tenantnetArgv } = await import('../fakes/fabric.js');
    const w = await run(
      [
        ...tenantnetArgv(),
        '--state-dir',
        f!.host('h3').stateDir,
        'agent',
        '--withdraw',
        '--host',
        'h3',
        ...f!.storeArgs,
      ],
      { check: false },
    );
    assert.equal(w.exitCode, 0, w.stderr);
    assert.match(w.stdout, /h3: withdrawn \(lease \d+ revoked, 1 status key\(s\) removed\)/);
    assert.deepEqual(await mine(), []);
    // The topology's slice for h3 is the apply's, not the agent's: it stays until destroy.
    const d = await f!.cli(['destroy', topologyFile(f!, TOPO, BASE)]);
    assert.equal(d.exitCode, 0, d.stderr);
  },
);
