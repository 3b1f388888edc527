// Transaction operations as data (RFC 7047 §5.2) and the Transaction that collects them (ovsdbapp: Transaction).
import {
  encodeRow,
  encodeValue,
  NamedUuid,
  type OvsdbRow,
  type OvsdbValue,
  ovsMap,
  ovsSet,
  Uuid,
} from './values.js';

/** A `where` clause term: `[column, function, value]` (RFC 7047 §5.1). */
export type Condition = readonly [
  column: string,
  fn: '==' | '!=' | '<' | '<=' | '>' | '>=' | 'includes' | 'excludes',
  value: OvsdbValue,
];

/** A `mutate` term: `[column, mutator, value]`. */
export type Mutation = readonly [
  column: string,
  mutator: '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete',
  value: OvsdbValue,
];

/** One transaction operation (RFC 7047 §5.2), as data. */
export type Operation =
  | { readonly op: 'insert'; readonly table: string; readonly row: OvsdbRow; readonly uuidName?: string }
  | {
      readonly op: 'select';
      readonly table: string;
      readonly where: readonly Condition[];
      readonly columns?: readonly string[];
    }
  | {
      readonly op: 'update';
      readonly table: string;
      readonly where: readonly Condition[];
      readonly row: OvsdbRow;
    }
  | {
      readonly op: 'mutate';
      readonly table: string;
      readonly where: readonly Condition[];
      readonly mutations: readonly Mutation[];
    }
  | { readonly op: 'delete'; readonly table: string; readonly where: readonly Condition[] }
  | {
      readonly op: 'wait';
      readonly table: string;
      readonly where: readonly Condition[];
      readonly columns: readonly string[];
      readonly until: '==' | '!=';
      readonly rows: readonly OvsdbRow[];
      readonly timeoutMs?: number;
    }
  | { readonly op: 'comment'; readonly comment: string };

/** The result of one successful operation. */
export interface OperationResult {
  /** insert: the new row's uuid. */
  readonly uuid?: Uuid;
  /** update, mutate, delete: how many rows matched. */
  readonly count?: number;
  /** select: the rows. */
  readonly rows?: OvsdbRow[];
}

/** The wire form of one operation. Pure. */
export function encodeOperation(o: Operation): Record<string, unknown> {
  const where = (w: readonly Condition[]) => w.map(([c, f, v]) => [c, f, encodeValue(v)]);
  switch (o.op) {
    case 'insert':
      return {
        op: 'insert',
        table: o.table,
        row: encodeRow(o.row),
        ...(o.uuidName ? { 'uuid-name': o.uuidName } : {}),
      };
    case 'select':
      return {
        op: 'select',
        table: o.table,
        where: where(o.where),
        ...(o.columns ? { columns: o.columns } : {}),
      };
    case 'update':
      return { op: 'update', table: o.table, where: where(o.where), row: encodeRow(o.row) };
    case 'mutate':
      return {
        op: 'mutate',
        table: o.table,
        where: where(o.where),
        mutations: o.mutations.map(([c, m, v]) => [c, m, encodeValue(v)]),
      };
    case 'delete':
      return { op: 'delete', table: o.table, where: where(o.where) };
    case 'wait':
      return {
        op: 'wait',
        table: o.table,
        where: where(o.where),
        columns: o.columns,
        until: o.until,
        rows: o.rows.map(encodeRow),
        ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
      };
    case 'comment':
      return { op: 'comment', comment: o.comment };
  }
}

/** `name == value`: rows of Bridge, Port and Interface are found by their unique name. */
export function byName(name: string): Condition[] {
  return [['name', '==', name]];
}

/**
 * Appends the mutate that merges `keys` into a map column (other keys stay; a key given replaces its
 * value), as `ovs-vsctl set T R col:k=v` does: delete the keys, then insert the pairs. Pure.
 */
export function mergeMapOps(
  tx: Transaction,
  table: string,
  where: readonly Condition[],
  column: string,
  keys: Readonly<Record<string, string>>,
): number {
  return tx.mutate(table, where, [
    [column, 'delete', ovsSet(...Object.keys(keys))],
    [column, 'insert', ovsMap(keys)],
  ]);
}

/** A condition matching one row by uuid (`_uuid == uuid`). */
export function byUuid(id: Uuid | NamedUuid | string): Condition {
  return ['_uuid', '==', typeof id === 'string' ? new Uuid(id) : id];
}

/**
 * Collects operations for ONE `transact` call. Each `add…` returns the operation's index so the
 * caller can pick its result from the array {@link OvsdbClient.transact} returns. Named uuids are
 * generated here so inserts can refer to each other within the transaction.
 */
export class Transaction {
  /** The operations so far, in order. */
  readonly ops: Operation[] = [];
  private names = 0;

  /** Appends any operation; returns its index. */
  add(op: Operation): number {
    this.ops.push(op);
    return this.ops.length - 1;
  }

  /** Appends an insert under a fresh `uuid-name`; returns the named uuid other operations can refer to. */
  insert(table: string, row: OvsdbRow): NamedUuid {
    const name = `row${this.names++}`;
    this.ops.push({ op: 'insert', table, row, uuidName: name });
    return new NamedUuid(name);
  }

  /** Appends a select; returns its index. */
  select(table: string, where: readonly Condition[], columns?: readonly string[]): number {
    return this.add({ op: 'select', table, where, ...(columns ? { columns } : {}) });
  }

  /** Appends an update; returns its index. */
  update(table: string, where: readonly Condition[], row: OvsdbRow): number {
    return this.add({ op: 'update', table, where, row });
  }

  /** Appends a mutate; returns its index. */
  mutate(table: string, where: readonly Condition[], mutations: readonly Mutation[]): number {
    return this.add({ op: 'mutate', table, where, mutations });
  }

  /** Appends a delete; returns its index. */
  delete(table: string, where: readonly Condition[]): number {
    return this.add({ op: 'delete', table, where });
  }

  /** Appends a comment (shown in the server's log); returns its index. */
  comment(text: string): number {
    return this.add({ op: 'comment', comment: text });
  }

  /** True when no operation changes anything (only selects, waits and comments, or none). */
  get readOnly(): boolean {
    return this.ops.every((o) => o.op === 'select' || o.op === 'wait' || o.op === 'comment');
  }
}
