/**
 * L3 router benchmark: one router with 2 internal networks, a gateway and N floating IPs (default 50)
 * on a simulated host (a bench namespace; Linux bridge driver), through observe -> plan -> engine as
 * `processRouter` does it, against a floor written by hand and run in the same process on the same
 * machine: `ip netns add`, one `ip -batch` per namespace (the host's, the router's) and one
 * `iptables-restore`.
 *
 * Per round:
 *  - build from nothing (the networks' bridges exist) vs the floor's build of the same state (checked:
 *    tenantnet plans nothing on the floor's router);
 *  - re-apply unchanged: time, and the state-changing commands sent (must be 0);
 *  - add one floating IP, then remove it, at N and on a second router with SMALL floating IPs (default
 *    5), vs the floor's add (one batch: address and announcement; one restore: three rules);
 *  - delete vs the floor's (`ip netns del`), each timed until the host no longer lists the router's
 *    veth ends (the kernel tears a namespace down after `ip netns del` returns; `deleteRouter` waits
 *    for that itself, the floor polls with `ip -n HOST link show`).
 * Reports medians, processes and round trips per step (countingExecutors).
 *
 * Usage: node --import tsx bench/router.ts [--n 50] [--small 5] [--rounds 5] [--json]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/exec/run.js';
import { linkMark, networkBridge } from '../src/interface/layout.js';
import { LinuxBridgeInterfaceDriver } from '../src/interface/linuxbridge.js';
import { closeIpBatches } from '../src/ip/executor.js';
import { type RouterSpec, routerDesired, routerSpec } from '../src/l3/desired.js';
import { ROUTER_SYSCTLS } from '../src/l3/namespace.js';
import { floatingIpRules, L3_PREFIX } from '../src/l3/nat.js';
import { deleteRouter, processRouter, type RouterOutcome } from '../src/l3/router.js';
import { buildModel } from '../src/model/build.js';
import type { Model, TopologyInput } from '../src/model/types.js';
import { applyChanges, assertApplied } from '../src/reconcile/apply.js';
import {
  type CountingExecutors,
  countingExecutors,
  readRoundTrips,
  stateChanging,
} from '../src/reconcile/counting.js';
import type { Executors } from '../src/reconcile/executors.js';
import { Observation } from '../src/reconcile/observation.js';
import { type RealExecutors, realExecutors } from '../src/reconcile/real-executors.js';
import { benchArgs, median, ms, ratioLine, report, table, timed } from './harness.js';

const args = benchArgs({ rounds: 5 });
const N = args.num('n', 50);
const SMALL = args.num('small', 5);
const PREFIX = `b${randomBytes(2).toString('hex')}`;
const driver = new LinuxBridgeInterfaceDriver();

/** The topology of one bench router: `fips` floating IPs, instances for one more. */
function input(name: string, fips: number, withExtra: boolean): TopologyInput {
  const count = fips + 1;
  const vms = Array.from({ length: count }, (_, i) => ({
    name: `vm${i}`,
    network: i % 2 ? 'b' : 'a',
    ip: `10.${i % 2 ? 2 : 1}.${1 + (i >> 8)}.${(i & 255) + 1 === 256 ? 2 : (i & 255) + 10}`,
    address: 'static' as const,
  }));
  return {
    name,
    backend: 'linuxbridge',
    networks: [
      { name: 'a', cidr: '10.1.0.0/16', dhcp: false },
      { name: 'b', cidr: '10.2.0.0/16', dhcp: false },
      { name: 'ext', cidr: '172.24.0.0/16', dhcp: false, external: true },
    ],
    routers: [
      {
        name: 'r1',
        gateway: { network: 'ext', ip: '172.24.0.2' },
        interfaces: ['a', 'b'],
        routes: [{ destination: '10.50.0.0/24', nexthop: '10.1.0.254' }],
      },
    ],
    instances: vms,
    floatingIps: vms
      .slice(0, withExtra ? count : fips)
      .map((v, i) => ({ instance: v.name, address: `172.24.${1 + (i >> 8)}.${(i & 255) + 1}` })),
  };
}

/** One bench router: its models (N and N+1 floating IPs) and names. */
interface Bench {
  readonly name: string;
  readonly base: Model;
  readonly plus: Model;
  readonly spec: RouterSpec;
  readonly plusSpec: RouterSpec;
}

function bench(x: RealExecutors, name: string, fips: number): Bench {
  const base = buildModel(input(name, fips, false));
  const plus = buildModel(input(name, fips, true));
  return {
    name,
    base,
    plus,
    spec: routerSpec(routerDesired(base, 'r1'), x.host.netnsPrefix),
    plusSpec: routerSpec(routerDesired(plus, 'r1'), x.host.netnsPrefix),
  };
}

/** The networks' Linux bridges, made once (they are the networks', not the router's). */
async function networks(x: RealExecutors, m: Model): Promise<void> {
  const obs = new Observation(x);
  const changes = [];
  for (const n of m.networks) changes.push(...driver.planNetwork(n, await driver.observeNetwork(obs, n)));
  assertApplied(await applyChanges(changes, x));
}

interface Step {
  ms: number;
  stateChanging: number;
  roundTrips: number;
  processes: number;
}

/**
 * Runs a router verb through the counting bundle (one for the whole run: what a long-lived process
 * keeps between applies, such as a router's iptables manager, is keyed by its executors): time and
 * what reached the kernel.
 */
async function measure(c: CountingExecutors, fn: (x: Executors) => Promise<RouterOutcome>): Promise<Step> {
  c.reset();
  const t = await timed(() => fn(c.executors));
  return {
    ms: t,
    stateChanging: stateChanging(c.counts),
    roundTrips: readRoundTrips(c.counts),
    processes:
      c.counts.iptables.saves +
      c.counts.iptables.restores +
      c.counts.processes.runs +
      c.counts.conntrack.deletes,
  };
}

/** Waits until none of `devices` is listed in the host namespace (the kernel's teardown is done). */
async function untilGone(host: string, devices: readonly string[]): Promise<void> {
  for (;;) {
    const r = await run(['ip', '-n', host, '-o', 'link', 'show'], { check: false });
    if (!devices.some((d) => r.stdout.includes(`${d}@`) || r.stdout.includes(`${d}:`))) return;
    await new Promise((res) => setTimeout(res, 2));
  }
}

function taps(spec: RouterSpec): string[] {
  return [...spec.interfaces, spec.gateway!.port].map((p) => `tap${p.request.port.id.slice(0, 11)}`);
}

// ---------------------------------------------------------------------------------------------
// The floor: what a person who knows the answer would type. One batch per namespace, one restore.
// ---------------------------------------------------------------------------------------------

function floorHostLines(spec: RouterSpec): string[] {
  const lines: string[] = [];
  const sysctls: string[] = [];
  for (const p of [...spec.interfaces, spec.gateway!.port]) {
    const r = p.request;
    const tap = `tap${r.port.id.slice(0, 11)}`;
    const mark = linkMark(r.port.owner);
    lines.push(
      `link add name ${tap} group ${mark.group} mtu ${r.network.mtu} type veth peer name ${r.device} group ${mark.group} mtu ${r.network.mtu} address ${r.port.mac} netns ${spec.namespace}`,
      `link set dev ${tap} alias ${mark.alias} master ${networkBridge(r.network)} up`,
    );
    sysctls.push(`net.ipv6.conf.${tap}.disable_ipv6=1`);
  }
  return [...lines, `netns exec HOST sysctl -q -w ${sysctls.join(' ')}`];
}

function floorRouterLines(spec: RouterSpec): string[] {
  const gw = spec.gateway!;
  const qg = gw.port.request.device;
  const sysctls = Object.entries(ROUTER_SYSCTLS).map(([k, v]) => `${k}=${v}`);
  const lines = [
    `link set dev lo alias ${linkMark(spec.owner).alias} up`,
    `netns exec ${spec.namespace} sysctl -q -w ${sysctls.join(' ')}`,
  ];
  for (const p of [...spec.interfaces, gw.port]) {
    lines.push(`link set dev ${p.request.device} alias ${linkMark(p.request.port.owner).alias} up`);
    for (const c of p.cidrs) lines.push(`addr add ${c} dev ${p.request.device}`);
  }
  for (const f of spec.floatingIps) lines.push(`addr add ${f.address}/32 dev ${qg}`);
  lines.push(
    `route replace default via ${gw.nexthop} dev ${qg}`,
    `link set dev ${qg} address ${gw.port.request.port.mac}`,
  );
  for (const r of spec.routes) lines.push(`route replace ${r.destination} via ${r.nexthop}`);
  return lines;
}

async function batch(ns: string, lines: readonly string[]): Promise<void> {
  await run(['ip', '-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

async function floorBuild(host: string, spec: RouterSpec, restore: string): Promise<void> {
  // `netns add` in the root namespace's ip (inside `ip -n`, its mount would stay private to it).
  await run(['ip', 'netns', 'add', spec.namespace]);
  await batch(
    host,
    floorHostLines(spec).map((l) => l.replace('netns exec HOST', `netns exec ${host}`)),
  );
  await batch(spec.namespace, floorRouterLines(spec));
  await run(['iptables-restore', '-w'], { namespace: spec.namespace, input: restore });
}

async function floorAdd(spec: RouterSpec, plus: RouterSpec): Promise<void> {
  const added = plus.floatingIps.find((f) => !spec.floatingIps.some((g) => g.address === f.address))!;
  const gw = plus.gateway!;
  await batch(plus.namespace, [
    `addr add ${added.address}/32 dev ${gw.port.request.device}`,
    `link set dev ${gw.port.request.device} address ${gw.port.request.port.mac}`,
  ]);
  const r = floatingIpRules(added.address, added.fixedIp);
  const c = (chain: string) => `tn-${L3_PREFIX}-${chain}`;
  await run(['iptables-restore', '-w', '--noflush'], {
    namespace: plus.namespace,
    input: `*nat\n-I ${c('PREROUTING')} 1 ${r.PREROUTING}\n-I ${c('OUTPUT')} 1 ${r.OUTPUT}\n-I ${c('float-snat')} 1 ${r['float-snat']}\nCOMMIT\n`,
  });
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'tn-bench-l3-'));
  const host = `${PREFIX}-host`;
  await run(['ip', 'netns', 'add', host]);
  await run(['ip', '-n', host, 'link', 'set', 'lo', 'up']);
  const x = realExecutors({ hostNamespace: host, netnsPrefix: `${PREFIX}-`, stateDir });
  const big = bench(x, `${PREFIX}n`, N);
  const small = bench(x, `${PREFIX}s`, SMALL);
  const opts = (y: Executors) => ({ executors: y, driver });
  const c = countingExecutors(x);
  const rounds: Record<string, number>[] = [];
  let sentOnReapply = 0;
  let floorMatches = true;
  try {
    await networks(x, big.base);
    await networks(x, small.base);
    await processRouter(routerDesired(small.base, 'r1'), opts(x));
    // The floor restores the very tables tenantnet ends with (captured once, outside any timing).
    await processRouter(routerDesired(big.base, 'r1'), opts(x));
    const restore = (await run(['iptables-save'], { namespace: big.spec.namespace })).stdout
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]$/, '[0:0]'))
      .join('\n');
    await deleteRouter({ topology: big.name, name: 'r1' }, opts(x));
    await untilGone(host, taps(big.spec));

    for (let round = 0; round < args.rounds; round++) {
      const build = await measure(c, (y) => processRouter(routerDesired(big.base, 'r1'), opts(y)));
      const reapply = await measure(c, (y) => processRouter(routerDesired(big.base, 'r1'), opts(y)));
      sentOnReapply += reapply.stateChanging;
      const add = await measure(c, (y) => processRouter(routerDesired(big.plus, 'r1'), opts(y)));
      const remove = await measure(c, (y) => processRouter(routerDesired(big.base, 'r1'), opts(y)));
      const addSmall = await measure(c, (y) => processRouter(routerDesired(small.plus, 'r1'), opts(y)));
      const removeSmall = await measure(c, (y) => processRouter(routerDesired(small.base, 'r1'), opts(y)));
      // deleteRouter returns once the kernel has torn the namespace down (its veths' host ends gone).
      const del = await timed(() => deleteRouter({ topology: big.name, name: 'r1' }, opts(x)));
      await untilGone(host, taps(big.spec));
      await closeIpBatches();

      const floor = await timed(() => floorBuild(host, big.spec, restore));
      // The floor built what tenantnet builds: planning the router on it sends nothing.
      const check = await processRouter(routerDesired(big.base, 'r1'), opts(x));
      if (check.operations !== 0) {
        floorMatches = false;
        if (round === 0) console.error(check.planned.map((c) => c.summary).join('\n'));
      }
      const floorAddMs = await timed(() => floorAdd(big.spec, big.plusSpec));
      await processRouter(routerDesired(big.base, 'r1'), opts(x));
      await closeIpBatches();
      const floorDel = await timed(async () => {
        await run(['ip', 'netns', 'del', big.spec.namespace]);
        await untilGone(host, taps(big.spec));
      });
      rounds.push({
        build: build.ms,
        buildProcesses: build.processes,
        buildRoundTrips: build.roundTrips,
        floor,
        reapply: reapply.ms,
        reapplySent: reapply.stateChanging,
        add: add.ms,
        addSent: add.stateChanging,
        remove: remove.ms,
        addSmall: addSmall.ms,
        removeSmall: removeSmall.ms,
        floorAdd: floorAddMs,
        del,
        floorDel,
      });
    }
  } finally {
    await deleteRouter({ topology: big.name, name: 'r1' }, opts(x)).catch(() => {});
    await deleteRouter({ topology: small.name, name: 'r1' }, opts(x)).catch(() => {});
    await x.close();
    for (const ns of [big.spec.namespace, small.spec.namespace, host]) {
      await run(['ip', 'netns', 'del', ns], { check: false });
    }
    await rm(stateDir, { recursive: true, force: true });
  }

  const m = (k: string) => median(rounds.map((r) => r[k]!));
  const figures = {
    n: N,
    small: SMALL,
    rounds: args.rounds,
    medians: Object.fromEntries(Object.keys(rounds[0] ?? {}).map((k) => [k, m(k)])),
    ratios: {
      build: m('build') / m('floor'),
      add: m('add') / m('floorAdd'),
      addAtNvsSmall: m('add') / m('addSmall'),
      delete: m('del') / m('floorDel'),
    },
    sentOnReapply,
    floorMatches,
  };
  report(args, figures, () =>
    [
      `L3 router: 2 internal networks, a gateway, ${N} floating IPs (small: ${SMALL}); ${args.rounds} rounds, medians`,
      table(
        ['step', 'tenantnet', 'floor'],
        [
          ['build from nothing', ms(m('build')), ms(m('floor'))],
          ['re-apply unchanged', ms(m('reapply')), '-'],
          [`add one floating IP (N=${N})`, ms(m('add')), ms(m('floorAdd'))],
          [`add one floating IP (N=${SMALL})`, ms(m('addSmall')), '-'],
          [`remove one floating IP (N=${N})`, ms(m('remove')), '-'],
          [`remove one floating IP (N=${SMALL})`, ms(m('removeSmall')), '-'],
          ['delete (until the kernel is done)', ms(m('del')), ms(m('floorDel'))],
        ],
      ),
      ratioLine('build / floor', figures.ratios.build, '<= 1.5x'),
      ratioLine('add one / floor', figures.ratios.add, '<= 2x'),
      ratioLine(`add one at N=${N} / at N=${SMALL}`, figures.ratios.addAtNvsSmall, '~ 1x'),
      ratioLine('delete / floor', figures.ratios.delete, '<= 1.2x'),
      `state-changing commands on unchanged re-applies: ${sentOnReapply} (target 0)`,
      `build: ${m('buildProcesses')} processes (iptables, commands), ${m('buildRoundTrips')} read round trips`,
      `the floor builds exactly tenantnet's router: ${floorMatches ? 'yes' : 'NO'}`,
    ].join('\n'),
  );
}

await main();
