// The netfilter batches of a phase: each ipset manager's sets in one `ipset restore`, each iptables
// manager applied (or torn down) once, then the conntrack deletions. Neutron: the firewall driver's
// defer_apply (one iptables-restore per namespace), ipset_manager, ip_conntrack.
import { InvalidInputError, TenantnetError } from '../errors.js';
import type { ConntrackFilter } from '../iptables/conntrack.js';
import type { IpsetManager } from '../iptables/ipset.js';
import type { IptablesManager } from '../iptables/manager.js';
import { familyOf, type IpFamily, ipAddress } from '../net/types.js';
import type { ScheduledStep } from './order.js';
import { placeNamespace, type RunContext, type Runner } from './run-context.js';

/** Runs one phase's ipset steps: one restore per manager, every set of it. */
export const runIpset: Runner = async (items, ctx) => {
  const byManager = new Map<
    IpsetManager,
    { change: number; set: { id: string; family: IpFamily; members: readonly string[] | null } }[]
  >();
  for (const it of live(items, ctx)) {
    if (it.step.via !== 'ipset' || !samePlace(it, it.step.manager.namespace, ctx)) continue;
    const list = byManager.get(it.step.manager) ?? [];
    byManager.set(it.step.manager, list);
    for (const s of it.step.sets) list.push({ change: it.change, set: s });
  }
  await Promise.all(
    [...byManager].map(async ([manager, list]) => {
      try {
        const r = await manager.applySets(list.map((l) => l.set));
        r.perSet.forEach((n, i) => {
          ctx.count(list[i]!.change, n);
        });
      } catch (e) {
        for (const c of new Set(list.map((l) => l.change))) ctx.fail(c, e);
      }
    }),
  );
};

/**
 * Runs one phase's iptables steps: each manager applied once (it re-reads and diffs; a converged
 * one sends no restore), or torn down. The operations iptables committed count for the first change
 * that named the manager.
 */
export const runIptables: Runner = async (items, ctx) => {
  const byManager = new Map<IptablesManager, { changes: number[]; teardown: boolean }>();
  for (const it of live(items, ctx)) {
    if (it.step.via !== 'iptables' || !samePlace(it, it.step.manager.namespace, ctx)) continue;
    const m = byManager.get(it.step.manager) ?? { changes: [], teardown: false };
    byManager.set(it.step.manager, m);
    if (!m.changes.includes(it.change)) m.changes.push(it.change);
    if (it.step.teardown) m.teardown = true;
  }
  await Promise.all(
    [...byManager].map(async ([manager, m]) => {
      try {
        const report = m.teardown ? await manager.teardown() : await manager.apply();
        ctx.count(m.changes[0]!, report.operations);
      } catch (e) {
        for (const c of m.changes) ctx.fail(c, e);
      }
    }),
  );
};

/** Runs one phase's conntrack deletions, one `conntrack -D` per filter, places side by side. */
export const runConntrack: Runner = async (items, ctx) => {
  await Promise.all(
    live(items, ctx).map(async (it) => {
      if (it.step.via !== 'conntrack') return;
      const ns = placeNamespace(ctx.executors, it.step.place);
      try {
        for (const [i, f] of it.step.filters.entries()) conntrackFilter(f, `filters[${i}]`);
      } catch (e) {
        ctx.fail(it.change, e);
        return;
      }
      for (const f of it.step.filters) {
        try {
          await ctx.executors.conntrack.delete(ns, f);
          ctx.count(it.change, 1);
        } catch (e) {
          ctx.fail(it.change, e);
          return;
        }
      }
    }),
  );
};

/**
 * Checks a conntrack filter before it becomes `conntrack` arguments: family 4 or 6, zone 0-65535,
 * addresses of that family (a value such as `--flush` would otherwise be read as an option).
 *
 * @throws {InvalidInputError} naming the field
 */
export function conntrackFilter(f: ConntrackFilter, where = 'filter'): ConntrackFilter {
  if (f === null || typeof f !== 'object' || (f.family !== 4 && f.family !== 6)) {
    throw new InvalidInputError(`${where}.family: must be 4 or 6`, `${where}.family`);
  }
  if (f.zone !== undefined && !(Number.isInteger(f.zone) && f.zone >= 0 && f.zone <= 65535)) {
    throw new InvalidInputError(`${where}.zone: ${JSON.stringify(f.zone)} is not 0-65535`, `${where}.zone`);
  }
  for (const k of ['dst', 'replyDst'] as const) {
    const v = f[k];
    if (v !== undefined && familyOf(ipAddress(v, `${where}.${k}`)) !== f.family) {
      throw new InvalidInputError(`${where}.${k}: ${v} is not an IPv${f.family} address`, `${where}.${k}`);
    }
  }
  return f;
}

// A manager works in its own namespace: a step that says another place is a planner's mistake,
// refused before anything runs there.
function samePlace(it: ScheduledStep, managerNs: string | null, ctx: RunContext): boolean {
  if (it.step.via !== 'ipset' && it.step.via !== 'iptables') return true;
  const ns = placeNamespace(ctx.executors, it.step.place);
  if (ns === managerNs) return true;
  ctx.fail(
    it.change,
    new TenantnetError(
      `${it.step.via} step for ${it.step.place === 'host' ? 'the host' : `namespace ${it.step.place}`} holds a manager of ${managerNs === null ? 'the root namespace' : `namespace ${managerNs}`}`,
    ),
  );
  return false;
}

function live(items: readonly ScheduledStep[], ctx: RunContext): ScheduledStep[] {
  return items.filter((it) => ctx.alive(it.change));
}
