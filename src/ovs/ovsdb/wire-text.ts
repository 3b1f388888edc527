// The last check before a transaction goes on the wire: every string in it (table and column names,
// values, map keys, uuids, comments) must be one ovsdb-server can take. A NUL or a lone surrogate
// makes the server drop the connection, failing every request in flight on it, so one bad value
// from one caller would break all the others.
import { InvalidInputError } from '../../errors.js';
import type { Condition, Mutation, Operation } from './operations.js';
import { NamedUuid, OvsdbMap, OvsdbSet, type OvsdbValue, Uuid } from './values.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The index of the first lone surrogate in `s` (text that cannot be encoded as UTF-8), or -1. */
export function illFormedAt(s: string): number {
  return s.search(LONE_SURROGATE);
}

/**
 * Checks one string for the wire: no NUL, no lone surrogate.
 *
 * @throws {InvalidInputError} naming `where`
 */
export function wireString(s: string, where: string): string {
  if (s.includes('\0')) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(s)} contains a NUL, which OVSDB cannot carry`,
      where,
    );
  }
  if (illFormedAt(s) >= 0) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(s)} is not well-formed Unicode (a lone surrogate)`,
      where,
    );
  }
  return s;
}

function checkAtom(a: unknown, where: string): void {
  if (typeof a === 'string') wireString(a, where);
  else if (a instanceof Uuid) wireString(a.value, where);
  else if (a instanceof NamedUuid) wireString(a.name, where);
}

function checkValue(v: OvsdbValue, where: string): void {
  if (v instanceof OvsdbSet) for (const a of v.items) checkAtom(a, where);
  else if (v instanceof OvsdbMap) {
    for (const [k, x] of v.entries) {
      checkAtom(k, `${where} key`);
      checkAtom(x, where);
    }
  } else checkAtom(v, where);
}

function checkRow(row: Readonly<Record<string, OvsdbValue>>, where: string): void {
  for (const [c, v] of Object.entries(row)) {
    wireString(c, `${where} column name`);
    checkValue(v, `${where}.${c}`);
  }
}

function checkTerms(terms: readonly (Condition | Mutation)[], where: string): void {
  for (const [c, , v] of terms) {
    wireString(c, `${where} column name`);
    checkValue(v, `${where}.${c}`);
  }
}

/**
 * Checks every string of every operation (see {@link wireString}) before anything is sent.
 *
 * @throws {InvalidInputError} naming the operation and the column, e.g. `operation 2 (insert Interface).external_ids`
 */
export function checkWireText(ops: readonly Operation[]): void {
  for (const [i, o] of ops.entries()) {
    if (o.op === 'comment') {
      wireString(o.comment, `operation ${i} (comment)`);
      continue;
    }
    const where = `operation ${i} (${o.op} ${JSON.stringify(o.table)})`;
    wireString(o.table, `${where} table name`);
    switch (o.op) {
      case 'insert':
        checkRow(o.row, where);
        if (o.uuidName !== undefined) wireString(o.uuidName, `${where} uuid-name`);
        break;
      case 'update':
        checkTerms(o.where, `${where} where`);
        checkRow(o.row, where);
        break;
      case 'mutate':
        checkTerms(o.where, `${where} where`);
        checkTerms(o.mutations, `${where} mutation`);
        break;
      case 'wait':
        checkTerms(o.where, `${where} where`);
        for (const r of o.rows) checkRow(r, `${where} rows`);
        for (const c of o.columns) wireString(c, `${where} column name`);
        break;
      case 'select':
        checkTerms(o.where, `${where} where`);
        for (const c of o.columns ?? []) wireString(c, `${where} column name`);
        break;
      case 'delete':
        checkTerms(o.where, `${where} where`);
        break;
    }
  }
}
