// The OVS batch of a phase: every OvsOp of every change in ONE OVSDB transaction (ovsdbapp's one
// transaction per sync), with the vswitchd wait scaled to the ports. A failing operation is pinned
// on its change and the others are committed without it; deletions are committed without waiting
// for vswitchd, whose wait the engine runs later.
import { TenantnetError } from '../errors.js';
import { BRIDGE_SETTINGS_COLUMNS, type BridgeSettings, bridgeSettings } from '../ovs/bridge-ops.js';
import { BridgeNotFoundError } from '../ovs/errors.js';
import type { Ovs } from '../ovs/ovs.js';
import { type OvsOp, ovsOpsTransaction, validateOvsOps } from '../ovs/ovs-ops.js';
import { OvsdbOperationError, OvsdbVswitchdTimeoutError } from '../ovs/ovsdb/errors.js';
import { byName, type Operation, Transaction } from '../ovs/ovsdb/operations.js';
import type { ScheduledStep } from './order.js';
import type { RunContext, Runner } from './run-context.js';

/** A change has OVS steps and this host has no Open vSwitch (no ovsdb-server socket). */
export class NoOpenVswitchError extends TenantnetError {
  constructor() {
    super('this change needs Open vSwitch, and this host has none (no ovsdb-server socket)');
  }
}

interface Part {
  readonly change: number;
  readonly ops: OvsOp[];
}

/** Runs one phase's OVS steps as one transaction (see the file header). */
export const runOvs: Runner = async (items, ctx) => {
  const parts = partsOf(items, ctx);
  if (parts.length === 0) return;
  let sw: Ovs | null;
  try {
    sw = await ctx.executors.ovs();
  } catch (e) {
    for (const p of parts) ctx.fail(p.change, e);
    return;
  }
  if (!sw) {
    for (const p of parts) ctx.fail(p.change, new NoOpenVswitchError());
    return;
  }
  let bridges: Map<string, BridgeSettings | null>;
  let datapath: 'system' | 'netdev';
  try {
    bridges = await readBridges(sw, parts);
    datapath = await datapathFor(sw, parts, bridges);
  } catch (e) {
    for (const p of parts) ctx.fail(p.change, e);
    return;
  }
  let left = parts;
  while (left.length > 0) {
    const tx = new Transaction();
    const ranges: { part: Part; from: number; to: number; ops: number }[] = [];
    let work = 0;
    for (const part of left) {
      const from = tx.ops.length;
      const added = ovsOpsTransaction(tx, part.ops, { owner: sw.owner, datapath, bridges });
      work += added.work;
      ranges.push({ part, from, to: tx.ops.length, ops: added.perOp.filter((n) => n > 0).length });
    }
    if (tx.ops.length === 0) return; // every op asked for what is already so
    try {
      if (ctx.pass === 'delete') {
        const { wait } = await sw.commitDeferred(tx, { work });
        ctx.deferVswitchd(wait);
      } else {
        await sw.commit(tx, { work });
      }
      for (const r of ranges) ctx.count(r.part.change, r.ops);
      return;
    } catch (e) {
      if (e instanceof OvsdbVswitchdTimeoutError) {
        // Committed: vswitchd is late. Nothing to retry; what needs its devices will fail on its own.
        for (const r of ranges) ctx.fail(r.part.change, e);
        return;
      }
      const culprit = culpritOf(e, ranges);
      if (culprit === null || ranges.length === 1) {
        // Not pinned on one change: each goes alone, so the others are not held back by it.
        if (ranges.length > 1 && culprit === null && e instanceof OvsdbOperationError) {
          left = [];
          for (const r of ranges) await runAlone(sw, r.part, { bridges, datapath }, ctx);
          return;
        }
        for (const r of ranges) ctx.fail(r.part.change, explain(e, tx.ops));
        return;
      }
      ctx.fail(culprit.part.change, explain(e, tx.ops));
      left = left.filter((p) => p !== culprit.part);
    }
  }
};

function partsOf(items: readonly ScheduledStep[], ctx: RunContext): Part[] {
  const parts: Part[] = [];
  for (const it of items) {
    if (it.step.via !== 'ovs' || !ctx.alive(it.change)) continue;
    try {
      validateOvsOps(it.step.ops);
    } catch (e) {
      ctx.fail(it.change, e);
      continue;
    }
    const last = parts[parts.length - 1];
    if (last?.change === it.change) last.ops.push(...it.step.ops);
    else parts.push({ change: it.change, ops: [...it.step.ops] });
  }
  return parts;
}

// Reads the settings of bridges a `bridge.ensure` names without saying what it observed: one read.
async function readBridges(sw: Ovs, parts: readonly Part[]): Promise<Map<string, BridgeSettings | null>> {
  const names = new Set<string>();
  for (const p of parts) {
    for (const o of p.ops) if (o.op === 'bridge.ensure' && o.observed === undefined) names.add(o.name);
  }
  const out = new Map<string, BridgeSettings | null>();
  if (names.size === 0) return out;
  const tx = new Transaction();
  const list = [...names];
  for (const n of list) tx.select('Bridge', byName(n), ['name', ...BRIDGE_SETTINGS_COLUMNS]);
  const results = await sw.read(tx);
  list.forEach((n, i) => {
    const row = results[i]?.rows?.[0];
    out.set(n, row ? bridgeSettings(row) : null);
  });
  return out;
}

// The datapath new bridges get when they ask for `auto` (or nothing): the switch's, probed once.
async function datapathFor(
  sw: Ovs,
  parts: readonly Part[],
  bridges: ReadonlyMap<string, BridgeSettings | null>,
): Promise<'system' | 'netdev'> {
  const needs = parts.some((p) =>
    p.ops.some((o) => {
      if (o.op !== 'bridge.ensure') return false;
      const have = o.observed !== undefined ? o.observed : bridges.get(o.name);
      const dp = o.options?.datapathType;
      return have === null && dp !== 'system' && dp !== 'netdev';
    }),
  );
  if (!needs) return sw.datapathType === 'netdev' ? 'netdev' : 'system';
  return sw.datapathType === 'auto' ? sw.detectDatapathType() : sw.datapathType;
}

async function runAlone(
  sw: Ovs,
  part: Part,
  c: { bridges: Map<string, BridgeSettings | null>; datapath: 'system' | 'netdev' },
  ctx: RunContext,
): Promise<void> {
  const tx = new Transaction();
  const added = ovsOpsTransaction(tx, part.ops, { owner: sw.owner, ...c });
  if (tx.ops.length === 0) return;
  try {
    if (ctx.pass === 'delete') ctx.deferVswitchd((await sw.commitDeferred(tx, { work: added.work })).wait);
    else await sw.commit(tx, { work: added.work });
    ctx.count(part.change, added.perOp.filter((n) => n > 0).length);
  } catch (e) {
    ctx.fail(part.change, explain(e, tx.ops));
  }
}

// The range whose operation failed, when the server named an operation inside one.
function culpritOf<R extends { from: number; to: number }>(e: unknown, ranges: readonly R[]): R | null {
  if (!(e instanceof OvsdbOperationError) || e.op === undefined) return null;
  return ranges.find((r) => e.index >= r.from && e.index < r.to) ?? null;
}

// A bridge guard's wait that failed means the bridge is missing: say so.
function explain(e: unknown, ops: readonly Operation[]): unknown {
  if (!(e instanceof OvsdbOperationError) || e.op !== 'wait') return e;
  const o = ops[e.index];
  if (o?.op === 'wait' && o.table === 'Bridge') {
    const name = o.where.find(([c]) => c === 'name')?.[2];
    if (typeof name === 'string') return new BridgeNotFoundError(name);
  }
  return e;
}
