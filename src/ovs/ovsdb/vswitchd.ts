// Waiting for ovs-vswitchd to apply a change, as ovs-vsctl does: the same transaction bumps
// `next_cfg`, then a server-side `wait` holds until `cur_cfg` has caught up. ovsdbapp:
// the `wait_for_change`/vsctl `--wait` handshake; ovs-vsctl's `--timeout`.
import { OvsdbTimedOutError, OvsdbVswitchdTimeoutError } from './errors.js';
import type { Operation, OperationResult } from './operations.js';

/** Default timeout of the wait when a caller asks for it with `true` (ms). */
export const DEFAULT_VSWITCHD_WAIT_MS = 10_000;

/**
 * The two operations that ask ovs-vswitchd to acknowledge a transaction: `next_cfg += 1` and a
 * select of the new `next_cfg`. Appended to the caller's own operations, so the change and the
 * request to apply it are ONE transaction. Pure.
 */
export function nextCfgOps(): Operation[] {
  return [
    { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['next_cfg', '+=', 1]] },
    { op: 'select', table: 'Open_vSwitch', where: [], columns: ['next_cfg'] },
  ];
}

/**
 * The `wait` that holds until ovs-vswitchd reports `cur_cfg >= cfg` ("no Open_vSwitch row has
 * cur_cfg < cfg"). ovsdb-server re-evaluates a pending wait on every change: one round trip, no
 * polling. Pure.
 */
export function curCfgWait(cfg: number, timeoutMs: number): Operation {
  return {
    op: 'wait',
    table: 'Open_vSwitch',
    where: [['cur_cfg', '<', cfg]],
    columns: [],
    until: '==',
    rows: [],
    timeoutMs,
  };
}

/** True when no operation changes anything (selects, waits, comments only). */
export function readOnlyOps(ops: readonly Operation[]): boolean {
  return ops.every((o) => o.op === 'select' || o.op === 'wait' || o.op === 'comment');
}

/**
 * Runs `ops` through `send` as one transaction and, when `waitMs` is a number and the transaction
 * changes something, bumps `next_cfg` in that same transaction and then waits (a second request)
 * until ovs-vswitchd has applied it. Returns the results of `ops` only.
 *
 * @param send runs raw operations as one transaction; `timeoutMs` is the request's own timeout
 * @throws whatever `send` throws; {@link OvsdbVswitchdTimeoutError} when the wait ran out (the change is committed)
 */
export async function transactAndWait(
  send: (ops: readonly Operation[], timeoutMs?: number) => Promise<OperationResult[]>,
  ops: readonly Operation[],
  waitMs: number | false,
): Promise<OperationResult[]> {
  const wait = waitMs !== false && !readOnlyOps(ops);
  const results = await send(wait ? [...ops, ...nextCfgOps()] : ops);
  if (wait) {
    const next = results[results.length - 1]?.rows?.[0]?.next_cfg;
    // The server answers a timed-out wait itself: the request gets a second longer than the wait,
    // so the caller sees OvsdbTimedOutError rather than a client-side "no answer".
    if (typeof next === 'number') {
      try {
        await send([curCfgWait(next, waitMs)], waitMs + 1000);
      } catch (e) {
        if (e instanceof OvsdbTimedOutError) throw new OvsdbVswitchdTimeoutError(next, waitMs);
        throw e;
      }
    }
  }
  return results.slice(0, ops.length);
}
