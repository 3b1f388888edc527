// The order of an apply, as data: changes sorted by their dependencies, then cut into batches, one
// per pass, phase and executor, in Neutron's order. apply.ts runs the batches; render.ts prints the
// very same batches as commands. Neutron: the agents' fixed sequence (namespace, ports, L3, iptables,
// dnsmasq) and the reverse on teardown.
import { TenantnetError } from '../errors.js';
import { type Change, PHASES, type Phase, type ResourceRef, type Step } from './step.js';

/** Deletions first (phases in reverse), then creations and updates (phases in order). */
export type Pass = 'delete' | 'apply';

/**
 * Which executor a batch goes to. `ip-host` is the host namespace's batch (and the root namespace's
 * `netns add/del`), `ip-ns` every other namespace's batch, run side by side.
 */
export type ExecutorKind =
  | 'ovs'
  | 'ip-host'
  | 'ip-ns'
  | 'ipset'
  | 'iptables'
  | 'conntrack'
  | 'command'
  | 'file'
  | 'process';

/**
 * Within a phase, creations and updates go switch first (OVS rows, then vswitchd has made the
 * devices), then the host's links, then inside namespaces, then sets before the rules that match on
 * them, rules, conntrack, one-shot commands, files before the processes that read them.
 */
export const APPLY_ORDER: readonly ExecutorKind[] = [
  'ovs',
  'ip-host',
  'ip-ns',
  'ipset',
  'iptables',
  'conntrack',
  'command',
  'file',
  'process',
];

/**
 * Deletions run the other way: processes stop before their files go, rules before the sets they
 * match on, conntrack entries right after the rules that allowed them, links inside namespaces before
 * the host's, and the switch's rows last within a phase.
 */
export const DELETE_ORDER: readonly ExecutorKind[] = [
  'process',
  'file',
  'iptables',
  'conntrack',
  'command',
  'ipset',
  'ip-ns',
  'ip-host',
  'ovs',
];

/** A dependency cycle among changes: a planner's mistake, never the host's state. */
export class DependencyCycleError extends TenantnetError {
  /** @param cycle the resources on the cycle, as `topology/kind/name` */
  constructor(readonly cycle: readonly string[]) {
    super(`changes depend on each other in a cycle: ${cycle.join(' -> ')}`);
  }
}

/** `topology/kind/name`: how a resource is named in messages, keys and plans. */
export function refKey(r: ResourceRef): string {
  return `${r.topology}/${r.kind}/${r.name}`;
}

/** The executor a step goes to. */
export function executorKind(s: Step): ExecutorKind {
  if (s.via === 'ip') return s.place === 'host' ? 'ip-host' : 'ip-ns';
  return s.via;
}

/** One step of one change, as scheduled. */
export interface ScheduledStep {
  /** The change's index in the list given to {@link schedule}. */
  readonly change: number;
  readonly step: Step;
}

/** One batch: every step of one pass, phase and executor, in dependency order. */
export interface Batch {
  readonly pass: Pass;
  readonly phase: Phase;
  readonly kind: ExecutorKind;
  readonly items: readonly ScheduledStep[];
}

/** What {@link schedule} worked out. */
export interface Schedule {
  /** The batches, in the order they run. */
  readonly batches: readonly Batch[];
  /**
   * For each change (by index), the indexes of the changes it comes after: the changes its `after`
   * names (a resource may have several, e.g. the delete and the create of a replacement).
   */
  readonly deps: readonly (readonly number[])[];
  /** Change indexes in dependency order (stable: input order among independent ones). */
  readonly order: readonly number[];
}

/**
 * Orders changes by `after` and cuts them into batches: deletions first with the phases reversed,
 * then creations and updates in phase order; within a phase, one batch per executor in
 * {@link APPLY_ORDER} (or {@link DELETE_ORDER}), each holding the steps of every change in
 * dependency order. An `after` naming a resource with no change here is already satisfied. Pure.
 *
 * @throws {DependencyCycleError} when changes depend on each other in a cycle
 */
export function schedule(changes: readonly Change[]): Schedule {
  const byRef = new Map<string, number[]>();
  changes.forEach((c, i) => {
    const k = refKey(c.resource);
    byRef.set(k, [...(byRef.get(k) ?? []), i]);
  });
  const deps = changes.map((c, i) => {
    const out = new Set<number>();
    for (const r of c.after ?? []) for (const j of byRef.get(refKey(r)) ?? []) if (j !== i) out.add(j);
    return [...out].sort((a, b) => a - b);
  });
  const order = topological(changes, deps);
  const rank = new Map(order.map((c, i) => [c, i]));
  const batches: Batch[] = [];
  const passes: [Pass, readonly Phase[], readonly ExecutorKind[]][] = [
    ['delete', [...PHASES].reverse(), DELETE_ORDER],
    ['apply', PHASES, APPLY_ORDER],
  ];
  for (const [pass, phases, kinds] of passes) {
    const mine = order.filter((i) => (changes[i]!.action === 'delete') === (pass === 'delete'));
    for (const phase of phases) {
      for (const kind of kinds) {
        const items: ScheduledStep[] = [];
        for (const i of mine) {
          for (const step of changes[i]!.steps) {
            if (step.phase === phase && executorKind(step) === kind) items.push({ change: i, step });
          }
        }
        if (items.length > 0) {
          items.sort((a, b) => rank.get(a.change)! - rank.get(b.change)!);
          batches.push({ pass, phase, kind, items });
        }
      }
    }
  }
  return { batches, deps, order };
}

// Kahn's algorithm, always taking the lowest index that is ready: independent changes keep the
// order they were given in.
function topological(changes: readonly Change[], deps: readonly (readonly number[])[]): number[] {
  const waiting = deps.map((d) => d.length);
  const dependants = changes.map(() => [] as number[]);
  deps.forEach((d, i) => {
    for (const j of d) dependants[j]!.push(i);
  });
  const ready = waiting.flatMap((n, i) => (n === 0 ? [i] : []));
  const order: number[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(i);
    for (const k of dependants[i]!) if (--waiting[k]! === 0) ready.push(k);
  }
  if (order.length < changes.length) throw new DependencyCycleError(findCycle(changes, deps, order));
  return order;
}

function findCycle(
  changes: readonly Change[],
  deps: readonly (readonly number[])[],
  done: readonly number[],
): string[] {
  const left = new Set(changes.map((_, i) => i).filter((i) => !done.includes(i)));
  // Every change left waits on another one left: walking dependencies must come back round.
  let at = [...left][0]!;
  const seen: number[] = [];
  while (!seen.includes(at)) {
    seen.push(at);
    at = deps[at]!.find((j) => left.has(j))!;
  }
  const loop = seen.slice(seen.indexOf(at));
  return [...loop, at].map((i) => refKey(changes[i]!.resource));
}

/**
 * Splits a batch's items into waves: a change that comes after another change of the same batch
 * goes into a later wave, so that a failure there can still skip it (its steps are not pipelined
 * together with those of the change it needs). Most batches are one wave. Pure.
 */
export function waves(
  items: readonly ScheduledStep[],
  deps: readonly (readonly number[])[],
): ScheduledStep[][] {
  const here = new Set(items.map((i) => i.change));
  const level = new Map<number, number>();
  const levelOf = (c: number): number => {
    const known = level.get(c);
    if (known !== undefined) return known;
    // Dependencies through changes outside the batch count too: they are ordered already.
    const l = Math.max(0, ...deps[c]!.map((d) => (here.has(d) ? levelOf(d) + 1 : levelOf(d))));
    level.set(c, l);
    return l;
  };
  const out: ScheduledStep[][] = [];
  for (const it of items) {
    const l = levelOf(it.change);
    while (out.length <= l) out.push([]);
    out[l]!.push(it);
  }
  return out.filter((w) => w.length > 0);
}
