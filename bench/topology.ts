/**
 * Topology benchmark: one host's whole deployment (src/deploy, what `tenantnet apply` runs) of a
 * generated topology — 4 routers, 16 networks with DHCP, 200 instances (every one addressed by DHCP,
 * security groups on most), 40 floating IPs — on a simulated host (a private Open vSwitch on the
 * netdev datapath, its namespace standing for the host).
 *
 * Steps, each timed, with the processes spawned and the state-changing operations sent:
 *  - apply from nothing, until every instance holds its address (its DHCP client proved the lease);
 *  - re-apply unchanged (must send nothing);
 *  - add one instance, at N instances and on a second topology of SMALL instances (the same cost is
 *    the target: nothing is done per existing instance but reading);
 *  - destroy (until the kernel has torn every namespace down).
 * The floor, measured in the same run: `ip netns add` of as many namespaces in one `ip -batch` and
 * one OVSDB transaction adding as many internal ports (the least any tool must do for this state).
 * Also the peak RSS of the process.
 *
 * Usage: node --import tsx bench/topology.ts [--n 200] [--small 20] [--json]
 */
import childProcess from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyDeployment,
  type DeploymentResult,
  destroyDeployment,
  planDeployment,
} from '../src/deploy/index.js';
import { run } from '../src/exec/run.js';
import { buildModel } from '../src/model/build.js';
import type { Model, TopologyInput } from '../src/model/types.js';
import { type CountingExecutors, countingExecutors, stateChanging } from '../src/reconcile/counting.js';
import { realExecutors } from '../src/reconcile/real-executors.js';
import { OvsSandbox } from '../test/fakes/ovs-sandbox.js';
import { benchArgs, ms, report, table, timed } from './harness.js';

const args = benchArgs({ rounds: 1 });
const N = args.num('n', 200);
const SMALL = args.num('small', 20);
const ROUTERS = 4;
const NETWORKS = 16;
const FIPS = Math.min(40, N);

// Every process the bench starts (ip coprocesses, iptables, dnsmasq, udhcpc…): spawn is counted.
let spawned = 0;
const realSpawn = childProcess.spawn;
childProcess.spawn = ((...a: Parameters<typeof realSpawn>) => {
  spawned++;
  return realSpawn(...a);
}) as typeof realSpawn;
syncBuiltinESMExports();

let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

/** The generated topology: `n` instances over 16 networks behind 4 routers, 40 floating IPs. */
function topology(name: string, n: number, extra = 0): TopologyInput {
  const networks = Array.from({ length: NETWORKS }, (_, i) => ({
    name: `net${i}`,
    cidr: `10.${60 + i}.0.0/24`,
  }));
  return {
    name,
    backend: 'ovs',
    networks: [...networks, { name: 'ext', cidr: '172.30.0.0/22', external: true, dhcp: false }],
    routers: Array.from({ length: ROUTERS }, (_, r) => ({
      name: `r${r}`,
      gateway: { network: 'ext', ip: `172.30.0.${10 + r}` },
      interfaces: networks.filter((_, i) => i % ROUTERS === r).map((x) => x.name),
    })),
    securityGroups: [
      {
        name: 'web',
        rules: [
          { direction: 'ingress', protocol: 'tcp', port: 80 },
          { direction: 'ingress', protocol: 'icmp', remoteGroup: 'web' },
          { direction: 'egress' },
        ],
      },
      {
        name: 'db',
        rules: [
          { direction: 'ingress', protocol: 'tcp', port: 5432, remoteGroup: 'web' },
          { direction: 'egress' },
        ],
      },
    ],
    instances: Array.from({ length: n + extra }, (_, i) => ({
      name: `vm${i}`,
      network: `net${i % NETWORKS}`,
      ...(i % 10 === 9 ? {} : { securityGroups: [i % 2 ? 'db' : 'web'] }),
    })),
    floatingIps: Array.from({ length: Math.min(FIPS, n) }, (_, i) => ({ instance: `vm${i}` })),
  };
}

interface Step {
  ms: number;
  /** Time per pass and phase of each apply round (ms), and the plan before them. */
  phases: Record<string, number>;
  processes: number;
  operations: number;
  stateChanging: number;
}

async function step(c: CountingExecutors, fn: () => Promise<DeploymentResult>): Promise<Step> {
  c.reset();
  const before = spawned;
  let result: DeploymentResult | null = null;
  const t = await timed(async () => {
    result = await fn();
    if (!result.ok) throw new Error('bench: an apply failed');
  });
  const r = result as unknown as DeploymentResult;
  const phases: Record<string, number> = {};
  r.results.forEach((res, round) => {
    for (const p of res.timings) phases[`${round ? 'clients ' : ''}${p.pass} ${p.phase}`] = p.ms;
  });
  const applied = Object.values(phases).reduce((x, y) => x + y, 0);
  phases['plan and the rest'] = t - applied;
  return {
    ms: t,
    phases,
    processes: spawned - before,
    operations: r.changes,
    stateChanging: stateChanging(c.counts),
  };
}

async function main() {
  const ovs = await OvsSandbox.start();
  const dir = await mkdtemp(join(tmpdir(), 'tn-bench-topo-'));
  await chmod(dir, 0o755);
  const tag = randomBytes(2).toString('hex');
  const x = realExecutors({
    hostNamespace: ovs.netns,
    netnsPrefix: `bt${tag}-`,
    stateDir: join(dir, 'state'),
    ovsdbSocket: ovs.socketPath,
    ovs: { datapathType: 'netdev' },
  });
  const c = countingExecutors(x);
  const big = `big${tag}`;
  const small = `small${tag}`;
  try {
    // Floor: as many namespaces in one ip -batch, as many internal ports in one OVSDB transaction.
    const floorNs = Array.from({ length: N }, (_, i) => `btf${tag}-${i}`);
    const floor = await timed(async () => {
      await run(['ip', '-batch', '-'], { input: floorNs.map((n) => `netns add ${n}\n`).join('') });
      const add = floorNs.flatMap((_, i) => [
        '--',
        'add-port',
        'br-floor',
        `btf${tag}p${i}`,
        '--',
        'set',
        'Interface',
        `btf${tag}p${i}`,
        'type=internal',
      ]);
      await run(
        [
          'ovs-vsctl',
          '--db',
          `unix:${ovs.socketPath}`,
          '--may-exist',
          'add-br',
          'br-floor',
          '--',
          'set',
          'Bridge',
          'br-floor',
          'datapath_type=netdev',
          ...add,
        ],
        { timeoutMs: 120_000 },
      );
    });
    await run(['ovs-vsctl', '--db', `unix:${ovs.socketPath}`, 'del-br', 'br-floor'], { timeoutMs: 120_000 });
    await run(['ip', '-batch', '-'], { input: floorNs.map((n) => `netns del ${n}\n`).join('') });

    const m1: Model = buildModel(topology(big, N));
    const applyNothing = await step(c, () => applyDeployment(m1, c.executors));
    const reapply = await step(c, () => applyDeployment(m1, c.executors));
    const planMs = await timed(() => planDeployment(m1, c.executors));
    const m2 = buildModel(topology(big, N, 1), { previous: m1 });
    const addOne = await step(c, () => applyDeployment(m2, c.executors));
    const s1 = buildModel(topology(small, SMALL));
    await applyDeployment(s1, c.executors);
    const s2 = buildModel(topology(small, SMALL, 1), { previous: s1 });
    const addOneSmall = await step(c, () => applyDeployment(s2, c.executors));
    await destroyDeployment(small, c.executors);
    const destroy = await step(c, () => destroyDeployment(big, c.executors));
    const figures = {
      n: N,
      small: SMALL,
      floorMs: floor,
      applyFromNothing: applyNothing,
      reapplyUnchanged: reapply,
      planUnchangedMs: planMs,
      addOneInstance: addOne,
      addOneInstanceSmall: addOneSmall,
      destroy,
      peakRssMb: peakRss / 2 ** 20,
    };
    report(args, figures, () =>
      [
        `topology: ${ROUTERS} routers, ${NETWORKS} networks (DHCP), ${N} instances (DHCP clients), ${FIPS} floating IPs; private OVS, netdev`,
        table(
          ['step', 'time', 'processes', 'operations'],
          [
            ['floor: netns add + OVS ports (N)', ms(floor, 0), '2', ''],
            [
              'apply from nothing',
              ms(applyNothing.ms, 0),
              String(applyNothing.processes),
              String(applyNothing.operations),
            ],
            ['re-apply unchanged', ms(reapply.ms, 0), String(reapply.processes), String(reapply.operations)],
            [
              `add one instance (N=${N})`,
              ms(addOne.ms, 0),
              String(addOne.processes),
              String(addOne.operations),
            ],
            [
              `add one instance (N=${SMALL})`,
              ms(addOneSmall.ms, 0),
              String(addOneSmall.processes),
              String(addOneSmall.operations),
            ],
            ['destroy', ms(destroy.ms, 0), String(destroy.processes), String(destroy.operations)],
          ],
        ),
        `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`,
        `add one instance (N=${N}), by phase: ${Object.entries(addOne.phases)
          .filter(([, v]) => v >= 1)
          .map(([k, v]) => `${k} ${ms(v, 0)}`)
          .join(', ')}`,
      ].join('\n'),
    );
  } finally {
    await destroyDeployment(big, x).catch(() => {});
    await destroyDeployment(small, x).catch(() => {});
    await x.close();
    await ovs.stop();
    await rm(dir, { recursive: true, force: true });
    clearInterval(rssTimer);
  }
}

await main();
