/**
 * Benchmark: IptablesManager against the floor and the naive way, in one namespace.
 *
 * N=1000 filter rules over 50 wrapped chains. Per round, in a fresh namespace each time:
 * - floor: one hand-written `iptables-restore -w --noflush` of exactly the lines needed;
 * - tenantnet: IptablesManager.apply() (iptables-save, diff, one iptables-restore);
 * then 10 rules changed: floor = one restore of the 20 hand-written -D/-I lines, tenantnet = apply().
 * Naive (one `iptables` process per chain and rule) is measured on a 1/10 subset and scaled up.
 * Medians of the rounds; ratios printed. `--json` prints the figures as JSON.
 *
 * Run: node --import tsx bench/iptables.ts [--json] [--rounds N]
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { run } from '../src/exec/run.js';
import { type IptablesExecutor, KernelIptablesExecutor } from '../src/iptables/executor.js';
import type { Release } from '../src/iptables/lock.js';
import { IptablesManager } from '../src/iptables/manager.js';
import type { IpFamily } from '../src/net/types.js';
import { benchArgs, median, timed } from './harness.js';

/** The real executor, timing each save and restore so the report can say where the time goes. */
class TimedExecutor implements IptablesExecutor {
  private readonly real = new KernelIptablesExecutor();
  saveMs = 0;
  restoreMs = 0;
  lockMs = 0;
  async lock(n: string | null): Promise<Release> {
    const t0 = performance.now();
    try {
      const release = await this.real.lock(n);
      return () => {
        const t1 = performance.now();
        release();
        this.lockMs += performance.now() - t1;
      };
    } finally {
      this.lockMs += performance.now() - t0;
    }
  }
  async save(n: string | null, f: IpFamily): Promise<string> {
    const t0 = performance.now();
    try {
      return await this.real.save(n, f);
    } finally {
      this.saveMs += performance.now() - t0;
    }
  }
  async restore(n: string | null, f: IpFamily, input: string): Promise<void> {
    const t0 = performance.now();
    try {
      await this.real.restore(n, f, input);
    } finally {
      this.restoreMs += performance.now() - t0;
    }
  }
}

const N = 1000;
const CHAINS = 50;
const CHANGED = 10;
const args = benchArgs({ rounds: 5 });
const json = args.json;
const ROUNDS = args.rounds;
const prefix = `b${randomBytes(3).toString('hex')}`;
const ns = `${prefix}-bench`;

const rule = (i: number, v = 0) =>
  `-s 10.${100 + v}.${i >> 8}.${i & 255}/32 -p tcp -m tcp --dport ${1000 + i} -j ACCEPT`;
const chainOf = (i: number) => `${prefix}-c${i % CHAINS}`;

async function freshNamespace(): Promise<void> {
  await run(['ip', 'netns', 'del', ns], { check: false });
  await run(['ip', 'netns', 'add', ns]);
}

async function restore(text: string): Promise<void> {
  await run(['iptables-restore', '-w', '--noflush'], { namespace: ns, input: text });
}

/** The lines a first apply needs, written by hand: bootstrap, chains, rules. */
function floorFirst(): string {
  const p = prefix;
  const lines = [
    '*filter',
    ':tenantnet-filter-top - [0:0]',
    ...['INPUT', 'FORWARD', 'OUTPUT', 'local'].map((c) => `:${p}-${c} - [0:0]`),
    ...Array.from({ length: CHAINS }, (_, c) => `:${p}-c${c} - [0:0]`),
    ...Array.from({ length: N }, (_, i) => `-A ${chainOf(i)} ${rule(i)}`),
    `-A tenantnet-filter-top -m comment --comment "tenantnet:${p}" -j ${p}-local`,
    ...['FORWARD', 'OUTPUT'].map(
      (c) => `-A ${c} -m comment --comment "tenantnet:shared" -j tenantnet-filter-top`,
    ),
    ...['INPUT', 'FORWARD', 'OUTPUT'].map(
      (c) => `-A ${c} -m comment --comment "tenantnet:${p}" -j ${p}-${c}`,
    ),
    'COMMIT',
  ];
  return `${lines.join('\n')}\n`;
}

// The changed rules: the first rule of chains 0..9 (rule i = c, position 1 in chain c).
function floorIncremental(): string {
  const lines = ['*filter'];
  for (let c = 0; c < CHANGED; c++) lines.push(`-D ${chainOf(c)} 1`, `-I ${chainOf(c)} 1 ${rule(c, 1)}`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

function model(executor: IptablesExecutor): IptablesManager {
  const m = new IptablesManager({ namespace: ns, prefix, families: [4], tables: ['filter'], executor });
  const f = m.table('filter');
  for (let c = 0; c < CHAINS; c++) f.addChain(`c${c}`);
  for (let i = 0; i < N; i++) f.addRule(`c${i % CHAINS}`, rule(i).replace(' -m tcp', ''));
  return m;
}

async function main(): Promise<void> {
  const r = {
    floorFirst: [] as number[],
    floorIncr: [] as number[],
    first: [] as number[],
    incr: [] as number[],
    naive: [] as number[],
    firstSave: [] as number[],
    firstRestore: [] as number[],
    firstLock: [] as number[],
    incrLock: [] as number[],
    incrSave: [] as number[],
    incrRestore: [] as number[],
  };
  let incrLines = 0;
  let incrOps = 0;
  let secondOps = -1;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so that neither always runs on a warmer machine.
      const floorRun = async () => {
        await freshNamespace();
        r.floorFirst.push(await timed(() => restore(floorFirst())));
        r.floorIncr.push(await timed(() => restore(floorIncremental())));
      };
      if (round % 2 === 0) await floorRun();
      await freshNamespace();
      const ex = new TimedExecutor();
      const m = model(ex);
      r.first.push(await timed(() => m.apply()));
      r.firstSave.push(ex.saveMs);
      r.firstRestore.push(ex.restoreMs);
      r.firstLock.push(ex.lockMs);
      const f = m.table('filter');
      for (let c = 0; c < CHANGED; c++) {
        f.removeRule(`c${c}`, rule(c));
        f.addRule(`c${c}`, rule(c, 1), { top: true });
      }
      let report = await m.apply();
      incrOps = report.operations;
      incrLines = (report.sent[4] ?? '').split('\n').filter((l) => l.startsWith('-')).length;
      // Measure the incremental apply on the same change again (revert outside the timing).
      for (let c = 0; c < CHANGED; c++) {
        f.removeRule(`c${c}`, rule(c, 1));
        f.addRule(`c${c}`, rule(c));
      }
      await m.apply();
      for (let c = 0; c < CHANGED; c++) {
        f.removeRule(`c${c}`, rule(c));
        f.addRule(`c${c}`, rule(c, 1), { top: true });
      }
      ex.saveMs = 0;
      ex.restoreMs = 0;
      ex.lockMs = 0;
      r.incr.push(await timed(async () => (report = await m.apply())));
      r.incrSave.push(ex.saveMs);
      r.incrRestore.push(ex.restoreMs);
      r.incrLock.push(ex.lockMs);
      secondOps = (await m.apply()).operations;
      if (round % 2 === 1) await floorRun();

      // Naive: one process per chain and rule, on a tenth of the work, scaled by 10.
      await freshNamespace();
      const naive = await timed(async () => {
        for (let c = 0; c < CHAINS / 10; c++)
          await run(['iptables', '-w', '-N', `${prefix}-c${c}`], { namespace: ns });
        for (let i = 0; i < N / 10; i++) {
          await run(['iptables', '-w', '-A', `${prefix}-c${i % (CHAINS / 10)}`, ...rule(i).split(' ')], {
            namespace: ns,
          });
        }
      });
      r.naive.push(naive * 10);
    }
  } finally {
    await run(['ip', 'netns', 'del', ns], { check: false });
  }
  const out = {
    rules: N,
    chains: CHAINS,
    changed: CHANGED,
    rounds: ROUNDS,
    medianMs: {
      floorFirst: median(r.floorFirst),
      tenantnetFirst: median(r.first),
      naiveFirstExtrapolated: median(r.naive),
      floorIncremental: median(r.floorIncr),
      tenantnetIncremental: median(r.incr),
      tenantnetFirstSave: median(r.firstSave),
      tenantnetFirstRestore: median(r.firstRestore),
      tenantnetIncrementalSave: median(r.incrSave),
      tenantnetIncrementalRestore: median(r.incrRestore),
      tenantnetFirstLock: median(r.firstLock),
      tenantnetIncrementalLock: median(r.incrLock),
    },
    ratios: {
      firstVsFloor: median(r.first) / median(r.floorFirst),
      naiveVsFloor: median(r.naive) / median(r.floorFirst),
      incrementalVsFirst: median(r.incr) / median(r.first),
      incrementalVsFloorIncremental: median(r.incr) / median(r.floorIncr),
    },
    incremental: { operations: incrOps, linesSent: incrLines, reapplyOperations: secondOps },
  };
  if (json) {
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`iptables bench: ${N} rules over ${CHAINS} wrapped chains, ${ROUNDS} rounds, medians`);
  console.log(
    `  first apply   floor ${ms(out.medianMs.floorFirst)}  tenantnet ${ms(out.medianMs.tenantnetFirst)}  (${out.ratios.firstVsFloor.toFixed(2)}x floor, target <= 1.5x)`,
  );
  console.log(
    `  naive         ${ms(out.medianMs.naiveFirstExtrapolated)} (one iptables per chain/rule, measured on 1/10, x10; ${out.ratios.naiveVsFloor.toFixed(0)}x floor)`,
  );
  console.log(
    `  10 changed    floor ${ms(out.medianMs.floorIncremental)}  tenantnet ${ms(out.medianMs.tenantnetIncremental)}  (${(out.ratios.incrementalVsFirst * 100).toFixed(0)}% of first apply, target < 20%)`,
  );
  const md = out.medianMs;
  console.log(
    `  where it goes: first = save ${ms(md.tenantnetFirstSave)} + restore ${ms(md.tenantnetFirstRestore)} + lock ${ms(md.tenantnetFirstLock)} + diff; ` +
      `10 changed = save ${ms(md.tenantnetIncrementalSave)} + restore ${ms(md.tenantnetIncrementalRestore)} + lock ${ms(md.tenantnetIncrementalLock)} + diff`,
  );
  console.log(
    `  incremental sent ${incrLines} rule lines (${incrOps} operations); re-apply after it: ${secondOps} operations`,
  );
}

await main();
