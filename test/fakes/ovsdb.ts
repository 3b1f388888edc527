// A stateful, in-memory OVSDB standing in for OvsdbClient (it implements OvsdbTransport): the
// Open_vSwitch, Bridge, Port and Interface tables; insert/select/update/mutate/delete/wait/comment
// with named uuids; garbage collection of unreferenced rows, referential integrity, unique names;
// monitors; and a pretend ovs-vswitchd that brings cur_cfg up to next_cfg and hands out ofports.
import { randomUUID } from 'node:crypto';
import { operationError } from '../../src/ovs/ovsdb/errors.js';
import type {
  MonitorHandler,
  MonitorRequests,
  RowUpdate,
  TableUpdates,
} from '../../src/ovs/ovsdb/monitor-updates.js';
import {
  type Condition,
  type Mutation,
  type Operation,
  type OperationResult,
  Transaction,
} from '../../src/ovs/ovsdb/operations.js';
import type { Monitor, OvsdbTransport, TransactOptions } from '../../src/ovs/ovsdb/transport.js';
import {
  mapRecord,
  type OvsdbAtom,
  OvsdbMap,
  type OvsdbRow,
  OvsdbSet,
  type OvsdbValue,
  Uuid,
} from '../../src/ovs/ovsdb/values.js';
import { transactAndWait } from '../../src/ovs/ovsdb/vswitchd.js';
import { checkWireText } from '../../src/ovs/ovsdb/wire-text.js';
import {
  atomKey,
  type ColumnType,
  canonical,
  defaultValue,
  elements,
  FakeOvsdbError,
  type Resolve,
  SCHEMA,
  setOf,
  valueKey,
  wireForm,
} from './ovsdb-schema.js';

type Db = Record<string, Map<string, OvsdbRow>>;

function cloneDb(db: Db): Db {
  const out: Db = {};
  for (const [t, rows] of Object.entries(db)) out[t] = new Map([...rows].map(([u, r]) => [u, { ...r }]));
  return out;
}

function table(name: string): (typeof SCHEMA)[string] {
  const t = SCHEMA[name];
  if (!t) throw new FakeOvsdbError('unknown table', `no table ${name}`);
  return t;
}

function column(t: string, c: string): ColumnType {
  const col = table(t).columns[c];
  if (!col) throw new FakeOvsdbError('unknown column', `no column ${c} in table ${t}`);
  return col;
}

/**
 * The fake. `transact` behaves as {@link OvsdbClient.transact} (the same wire check first, the same
 * typed errors, the same vswitchd wait), `monitor` as its monitor. Test helpers read and change the
 * tables behind the caller's back, stop the pretend vswitchd, and count what was sent.
 */
export class FakeOvsdb implements OvsdbTransport {
  private db: Db = {};
  private readonly monitors = new Map<string, { requests: MonitorRequests; handler: MonitorHandler }>();
  private changeWaiters: (() => void)[] = [];
  private nextMonitor = 1;
  private nextOfport = 1;
  private vswitchdRunning = true;
  /** Every operation list received by transact, in order (the vswitchd handshake included). */
  readonly log: Operation[][] = [];

  constructor() {
    for (const t of Object.keys(SCHEMA)) this.db[t] = new Map();
    this.db.Open_vSwitch!.set(randomUUID(), this.fullRow('Open_vSwitch', { ovs_version: '3.1.0-fake' }));
  }

  /** Transactions received that could change something (not only select/wait/comment). */
  get writes(): number {
    return this.log.filter((ops) => ops.some((o) => !['select', 'wait', 'comment'].includes(o.op))).length;
  }

  async transact(
    ops: Transaction | readonly Operation[],
    opts: TransactOptions = {},
  ): Promise<OperationResult[]> {
    const list = ops instanceof Transaction ? ops.ops : ops;
    checkWireText(list);
    const w = opts.waitForVswitchd;
    return transactAndWait((o) => this.run(o), list, typeof w === 'number' ? w : w ? 10_000 : false);
  }

  async monitor(requests: MonitorRequests, handler: MonitorHandler): Promise<Monitor> {
    for (const [t, q] of Object.entries(requests)) for (const c of q.columns ?? []) column(t, c);
    const id = `m${this.nextMonitor++}`;
    this.monitors.set(id, { requests, handler });
    handler(this.updates(requests, {}, this.db), true);
    return { id, cancel: async () => void this.monitors.delete(id) };
  }

  /** The rows of a table as plain data (sets as sorted arrays, maps as objects, uuids as text). */
  rows(t: string): Record<string, unknown>[] {
    return [...(this.db[t]?.entries() ?? [])].map(([u, r]) => ({
      _uuid: u,
      ...Object.fromEntries(Object.entries(r).map(([c, v]) => [c, plain(v)])),
    }));
  }

  /** The row named `name` as plain data, or undefined. */
  row(t: string, name: string): Record<string, unknown> | undefined {
    return this.rows(t).find((r) => r.name === name);
  }

  /** A comparable picture of every table (for "nothing changed" assertions). */
  snapshot(): string {
    return JSON.stringify(
      Object.keys(SCHEMA).map((t) => this.rows(t).sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1))),
    );
  }

  /**
   * Deletes a Bridge or Port row behind the library's back, as `ovs-vsctl del-br`/`del-port` would
   * (unlinked, then garbage-collected with its Port/Interface rows).
   */
  async deleteRow(t: 'Bridge' | 'Port', name: string): Promise<void> {
    const uuid = [...this.db[t]!.entries()].find(([, r]) => r.name === name)?.[0];
    if (!uuid) throw new Error(`fake ovsdb: no ${t} named ${name}`);
    const parent = t === 'Bridge' ? ['Open_vSwitch', 'bridges'] : ['Bridge', 'ports'];
    await this.run(
      [
        {
          op: 'mutate',
          table: parent[0]!,
          where: [],
          mutations: [[parent[1]!, 'delete', new OvsdbSet([new Uuid(uuid)])]],
        },
      ],
      false,
    );
  }

  /** Stops the pretend ovs-vswitchd: changes commit, but waits for it time out. */
  stopVswitchd(): void {
    this.vswitchdRunning = false;
  }

  /** Starts it again; it applies what is pending at once. */
  startVswitchd(): void {
    this.vswitchdRunning = true;
    if (this.vswitchdPending()) this.applyVswitchd();
  }

  private vswitchdPending(): boolean {
    const root = [...this.db.Open_vSwitch!.values()][0]!;
    return (
      root.cur_cfg !== root.next_cfg ||
      [...this.db.Interface!.values()].some((r) => valueKey(r.ofport) === 'set[]')
    );
  }

  /** The pretend vswitchd applies what is pending: cur_cfg = next_cfg, ofports for new interfaces. */
  applyVswitchd(): void {
    const [uuid, root] = [...this.db.Open_vSwitch!.entries()][0]!;
    const before = this.db;
    const after = cloneDb(before);
    let changed = false;
    for (const [u, r] of after.Interface!) {
      if (valueKey(r.ofport) === 'set[]') {
        const local = [...after.Bridge!.values()].some((b) => b.name === r.name);
        after.Interface!.set(u, { ...r, ofport: setOf([local ? 65534 : this.nextOfport++]) });
        changed = true;
      }
    }
    if (root.cur_cfg !== root.next_cfg) {
      after.Open_vSwitch!.set(uuid, { ...root, cur_cfg: root.next_cfg! });
      changed = true;
    }
    if (changed) this.commitDb(after);
  }

  // Runs raw operations as one transaction, like ovsdb-server: a blocked wait retries the whole
  // transaction after the next change, until its timeout.
  private async run(ops: readonly Operation[], record = true): Promise<OperationResult[]> {
    if (record) this.log.push([...ops]);
    const deadline =
      Date.now() + Math.max(0, ...ops.map((o) => (o.op === 'wait' ? (o.timeoutMs ?? 60_000) : 0)));
    for (;;) {
      const r = this.attempt(ops);
      if (r !== 'blocked') return r;
      const left = deadline - Date.now();
      if (left <= 0) return this.attempt(ops, true) as OperationResult[];
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.changeWaiters.push(done);
      });
    }
  }

  private attempt(ops: readonly Operation[], timedOut = false): OperationResult[] | 'blocked' {
    const work = cloneDb(this.db);
    const named = new Map<string, Uuid>();
    const resolve: Resolve = (n) => {
      const u = named.get(n.name);
      if (!u) throw new FakeOvsdbError('syntax error', `unknown named-uuid ${n.name}`);
      return u;
    };
    const results: OperationResult[] = [];
    for (const [i, o] of ops.entries()) {
      try {
        const r = this.op(work, o, resolve, named, timedOut);
        if (r === 'blocked') return 'blocked';
        results.push(r);
      } catch (e) {
        if (!(e instanceof FakeOvsdbError)) throw e;
        throw operationError({ error: e.error, details: e.details }, i, o.op);
      }
    }
    if (ops.every((o) => ['select', 'wait', 'comment'].includes(o.op))) return results;
    try {
      this.collectGarbage(work);
      this.checkCommit(work);
    } catch (e) {
      if (!(e instanceof FakeOvsdbError)) throw e;
      throw operationError({ error: e.error, details: e.details }, ops.length, undefined);
    }
    this.commitDb(work);
    return results;
  }

  private op(
    work: Db,
    o: Operation,
    resolve: Resolve,
    named: Map<string, Uuid>,
    timedOut: boolean,
  ): OperationResult | 'blocked' {
    if (o.op === 'comment') return {};
    table(o.table);
    const rows = work[o.table]!;
    switch (o.op) {
      case 'insert': {
        const uuid = randomUUID();
        if (o.uuidName) named.set(o.uuidName, new Uuid(uuid));
        rows.set(uuid, this.fullRow(o.table, o.row, resolve));
        return { uuid: new Uuid(uuid) };
      }
      case 'select':
        for (const c of o.columns ?? []) if (c !== '_uuid') column(o.table, c);
        return {
          rows: this.matching(rows, o.table, o.where, resolve).map(([u, r]) =>
            project(u, r, o.columns ?? ['_uuid', ...Object.keys(r)]),
          ),
        };
      case 'update': {
        const hits = this.matching(rows, o.table, o.where, resolve);
        for (const [c] of Object.entries(o.row))
          if (column(o.table, c).immutable)
            throw new FakeOvsdbError('constraint violation', `cannot update immutable column ${c}`);
        for (const [u, r] of hits) rows.set(u, { ...r, ...this.columns(o.table, o.row, resolve) });
        return { count: hits.length };
      }
      case 'mutate': {
        const hits = this.matching(rows, o.table, o.where, resolve);
        for (const [u, r] of hits) rows.set(u, this.mutated(o.table, r, o.mutations, resolve));
        return { count: hits.length };
      }
      case 'delete': {
        const hits = this.matching(rows, o.table, o.where, resolve);
        for (const [u] of hits) rows.delete(u);
        return { count: hits.length };
      }
      case 'wait': {
        const got = this.matching(rows, o.table, o.where, resolve)
          .map(([u, r]) => JSON.stringify(o.columns.map((c) => valueKey(c === '_uuid' ? new Uuid(u) : r[c]))))
          .sort();
        const want = o.rows
          .map((r) =>
            JSON.stringify(o.columns.map((c) => valueKey(canonical(r[c]!, column(o.table, c), resolve, c)))),
          )
          .sort();
        const equal = JSON.stringify(got) === JSON.stringify(want);
        if (equal === (o.until === '==')) return {};
        if (timedOut || o.timeoutMs === 0)
          throw new FakeOvsdbError('timed out', `wait on ${o.table} timed out`);
        return 'blocked';
      }
    }
  }

  private fullRow(
    t: string,
    given: OvsdbRow,
    resolve: Resolve = () => {
      throw new FakeOvsdbError('syntax error', 'named uuid');
    },
  ): OvsdbRow {
    const row: OvsdbRow = {};
    for (const [c, col] of Object.entries(table(t).columns)) row[c] = defaultValue(col);
    return { ...row, ...this.columns(t, given, resolve) };
  }

  private columns(t: string, given: OvsdbRow, resolve: Resolve): OvsdbRow {
    const out: OvsdbRow = {};
    for (const [c, v] of Object.entries(given)) out[c] = canonical(v, column(t, c), resolve, `${t}.${c}`);
    return out;
  }

  private matching(
    rows: Map<string, OvsdbRow>,
    t: string,
    where: readonly Condition[],
    resolve: Resolve,
  ): [string, OvsdbRow][] {
    return [...rows].filter(([u, r]) => where.every((c) => this.holds(t, u, r, c, resolve)));
  }

  private holds(t: string, uuid: string, r: OvsdbRow, [c, f, v]: Condition, resolve: Resolve): boolean {
    const col: ColumnType = c === '_uuid' ? { key: 'uuid', min: 1, max: 1 } : column(t, c);
    const have = c === '_uuid' ? new Uuid(uuid) : r[c]!;
    const want = canonical(v, col, resolve, c);
    if (f === '==' || f === '!=') return (valueKey(have) === valueKey(want)) === (f === '==');
    if (f === 'includes' || f === 'excludes') {
      const hk = new Set(
        have instanceof OvsdbMap
          ? have.entries.map(([k, x]) => `${atomKey(k)}=${atomKey(x)}`)
          : elements(have).map(atomKey),
      );
      const wk =
        want instanceof OvsdbMap
          ? want.entries.map(([k, x]) => `${atomKey(k)}=${atomKey(x)}`)
          : elements(want).map(atomKey);
      return f === 'includes' ? wk.every((k) => hk.has(k)) : wk.every((k) => !hk.has(k));
    }
    const [a, b] = [elements(have)[0], elements(want)[0]];
    if (typeof a !== 'number' || typeof b !== 'number') return false;
    return f === '<' ? a < b : f === '<=' ? a <= b : f === '>' ? a > b : a >= b;
  }

  private mutated(t: string, r: OvsdbRow, mutations: readonly Mutation[], resolve: Resolve): OvsdbRow {
    const out = { ...r };
    for (const [c, m, v] of mutations) {
      const col = column(t, c);
      if (col.immutable)
        throw new FakeOvsdbError('constraint violation', `cannot mutate immutable column ${c}`);
      const cur = out[c]!;
      let next: OvsdbValue;
      if (m === 'insert' || m === 'delete') {
        if (col.value !== undefined) {
          const map = cur as OvsdbMap;
          if (m === 'insert') {
            const add = canonical(v, col, resolve, c) as OvsdbMap;
            const keys = new Set(map.entries.map(([k]) => atomKey(k)));
            next = new OvsdbMap([...map.entries, ...add.entries.filter(([k]) => !keys.has(atomKey(k)))]);
          } else if (v instanceof OvsdbMap) {
            const del = new Set(
              (canonical(v, col, resolve, c) as OvsdbMap).entries.map(
                ([k, x]) => `${atomKey(k)}=${atomKey(x)}`,
              ),
            );
            next = new OvsdbMap(map.entries.filter(([k, x]) => !del.has(`${atomKey(k)}=${atomKey(x)}`)));
          } else {
            const keyCol: ColumnType = { key: col.key, min: 0, max: Number.POSITIVE_INFINITY };
            const del = new Set(elements(canonical(v, keyCol, resolve, c)).map(atomKey));
            next = new OvsdbMap(map.entries.filter(([k]) => !del.has(atomKey(k))));
          }
        } else {
          const setCol: ColumnType = { ...col, min: 0, max: Number.POSITIVE_INFINITY };
          const items = elements(canonical(v, setCol, resolve, c));
          const del = new Set(items.map(atomKey));
          next =
            m === 'insert'
              ? setOf([...elements(cur), ...items])
              : setOf(elements(cur).filter((a) => !del.has(atomKey(a))));
        }
      } else {
        const n = v as number;
        const op = (a: OvsdbAtom) => {
          const x = a as number;
          return m === '+='
            ? x + n
            : m === '-='
              ? x - n
              : m === '*='
                ? x * n
                : m === '/='
                  ? Math.trunc(x / n)
                  : x % n;
        };
        next = cur instanceof OvsdbSet ? setOf(cur.items.map(op)) : op(cur as OvsdbAtom);
      }
      out[c] = canonical(next, col, resolve, `${t}.${c}`);
    }
    return out;
  }

  // Non-root rows that no row refers to (strongly) are deleted, transitively: reachability from the roots.
  private collectGarbage(work: Db): void {
    const live = new Set<string>();
    const visit = (t: string, uuid: string) => {
      if (live.has(uuid)) return;
      const r = work[t]!.get(uuid);
      if (!r) return;
      live.add(uuid);
      for (const [c, col] of Object.entries(table(t).columns)) {
        if (col.refTable)
          for (const a of elements(r[c]!)) if (a instanceof Uuid) visit(col.refTable, a.value);
      }
    };
    for (const [t, s] of Object.entries(SCHEMA)) if (s.root) for (const u of work[t]!.keys()) visit(t, u);
    for (const [t, s] of Object.entries(SCHEMA))
      if (!s.root) for (const u of [...work[t]!.keys()]) if (!live.has(u)) work[t]!.delete(u);
  }

  private checkCommit(work: Db): void {
    for (const [t, s] of Object.entries(SCHEMA)) {
      const seen = new Map<string, string>();
      for (const [u, r] of work[t]!) {
        for (const [c, col] of Object.entries(s.columns)) {
          const items = elements(r[c]!);
          if (col.refTable) {
            for (const a of items) {
              if (a instanceof Uuid && !work[col.refTable]!.has(a.value)) {
                throw new FakeOvsdbError(
                  'referential integrity violation',
                  `${t}.${c} refers to a missing ${col.refTable} row`,
                );
              }
            }
          }
          if (!(col.min === 1 && col.max === 1) && items.length < col.min) {
            throw new FakeOvsdbError(
              'constraint violation',
              `${t} row ${u} column ${c} has ${items.length} elements, at least ${col.min} required`,
            );
          }
        }
        for (const ix of s.indexes) {
          const key = valueKey(r[ix]);
          if (seen.has(key)) {
            throw new FakeOvsdbError(
              'constraint violation',
              `Transaction causes multiple rows in "${t}" table to have identical values (${String(r[ix])}) for index on column "${ix}"`,
            );
          }
          seen.set(key, u);
        }
      }
    }
  }

  private commitDb(after: Db): void {
    const before = this.db;
    this.db = after;
    for (const m of this.monitors.values()) {
      const u = this.updates(m.requests, before, after);
      if (Object.keys(u).length > 0) m.handler(u, false);
    }
    for (const w of this.changeWaiters.splice(0)) w();
    if (this.vswitchdRunning && this.vswitchdPending())
      setImmediate(() => this.vswitchdRunning && this.applyVswitchd());
  }

  private updates(requests: MonitorRequests, before: Db, after: Db): TableUpdates {
    const out: TableUpdates = {};
    for (const [t, q] of Object.entries(requests)) {
      const cols = q.columns ?? Object.keys(table(t).columns);
      const old = before[t] ?? new Map<string, OvsdbRow>();
      const now = after[t] ?? new Map<string, OvsdbRow>();
      const rows: Record<string, RowUpdate> = {};
      for (const u of new Set([...old.keys(), ...now.keys()])) {
        const a = old.get(u);
        const b = now.get(u);
        if (!a && b) rows[u] = { new: project(u, b, cols, false) };
        else if (a && !b) rows[u] = { old: project(u, a, cols, false) };
        else if (a && b) {
          const changed = cols.filter((c) => valueKey(a[c]) !== valueKey(b[c]));
          if (changed.length > 0)
            rows[u] = { old: project(u, a, changed, false), new: project(u, b, cols, false) };
        }
      }
      if (Object.keys(rows).length > 0) out[t] = rows;
    }
    return out;
  }
}

// The columns of a row as the server sends them (`_uuid` on request, one-element sets as atoms).
function project(uuid: string, r: OvsdbRow, columns: readonly string[], withUuid = true): OvsdbRow {
  const out: OvsdbRow = {};
  for (const c of columns) {
    if (c === '_uuid') {
      if (withUuid) out._uuid = new Uuid(uuid);
    } else if (r[c] !== undefined) out[c] = wireForm(r[c]!);
  }
  return out;
}

function plain(v: OvsdbValue): unknown {
  if (v instanceof OvsdbMap) return mapRecord(v);
  if (v instanceof OvsdbSet) return v.items.map((a) => (a instanceof Uuid ? a.value : a));
  return v instanceof Uuid ? v.value : v;
}
