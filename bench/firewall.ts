/**
 * Benchmark: the firewall (security groups) through the reconcile engine, against a floor.
 *
 * 100 filtered ports in 5 groups of 20 rules each (every group has a remote-group rule on itself),
 * one topology, Linux bridge hooks, in a private host namespace (ports need not exist: physdev
 * matches by name). Per round, in fresh namespaces:
 * - first apply (observe, plan, one ipset restore, one iptables-restore per family);
 * - one port joins a second group (its chains grow by that group's rules, the group's set gains a
 *   member; no other port's rules change);
 * - one rule of one group changes (one -D and one -I in each member's chain);
 * - re-apply of the unchanged state (must send nothing).
 * Floor: exactly the ipset and iptables-restore inputs and the conntrack deletes tenantnet sent, fed
 * straight to `ipset restore`, `iptables-restore -w --noflush` and `conntrack -D`, one after another,
 * in a second fresh namespace (what a hand-written script that knew the changes would run: no read,
 * no diff, no lock). Medians of the rounds; `--json` prints the figures as JSON.
 *
 * Run: node --import tsx bench/firewall.ts [--json] [--rounds N]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from '../src/exec/run.js';
import { firewallFromModel } from '../src/firewall/desired.js';
import { observeFirewall } from '../src/firewall/observe.js';
import { planFirewall } from '../src/firewall/plan.js';
import { closeIpBatches } from '../src/ip/executor.js';
import { type ConntrackExecutor, conntrackArgs, kernelConntrackExecutor } from '../src/iptables/conntrack.js';
import { countOps } from '../src/iptables/diff.js';
import { type IptablesExecutor, kernelIptablesExecutor } from '../src/iptables/executor.js';
import { type IpsetExecutor, kernelIpsetExecutor } from '../src/iptables/ipset-executor.js';
import { buildModel, type Model, type TopologyInput } from '../src/model/index.js';
import type { IpFamily } from '../src/net/types.js';
import { applyChanges, assertApplied } from '../src/reconcile/apply.js';
import { Observation } from '../src/reconcile/observation.js';
import { realExecutors } from '../src/reconcile/real-executors.js';
import { benchArgs, median, report, table, timed } from './harness.js';

const PORTS = 100;
const GROUPS = 5;
const RULES = 20;
const args = benchArgs({ rounds: 3 });
const ROUNDS = args.rounds;
const prefix = `b${randomBytes(3).toString('hex')}`;

/** The topology: group g has RULES-1 TCP rules on ports 1000g+k and one ICMP rule from its own members. */
function input(step: 'first' | 'join' | 'rule'): TopologyInput {
  const groups = Array.from({ length: GROUPS }, (_, g) => ({
    name: `g${g}`,
    rules: [
      { direction: 'ingress' as const, protocol: 'icmp', remoteGroup: `g${g}` },
      ...Array.from({ length: RULES - 2 }, (_, k) => ({
        direction: 'ingress' as const,
        protocol: 'tcp',
        port: step === 'rule' && g === 0 && k === 5 ? 9999 : 1000 * (g + 1) + k,
      })),
      { direction: 'egress' as const },
    ],
  }));
  const instances = Array.from({ length: PORTS }, (_, i) => ({
    name: `vm${i}`,
    network: 'n1',
    securityGroups: step !== 'first' && i === 0 ? ['g0', 'g1'] : [`g${i % GROUPS}`],
  }));
  return {
    name: prefix,
    backend: 'linuxbridge',
    networks: [{ name: 'n1', cidr: '10.80.0.0/16', dhcp: false }],
    securityGroups: groups,
    instances,
  };
}

/** The real netfilter executors, recording the restore inputs and conntrack deletes they are sent. */
function recorder() {
  const sent: { tool: 'iptables' | 'ipset' | 'conntrack'; family: IpFamily; input: string }[] = [];
  const iptables: IptablesExecutor = {
    lock: (ns) => kernelIptablesExecutor.lock(ns),
    save: (ns, f) => kernelIptablesExecutor.save(ns, f),
    restore: async (ns, family, text) => {
      sent.push({ tool: 'iptables', family, input: text });
      await kernelIptablesExecutor.restore(ns, family, text);
    },
  };
  const ipset: IpsetExecutor = {
    save: (ns, s) => kernelIpsetExecutor.save(ns, s),
    restore: async (ns, text) => {
      sent.push({ tool: 'ipset', family: 4, input: text });
      await kernelIpsetExecutor.restore(ns, text);
    },
    destroy: (ns, s) => kernelIpsetExecutor.destroy(ns, s),
    listNames: (ns) => kernelIpsetExecutor.listNames(ns),
  };
  const conntrack: ConntrackExecutor = {
    delete: (ns, f) => {
      sent.push({ tool: 'conntrack', family: f.family, input: JSON.stringify(conntrackArgs(f)) });
      return kernelConntrackExecutor.delete(ns, f);
    },
    list: (ns, f) => kernelConntrackExecutor.list(ns, f),
  };
  return { sent, iptables, ipset, conntrack };
}

async function fresh(ns: string): Promise<void> {
  await run(['ip', 'netns', 'del', ns], { check: false });
  await run(['ip', 'netns', 'add', ns]);
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

interface StepFigures {
  total: number[];
  plan: number[];
  floor: number[];
  iptablesLines: number;
  ipsetLines: number;
  restores: number;
  conntrack: number;
}

async function main(): Promise<void> {
  const steps = ['first', 'join', 'rule', 'again'] as const;
  const fig = Object.fromEntries(
    steps.map((s) => [
      s,
      {
        total: [],
        plan: [],
        floor: [],
        iptablesLines: 0,
        ipsetLines: 0,
        restores: 0,
        conntrack: 0,
      } as StepFigures,
    ]),
  ) as Record<(typeof steps)[number], StepFigures>;
  const host = `${prefix}-fwhost`;
  const floorNs = `${prefix}-fwfloor`;
  const state = await mkdtemp(join(tmpdir(), `${prefix}-state-`));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await fresh(host);
      await fresh(floorNs);
      const rec = recorder();
      const base = realExecutors({ hostNamespace: host, stateDir: state });
      const x = { ...base, iptables: rec.iptables, ipset: rec.ipset, conntrack: rec.conntrack };
      let previous: Model | undefined;
      const inputs: Record<(typeof steps)[number], TopologyInput> = {
        first: input('first'),
        join: input('join'),
        rule: input('rule'),
        again: input('rule'),
      };
      for (const step of steps) {
        const model = buildModel(
          inputs[step],
          previous ? { previous: JSON.parse(JSON.stringify(previous)) } : {},
        );
        previous = model;
        const desired = firewallFromModel(model);
        const from = rec.sent.length;
        const [total] = await time(async () => {
          const [planMs, changes] = await time(async () => {
            const observed = await observeFirewall(model.topology, new Observation(x), true);
            return planFirewall(desired, observed, { executors: x });
          });
          fig[step].plan.push(planMs);
          if (changes.length > 0) assertApplied(await applyChanges(changes, x));
        });
        fig[step].total.push(total);
        const mine = rec.sent.slice(from);
        fig[step].iptablesLines = mine
          .filter((s) => s.tool === 'iptables')
          .reduce((n, s) => n + countOps(s.input), 0);
        fig[step].ipsetLines = mine
          .filter((s) => s.tool === 'ipset')
          .reduce((n, s) => n + s.input.split('\n').filter((l) => l !== '').length, 0);
        fig[step].restores = mine.filter((s) => s.tool !== 'conntrack').length;
        fig[step].conntrack = mine.filter((s) => s.tool === 'conntrack').length;
        // The floor: the same inputs, straight to the tools, one after another, in the floor namespace.
        const floor = await timed(async () => {
          for (const s of mine) {
            if (s.tool === 'conntrack') {
              await run(['conntrack', '-D', ...(JSON.parse(s.input) as string[])], {
                namespace: floorNs,
                check: false,
              });
              continue;
            }
            const argv =
              s.tool === 'ipset'
                ? ['ipset', 'restore']
                : [s.family === 4 ? 'iptables-restore' : 'ip6tables-restore', '-w', '--noflush'];
            await run(argv, { namespace: floorNs, input: s.input });
          }
        });
        fig[step].floor.push(floor);
      }
      await base.close();
    }
  } finally {
    await closeIpBatches();
    await run(['ip', 'netns', 'del', host], { check: false });
    await run(['ip', 'netns', 'del', floorNs], { check: false });
    await rm(state, { recursive: true, force: true });
  }
  const out = Object.fromEntries(
    steps.map((s) => [
      s,
      {
        ms: median(fig[s].total),
        planMs: median(fig[s].plan),
        floorMs: median(fig[s].floor),
        iptablesLines: fig[s].iptablesLines,
        ipsetLines: fig[s].ipsetLines,
        restores: fig[s].restores,
        conntrackDeletes: fig[s].conntrack,
      },
    ]),
  ) as unknown as Record<(typeof steps)[number], Record<string, number>>;
  report(args, { ports: PORTS, groups: GROUPS, rulesPerGroup: RULES, rounds: ROUNDS, ...out }, () =>
    [
      `firewall: ${PORTS} ports, ${GROUPS} groups x ${RULES} rules, ${ROUNDS} rounds (medians, ms)`,
      table(
        [
          'step',
          'tenantnet',
          'observe+plan',
          'apply',
          'floor',
          'x floor',
          'iptables lines',
          'ipset lines',
          'restores',
          'conntrack -D',
        ],
        steps.map((s) => {
          const o = out[s];
          return [
            s,
            o.ms!,
            o.planMs!,
            o.ms! - o.planMs!,
            o.floorMs!,
            o.restores ? `${(o.ms! / o.floorMs!).toFixed(2)}x` : '-',
            String(o.iptablesLines),
            String(o.ipsetLines),
            String(o.restores),
            String(o.conntrackDeletes),
          ];
        }),
      ),
    ].join('\n'),
  );
}

await main();
