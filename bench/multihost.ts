/**
 * Many-hosts benchmark: three simulated hosts (test/fakes/fabric.ts: namespaces on one underlay
 * bridge, a private etcd, one real `tenantnet agent` process per host), a generated topology of 16
 * networks and N instances (default 200) spread over the hosts, 4 routers on h1 with 40 floating IPs,
 * DHCP and security groups on. Phases, each timed, with etcd keys and bytes written and etcd's CPU:
 *  - apply from nothing → every host converged and an instance on h1 pings one on h2 and one on h3;
 *  - re-apply unchanged (the library call `apply --store` makes, and the CLI process): writes no key;
 *  - add one instance on h2 → pinged from h1 and h3, at N and on a second topology of SMALL;
 *  - l2pop: a port published (a key put by the bench) → its FDB entry on another host, seen by
 *    `bridge monitor fdb` (p50/p99 over K samples); the floor: etcd's own put → watch delivery;
 *  - `kill -9` of an agent → its entries gone on the peers (TTL, default 5 s here);
 *  - agent restart with nothing changed → ready, and whether it sent anything;
 *  - agent RSS at N instances.
 *
 * Usage: node --import tsx bench/multihost.ts [--n 200] [--small 20] [--samples 50] [--ttl 5] [--dist] [--json]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TopologyInput } from '../src/model/types.js';
import { applyTopology, Store, StoreLease } from '../src/store/index.js';
import { Fabric } from '../test/fakes/fabric.js';
import { benchArgs, median, ms, report, table } from './harness.js';

const args = benchArgs({ rounds: 1 });
const N = args.num('n', 200);
const SMALL = args.num('small', 20);
const SAMPLES = args.num('samples', 50);
const TTL = args.num('ttl', 5);
const HOSTS = ['h1', 'h2', 'h3'];

/** The generated topology (YAML-free: the CLI takes JSON files too). */
function topology(name: string, n: number, extra = 0): TopologyInput {
  const networks = Array.from({ length: 16 }, (_, i) => ({ name: `net${i}`, cidr: `10.${60 + i}.0.0/20` }));
  const instances = Array.from({ length: n + extra }, (_, i) => ({
    name: `vm${i}`,
    // The added instance goes on net2, which has instances on h1 (vm18) and h3 (vm2) at any size.
    network: i >= n ? 'net2' : `net${i % 16}`,
    host: i >= n ? 'h2' : HOSTS[i % 3]!,
    ...(i % 10 === 9 ? {} : { securityGroups: ['web'] }),
  }));
  return {
    name,
    backend: 'linuxbridge',
    networks: [...networks, { name: 'ext', cidr: '172.27.0.0/20', external: true, dhcp: false }],
    routers: Array.from({ length: 4 }, (_, r) => ({
      name: `r${r}`,
      host: 'h1',
      gateway: { network: 'ext' },
      interfaces: Array.from({ length: 4 }, (_, k) => `net${r * 4 + k}`),
    })),
    securityGroups: [
      {
        name: 'web',
        rules: [
          { direction: 'ingress', protocol: 'icmp', remoteGroup: 'web' },
          { direction: 'ingress', protocol: 'tcp', port: 80 },
          { direction: 'egress' },
        ],
      },
    ],
    instances,
    floatingIps: instances.slice(0, Math.min(40, n)).map((i) => ({ instance: i.name })),
  } as TopologyInput;
}

/** The topology as a file says it (snake_case keys). */
function fileText(input: TopologyInput): string {
  const snake = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(snake)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snake(x)]),
          )
        : v;
  return JSON.stringify(snake(input));
}

function cpuOf(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then((s) => {
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, ticks of 10 ms
  });
}

async function rssOf(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) / 1024;
}

interface Phase {
  phase: string;
  ms: number;
  keys: number;
  bytes: number;
  etcdCpuMs: number;
  note: string;
}

// --dist: agents and CLI from the build (`npm run build`), as installed; else the sources under tsx
// (whose transpiler adds start-up time and memory to every process).
const DIST = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
const f = await Fabric.start({
  hosts: 3,
  leaseTtl: TTL,
  ...(args.flag('dist') ? { command: [process.execPath, DIST] } : {}),
  ...(args.flag('debug') ? { agentArgs: ['--log-level', 'debug'] } : {}),
});
const phases: Phase[] = [];
const extra: Record<string, number> = {};
const etcdPid = f.etcd.pid!;

async function storeSize(): Promise<{ keys: number; bytes: number }> {
  const all = await f.etcd.entries(f.storePrefix);
  return { keys: all.length, bytes: all.reduce((n, e) => n + e.key.length + e.value.length, 0) };
}

/** Runs a phase: its time, the revisions it wrote (keys), the bytes now stored, etcd CPU. */
async function phase(name: string, fn: () => Promise<string>): Promise<void> {
  const [rev0, cpu0] = [await f.etcd.revision(), await cpuOf(etcdPid)];
  const t0 = performance.now();
  const note = await fn();
  const took = performance.now() - t0;
  const [rev1, cpu1, size] = [await f.etcd.revision(), await cpuOf(etcdPid), await storeSize()];
  // Which kinds of key the phase wrote (those still there).
  const kinds = new Map<string, number>();
  for (const e of await f.etcd.entries(f.storePrefix)) {
    if (e.modRevision <= rev0) continue;
    const kind = /\/(topologies|vni|l2pop|verify)\/|\/(desired|status|agent)\b/.exec(
      e.key.slice(f.storePrefix.length - 1),
    );
    const k = kind?.[1] ?? kind?.[2] ?? 'other';
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  const wrote = [...kinds].map(([k, n]) => `${k} ${n}`).join(', ');
  phases.push({
    phase: name,
    ms: took,
    keys: rev1 - rev0,
    bytes: size.bytes,
    etcdCpuMs: cpu1 - cpu0,
    note: `${note}${wrote ? `; wrote ${wrote}` : ''}`,
  });
}

async function pings(from: string, to: string[], deadlineMs: number): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  const left = new Set(to);
  while (left.size > 0 && Date.now() < end) {
    for (const a of [...left]) {
      const r = await f.exec(from, ['ping', '-c', '1', '-W', '0.2', a]);
      if (r.exitCode === 0) left.delete(a);
    }
  }
  return left.size === 0;
}

function addressOf(spec: string, instance: string): string {
  const m = JSON.parse(spec) as { instances: { name: string; port: { fixedIps: { address: string }[] } }[] };
  return m.instances.find((i) => i.name === instance)!.port.fixedIps[0]!.address;
}

const store = await Store.open({
  url: f.etcd.url,
  prefix: f.storePrefix,
  limits: { maxTxnOps: 1024, maxRequestBytes: 1_572_864 },
});
try {
  const big = topology('big', N);
  const small = topology('small', SMALL);
  const file = join(f.dir, 'big.json');
  await writeFile(file, fileText(big));
  // Same network on three hosts: vm0 (h1), vm16 (h2), vm32 (h3) are all on net0.
  await phase(`apply from nothing (N=${N})`, async () => {
    const r = await f.cli(['apply', file, '--wait=300'], { timeoutMs: 400_000 });
    if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
    const spec = (await f.etcd.get(`${f.storePrefix}topologies/big/spec`))!;
    const ok = await pings(
      f.instanceNs('h1', 'big', 'vm0'),
      [addressOf(spec, 'vm16'), addressOf(spec, 'vm32')],
      60_000,
    );
    return ok ? 'h1 pings h2 and h3' : 'PING FAILED';
  });
  await phase('re-apply unchanged (library)', async () => {
    const r = await applyTopology(store, big);
    return `${r.plan.changes} keys planned`;
  });
  await phase('re-apply unchanged (CLI process)', async () => {
    const r = await f.cli(['--json', 'apply', file]);
    return `changes ${JSON.parse(r.stdout).changes}`;
  });
  await writeFile(join(f.dir, 'small.json'), fileText(small));
  const smallApplied = await f.cli(['apply', join(f.dir, 'small.json'), '--wait=120'], {
    timeoutMs: 200_000,
  });
  if (smallApplied.exitCode !== 0) throw new Error(smallApplied.stdout + smallApplied.stderr);
  for (const [name, t, n] of [
    ['big', big, N],
    ['small', small, SMALL],
  ] as const) {
    // Pingers on the new instance's network, on h1 and h3, in its security group.
    const pinger = (host: string) =>
      t.instances!.find((i) => i.host === host && i.network === 'net2' && i.securityGroups)!.name;
    await phase(`add one instance on h2 (N=${n})`, async () => {
      await applyTopology(store, topology(name, n, 1));
      const spec = (await f.etcd.get(`${f.storePrefix}topologies/${name}/spec`))!;
      const addr = addressOf(spec, `vm${n}`);
      const okH1 = await pings(f.instanceNs('h1', name, pinger('h1')), [addr], 30_000);
      const t1 = performance.now();
      const okH3 = await pings(f.instanceNs('h3', name, pinger('h3')), [addr], 30_000);
      return `${okH1 && okH3 ? 'pinged from h1 and h3' : 'PING FAILED'} (h3 ${ms(performance.now() - t1, 0)} after h1)`;
    });
  }

  // l2pop propagation: a port published by the bench on net0 of big, its FDB entry on h2.
  const lease = await StoreLease.acquire(store, { ttlSeconds: 30 });
  lease.keepAlive();
  const vni = (
    JSON.parse((await f.etcd.get(`${f.storePrefix}topologies/big/spec`))!) as {
      networks: { name: string; vni: number }[];
    }
  ).networks.find((n) => n.name === 'net0')!.vni;
  const monitor: ChildProcess = spawn('bridge', ['-n', f.host('h2').netns, 'monitor', 'fdb'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const seen = new Map<string, number>();
  monitor.stdout!.on('data', (d: Buffer) => {
    const now = performance.now();
    for (const line of d.toString().split('\n')) {
      const m = /^([0-9a-f:]{17}) .*dst 10\.254\.0\.99/.exec(line);
      if (m && !seen.has(m[1]!)) seen.set(m[1]!, now);
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  const lat: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const mac = `fa:16:3e:${randomBytes(3).toString('hex').match(/../g)!.join(':')}`;
    const key = store.keys.l2pop('big', 'net0', 'hbench', `vm_bench${i}`);
    const t0 = performance.now();
    await lease.put(key, JSON.stringify({ ips: [`10.60.15.${i + 1}`], mac, vni, vtep: '10.254.0.99' }));
    for (let k = 0; k < 100 && !seen.has(mac); k++) await new Promise((r) => setTimeout(r, 5));
    if (seen.has(mac)) lat.push(seen.get(mac)! - t0);
  }
  monitor.kill();
  const sorted = [...lat].sort((a, b) => a - b);
  extra.l2popP50 = median(lat);
  extra.l2popP99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Number.NaN;
  extra.l2popSeen = lat.length;
  // The floor: etcd's own put → watch delivery, same client, same machine.
  const w = await store.client.watch().prefix(`${f.storePrefix}floor/`).create();
  const floor: number[] = [];
  for (let i = 0; i < 30; i++) {
    const got = new Promise<number>((r) => w.once('put', () => r(performance.now())));
    const t0 = performance.now();
    await store.client.put(`${f.storePrefix}floor/${i}`).value('x');
    floor.push((await got) - t0);
  }
  await w.cancel();
  await store.client.delete().prefix(`${f.storePrefix}floor/`);
  extra.watchFloorP50 = median(floor);
  await lease.revoke();

  extra.agentRssMb = Math.max(...(await Promise.all(HOSTS.map((h) => rssOf(f.agentPid(h)!)))));

  // kill -9 of h3's agent: its entries gone from h1.
  await phase(`kill -9 of an agent → entries gone on the peers (TTL ${TTL} s)`, async () => {
    await f.stopAgent('h3', 'SIGKILL');
    const t0 = performance.now();
    for (;;) {
      const fdb = (await f.exec(f.host('h1').netns, ['bridge', 'fdb', 'show'])).stdout;
      if (!fdb.includes('dst 10.254.0.13')) break;
      if (performance.now() - t0 > (TTL + 10) * 1000) return 'NOT GONE';
      await new Promise((r) => setTimeout(r, 100));
    }
    return `gone after ${ms(performance.now() - t0, 0)}`;
  });
  await f.startAgent('h3');
  await new Promise((r) => setTimeout(r, 3000));
  await phase('agent restart, nothing changed → ready', async () => {
    await f.stopAgent('h2', 'SIGTERM');
    const t0 = performance.now();
    await f.startAgent('h2');
    const took = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1500));
    const log = await f.agentLog('h2', 6);
    const after = log.slice(log.lastIndexOf('"lease re-used"'));
    const sent = /"msg":"pass","ms":\d+,"changes":[1-9]/.test(after);
    if (sent) console.error(after);
    return `ready after ${ms(took, 0)} (the process included); ${sent ? 'SENT CHANGES' : 'no state-changing command'}`;
  });
  await f.cli(['destroy', file]);
  await f.cli(['destroy', join(f.dir, 'small.json')]);
} finally {
  store.close();
  if (args.flag('debug')) {
    const { copyFile } = await import('node:fs/promises');
    for (const h of HOSTS) await copyFile(f.host(h).log, `/tmp/bench-multihost-${h}.log`).catch(() => {});
  }
  const leaks = await f.stop();
  if (leaks.length) console.error('LEFT:', leaks);
}

report(args, { n: N, small: SMALL, phases, ...extra }, () =>
  [
    table(
      ['phase', 'ms', 'revisions', 'store bytes', 'etcd cpu ms', 'note'],
      phases.map((p) => [p.phase, p.ms, p.keys, p.bytes, p.etcdCpuMs, p.note]),
    ),
    '',
    `l2pop put → FDB entry on another host: p50 ${ms(extra.l2popP50!)}, p99 ${ms(extra.l2popP99!)} (${extra.l2popSeen}/${SAMPLES} seen)`,
    `floor, etcd put → watch event: p50 ${ms(extra.watchFloorP50!)}`,
    `agent RSS at N=${N}: ${extra.agentRssMb!.toFixed(0)} MB`,
  ].join('\n'),
);
