// How long a write waits for ovs-vswitchd: a base plus an allowance per port the transaction makes
// or removes, because vswitchd opens or closes a device per port (deleting 200 ports took 3-7 s on
// a 2-core machine). Neutron: ovs_lib's ovsdb_timeout (one fixed value, 10 s by default).
import { InvalidInputError } from '../errors.js';
import type { Operation } from './ovsdb/operations.js';
import { OvsdbSet, Uuid } from './ovsdb/values.js';

/** How long writes wait for ovs-vswitchd to apply them. */
export interface VswitchdWait {
  /** Allowance for any change (ms). */
  readonly baseMs: number;
  /** Added per port (Interface row) the transaction creates or deletes (ms). */
  readonly perPortMs: number;
}

/** The default: 10 s plus 50 ms per port (200 ports: 20 s). */
export const DEFAULT_VSWITCHD_WAIT: VswitchdWait = { baseMs: 10_000, perPortMs: 50 };

/**
 * Resolves the `waitForVswitchd` option: `false` (return once the database committed), a number
 * (a fixed timeout in ms, whatever the size of the change), or `{ baseMs, perPortMs }` (each
 * defaulting to {@link DEFAULT_VSWITCHD_WAIT}'s). Undefined is the default.
 *
 * @throws {InvalidInputError} for a negative or non-finite figure
 */
export function vswitchdWaitPolicy(
  value: number | false | Partial<VswitchdWait> | undefined,
  where = 'waitForVswitchd',
): VswitchdWait | false {
  if (value === false) return false;
  const p: VswitchdWait =
    typeof value === 'number'
      ? { baseMs: value, perPortMs: 0 }
      : { ...DEFAULT_VSWITCHD_WAIT, ...(value ?? {}) };
  for (const [k, v] of Object.entries(p)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InvalidInputError(`${where}.${k}: ${v} is not a non-negative number of ms`, where);
    }
  }
  return p;
}

/**
 * The ports a transaction makes vswitchd open or close: Interface rows inserted plus distinct
 * Port rows deleted or unlinked from a bridge. Deleting a whole bridge unlinks it from the root
 * table, which says nothing about its ports: the caller adds those (see `Ovs.commit`'s `work`). Pure.
 */
export function vswitchdWork(ops: readonly Operation[]): number {
  let inserted = 0;
  const removed = new Set<string>();
  const note = (v: unknown) => {
    const items = v instanceof OvsdbSet ? v.items : [v];
    for (const a of items) if (a instanceof Uuid) removed.add(a.value);
  };
  for (const o of ops) {
    if (o.op === 'insert' && o.table === 'Interface') inserted++;
    else if (o.op === 'delete' && o.table === 'Port') {
      for (const [c, f, v] of o.where) if (c === '_uuid' && f === '==') note(v);
    } else if (o.op === 'mutate' && o.table === 'Bridge') {
      for (const [c, m, v] of o.mutations) if (c === 'ports' && m === 'delete') note(v);
    }
  }
  return inserted + removed.size;
}

/** The wait's timeout for a change touching `ports` ports under `policy` (ms). Pure. */
export function waitTimeoutMs(policy: VswitchdWait, ports: number): number {
  return Math.ceil(policy.baseMs + policy.perPortMs * ports);
}
