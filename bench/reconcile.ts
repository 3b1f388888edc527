/**
 * Reconcile benchmark: N namespaces (default 100) on a simulated host (a private Open vSwitch whose
 * vswitchd namespace stands for the host), each with a veth pair to the host (2 addresses and a
 * route inside) and an OVS internal port moved into it, all marked; built through the engine from
 * observation and the kernel planners, as `tenantnet apply` would.
 *
 * Per round:
 *  - apply from nothing (a fresh process: the ip coprocesses are started anew) against the floor, a
 *    hand-written build of the same state: one OVSDB transaction, one `ip -batch` for the namespace
 *    files, one for the host, one per namespace (run side by side), each a new process;
 *  - re-apply unchanged (same process; and from a fresh process), which must send nothing;
 *  - change one namespace (add or remove a third address), planned for that namespace only, at N and
 *    at a small state (default 10) kept beside it: the cost must not grow with N;
 *  - destroy (plan towards nothing): time until the kernel no longer lists the namespaces and the
 *    host's veth ends, and apart from it ovs-vswitchd closing the ports' devices.
 * Reports medians, the phases' times, processes spawned and round trips per step (countingExecutors).
 *
 * Usage: node --import tsx bench/reconcile.ts [--n 100] [--small 10] [--rounds 3] [--json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ipBatch } from '../src/ip/executor.js';
import { type ApplyResult, applyChanges, assertApplied } from '../src/reconcile/apply.js';
import { countingExecutors, type ExecutorCounts, stateChanging } from '../src/reconcile/counting.js';
import { OvsSandbox } from '../test/fakes/ovs-sandbox.js';
import { benchArgs, median, ms, ratioLine, report, table } from './harness.js';
import { devicesGone, floor, floorDestroy, plan, range, type World, world } from './reconcile-world.js';

const args = benchArgs({ rounds: 3 });
const N = args.num('n', 100);
const SMALL = args.num('small', 10);
const CHANGES_PER_ROUND = 10;

/** ip coprocesses started so far for the world's places (each start is a process spawned). */
function ipStarts(w: World, namespaces = true): number {
  let n = 0;
  for (const ns of [null, w.host, ...(namespaces ? range(w.n).map(w.ns) : [])])
    for (const f of [4, 6] as const) n += ipBatch(ns, f).generation;
  return n;
}

interface Measured {
  ms: number;
  planMs: number;
  applyMs: number;
  changes: number;
  stateChanging: number;
  roundTrips: number;
  ipProcesses: number;
  otherProcesses: number;
  phases: Record<string, number>;
}

/** Plans and applies through a counting bundle; times both and counts what was sent. */
async function measure(
  w: World,
  which: readonly number[],
  want: 'present' | 'absent',
  onApplied?: (r: ApplyResult) => void,
): Promise<Measured> {
  const c = countingExecutors(w.x);
  const spawnedBefore = ipStarts(w);
  const t0 = performance.now();
  const changes = await plan(w, which, want, c.executors);
  const t1 = performance.now();
  const result = assertApplied(await applyChanges(changes, c.executors));
  const t2 = performance.now();
  onApplied?.(result);
  return {
    ms: t2 - t0,
    planMs: t1 - t0,
    applyMs: t2 - t1,
    changes: result.changes,
    stateChanging: stateChanging(c.counts),
    roundTrips: roundTrips(c.counts),
    ipProcesses: ipStarts(w) - spawnedBefore,
    otherProcesses:
      c.counts.processes.runs +
      c.counts.iptables.saves +
      c.counts.iptables.restores +
      c.counts.ipset.saves +
      c.counts.ipset.restores,
    phases: Object.fromEntries(result.timings.map((p) => [`${p.pass}/${p.phase}`, p.ms])),
  };
}

// Requests that waited for an answer: ip calls (each one pipelined round per coprocess), OVSDB
// transactions and vswitchd waits, tool runs, file reads and writes.
function roundTrips(c: ExecutorCounts): number {
  return (
    c.ip.readCalls +
    c.ip.writeCalls +
    c.ovs.readTransactions +
    c.ovs.writeTransactions +
    c.ovs.waits +
    c.iptables.saves +
    c.iptables.restores +
    c.ipset.saves +
    c.ipset.restores +
    c.conntrack.deletes +
    c.processes.runs +
    c.files.reads +
    c.files.writes +
    c.files.removes +
    c.files.lists
  );
}

/** Destroy through the engine: until the devices are gone, and the whole apply (with vswitchd). */
async function destroy(w: World): Promise<{
  devicesMs: number;
  planMs: number;
  namespacesDeletedMs: number;
  applyMs: number;
  vswitchdMs: number;
  namespacePhaseMs: number;
  changes: number;
  roundTrips: number;
  ipProcesses: number;
}> {
  const c = countingExecutors(w.x);
  // The namespaces' own ip processes are let go with them: count the root's and the host's.
  const spawnedBefore = ipStarts(w, false);
  const t0 = performance.now();
  const changes = await plan(w, range(w.n), 'absent', c.executors);
  const planMs = performance.now() - t0;
  let namespacesDeletedMs = 0;
  let gone: Promise<number> | null = null;
  const result = assertApplied(
    await applyChanges(changes, c.executors, {
      // The namespaces are deleted in the last phase of the deletions, before vswitchd is waited for.
      onProgress: (e) => {
        if (e.type === 'phase-done' && e.pass === 'delete' && e.phase === 'namespace') {
          namespacesDeletedMs = performance.now() - t0;
          gone = devicesGone(w, t0);
        }
      },
    }),
  );
  const applyMs = performance.now() - t0;
  const devicesMs = await (gone ?? devicesGone(w, t0));
  const ns = result.timings.find((p) => p.pass === 'delete' && p.phase === 'namespace')?.ms ?? 0;
  return {
    devicesMs,
    planMs,
    namespacesDeletedMs,
    applyMs,
    vswitchdMs: result.vswitchdWaitMs,
    namespacePhaseMs: ns,
    changes: result.changes,
    roundTrips: roundTrips(c.counts),
    ipProcesses: ipStarts(w, false) - spawnedBefore,
  };
}

// Untimed: ovs-vswitchd goes on setting up new ports' receive queues after it reported the change
// applied, and a re-apply or destroy comes long after a build in real use.
const settle = () => new Promise((r) => setTimeout(r, 1000));

async function main(): Promise<void> {
  const ovs = await OvsSandbox.start();
  const stateDir = await mkdtemp(join(tmpdir(), 'tn-bench-'));
  const big = await world('a', N, ovs, stateDir);
  const small = await world('s', SMALL, ovs, stateDir);
  const r = {
    build: [] as Measured[],
    floor: [] as number[],
    floorDestroy: [] as number[],
    reapplyWarm: [] as Measured[],
    reapplyFresh: [] as Measured[],
    changeBig: [] as Measured[],
    changeSmall: [] as Measured[],
    destroy: [] as Awaited<ReturnType<typeof destroy>>[],
  };
  try {
    await measure(small, range(SMALL), 'present');
    for (let round = 0; round < args.rounds; round++) {
      const order = round % 2 === 0 ? ['engine', 'floor'] : ['floor', 'engine'];
      for (const way of order) {
        await big.x.close(); // a fresh process: no ip coprocess, no OVSDB connection yet
        if (way === 'floor') {
          r.floor.push(await floor(big, ovs));
          await settle();
          r.floorDestroy.push(await floorDestroy(big));
          continue;
        }
        r.build.push(await measure(big, range(N), 'present'));
        await settle();
        r.reapplyWarm.push(await measure(big, range(N), 'present'));
        // Change one namespace, alternately in the big and the small state (same load for both, both
        // with their ip processes running: the small state is read whole once first).
        await measure(small, range(SMALL), 'present');
        for (let k = 0; k < CHANGES_PER_ROUND; k++) {
          const pair = [
            [big, r.changeBig],
            [small, r.changeSmall],
          ] as const;
          // Which goes first alternates, so neither always follows the other.
          for (const [w, into] of k % 2 === 0 ? pair : [...pair].reverse()) {
            const i = (round * CHANGES_PER_ROUND + k) % w.n;
            if (w.extra.has(i)) w.extra.delete(i);
            else w.extra.add(i);
            const m = await measure(w, [i], 'present');
            if (m.changes !== 1) throw new Error(`change one: ${m.changes} operations, expected 1`);
            into.push(m);
          }
        }
        await big.x.close();
        r.reapplyFresh.push(await measure(big, range(N), 'present'));
        await settle();
        r.destroy.push(await destroy(big));
      }
    }
  } finally {
    await measure(small, range(SMALL), 'absent').catch(() => {});
    await plan(big, range(N), 'absent')
      .then((c) => applyChanges(c, big.x))
      .catch(() => {});
    await big.x.close();
    await small.x.close();
    await ovs.stopChecked().catch((e: unknown) => console.error(String(e)));
    await rm(stateDir, { recursive: true, force: true });
  }
  for (const m of r.reapplyWarm)
    if (m.stateChanging !== 0) throw new Error(`re-apply sent ${m.stateChanging} commands`);
  const med = (xs: readonly Measured[], k: keyof Measured) => median(xs.map((x) => x[k] as number));
  const phases = (xs: readonly Measured[]) => {
    const keys = Object.keys(xs[0]?.phases ?? {});
    return Object.fromEntries(keys.map((k) => [k, median(xs.map((x) => x.phases[k] ?? 0))]));
  };
  const summary = (xs: readonly Measured[]): Summary => ({
    ms: med(xs, 'ms'),
    planMs: med(xs, 'planMs'),
    applyMs: med(xs, 'applyMs'),
    changes: med(xs, 'changes'),
    stateChangingCommands: med(xs, 'stateChanging'),
    roundTrips: med(xs, 'roundTrips'),
    ipProcesses: med(xs, 'ipProcesses'),
    otherProcesses: med(xs, 'otherProcesses'),
    phasesMs: phases(xs),
  });
  const figures = {
    n: N,
    small: SMALL,
    rounds: args.rounds,
    build: summary(r.build),
    floorMs: median(r.floor),
    reapplyWarm: summary(r.reapplyWarm),
    reapplyFresh: summary(r.reapplyFresh),
    changeOne: { atN: summary(r.changeBig), atSmall: summary(r.changeSmall) },
    destroy: {
      devicesGoneMs: median(r.destroy.map((d) => d.devicesMs)),
      planMs: median(r.destroy.map((d) => d.planMs)),
      namespacesDeletedMs: median(r.destroy.map((d) => d.namespacesDeletedMs)),
      floorDevicesGoneMs: median(r.floorDestroy),
      namespacePhaseMs: median(r.destroy.map((d) => d.namespacePhaseMs)),
      vswitchdWaitMs: median(r.destroy.map((d) => d.vswitchdMs)),
      wholeApplyMs: median(r.destroy.map((d) => d.applyMs)),
      changes: median(r.destroy.map((d) => d.changes)),
      roundTrips: median(r.destroy.map((d) => d.roundTrips)),
      ipProcesses: median(r.destroy.map((d) => d.ipProcesses)),
      perRound: r.destroy.map((d, i) => ({ ...d, floorDevicesGoneMs: r.floorDestroy[i] })),
    },
    ratios: {
      buildOverFloor: med(r.build, 'ms') / median(r.floor),
      changeOneNOverSmall: med(r.changeBig, 'ms') / med(r.changeSmall, 'ms'),
    },
  };
  report(args, figures, () =>
    [
      `reconcile bench: ${N} namespaces (veth pair, 2 addresses, a route, an OVS internal port each), ${args.rounds} rounds, medians`,
      table(
        [
          'step',
          'total',
          'plan',
          'apply',
          'ops sent',
          'state cmds',
          'round trips',
          'ip procs',
          'other procs',
        ],
        [
          ['apply from nothing', ...row(figures.build)],
          ['re-apply unchanged', ...row(figures.reapplyWarm)],
          ['  from a fresh process', ...row(figures.reapplyFresh)],
          [`change one (N=${N})`, ...row(figures.changeOne.atN)],
          [`change one (N=${SMALL})`, ...row(figures.changeOne.atSmall)],
        ],
      ),
      `floor (hand-written: 1 OVSDB transaction, ${N + 2} ip batches): ${ms(figures.floorMs)}`,
      `apply from nothing by phase: ${Object.entries(figures.build.phasesMs)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
      `destroy: plan ${ms(figures.destroy.planMs)}, namespaces deleted at ${ms(figures.destroy.namespacesDeletedMs)} (namespace phase ${ms(figures.destroy.namespacePhaseMs)}), devices gone at ${ms(figures.destroy.devicesGoneMs)} (floor: ${ms(figures.destroy.floorDevicesGoneMs)}); vswitchd closing the ports ${ms(figures.destroy.vswitchdWaitMs)} more; whole apply ${ms(figures.destroy.wholeApplyMs)}; ${figures.destroy.changes} operations, ${figures.destroy.roundTrips} round trips, ${figures.destroy.ipProcesses} ip processes started`,
      ratioLine('apply from nothing / floor', figures.ratios.buildOverFloor, '<= 1.3x'),
      `re-apply unchanged: ${ms(figures.reapplyWarm.ms)} (target < 150 ms), state-changing commands ${figures.reapplyWarm.stateChangingCommands}`,
      ratioLine(`change one, N=${N} / N=${SMALL}`, figures.ratios.changeOneNOverSmall, '~1x'),
      `destroy: ${ms(figures.destroy.devicesGoneMs)} until the kernel lists none of the devices (target < 300 ms)`,
    ].join('\n'),
  );
}

function row(m: Summary): (string | number)[] {
  return [
    m.ms,
    m.planMs,
    m.applyMs,
    ...[m.changes, m.stateChangingCommands, m.roundTrips, m.ipProcesses, m.otherProcesses].map(String),
  ];
}

interface Summary {
  ms: number;
  planMs: number;
  applyMs: number;
  changes: number;
  stateChangingCommands: number;
  roundTrips: number;
  ipProcesses: number;
  otherProcesses: number;
  phasesMs: Record<string, number>;
}

await main();
