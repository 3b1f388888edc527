// The part of the Open_vSwitch schema (vswitch.ovsschema 8.x) the fake OVSDB knows, and its value
// rules: each column's type, how a value is checked and put in canonical form, how rows compare.
import {
  NamedUuid,
  type OvsdbAtom,
  OvsdbMap,
  type OvsdbRow,
  OvsdbSet,
  type OvsdbValue,
  Uuid,
} from '../../src/ovs/ovsdb/values.js';

/** The type of an atom in a column. */
export type AtomType = 'string' | 'integer' | 'boolean' | 'uuid';

/** A column's type, as the schema says. */
export interface ColumnType {
  readonly key: AtomType;
  /** Present for a map column. */
  readonly value?: AtomType;
  readonly min: number;
  readonly max: number;
  /** For uuid columns: the table referred to (strongly). */
  readonly refTable?: string;
  readonly enum?: readonly string[];
  readonly minInteger?: number;
  readonly maxInteger?: number;
  readonly immutable?: boolean;
}

/** A table: its columns, whether it is a root table, its unique indexes. */
export interface TableSchema {
  readonly root: boolean;
  readonly columns: Readonly<Record<string, ColumnType>>;
  readonly indexes: readonly string[];
}

const U = Number.POSITIVE_INFINITY;
const str: ColumnType = { key: 'string', min: 1, max: 1 };
const int: ColumnType = { key: 'integer', min: 1, max: 1 };
const optStr: ColumnType = { key: 'string', min: 0, max: 1 };
const optInt: ColumnType = { key: 'integer', min: 0, max: 1 };
const smap: ColumnType = { key: 'string', value: 'string', min: 0, max: U };
const vlans: ColumnType = { key: 'integer', min: 0, max: 4096, minInteger: 0, maxInteger: 4095 };
const name: ColumnType = { ...str, immutable: true };

/** The tables the fake holds. */
export const SCHEMA: Readonly<Record<string, TableSchema>> = {
  Open_vSwitch: {
    root: true,
    indexes: [],
    columns: {
      bridges: { key: 'uuid', min: 0, max: U, refTable: 'Bridge' },
      other_config: smap,
      external_ids: smap,
      next_cfg: int,
      cur_cfg: int,
      ovs_version: optStr,
    },
  },
  Bridge: {
    root: false,
    indexes: ['name'],
    columns: {
      name,
      datapath_type: str,
      ports: { key: 'uuid', min: 0, max: U, refTable: 'Port' },
      protocols: {
        key: 'string',
        min: 0,
        max: U,
        enum: ['OpenFlow10', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13', 'OpenFlow14', 'OpenFlow15'],
      },
      fail_mode: { ...optStr, enum: ['standalone', 'secure'] },
      stp_enable: { key: 'boolean', min: 1, max: 1 },
      other_config: smap,
      external_ids: smap,
    },
  },
  Port: {
    root: false,
    indexes: ['name'],
    columns: {
      name,
      interfaces: { key: 'uuid', min: 1, max: U, refTable: 'Interface' },
      trunks: vlans,
      tag: { ...optInt, minInteger: 0, maxInteger: 4095 },
      vlan_mode: { ...optStr, enum: ['trunk', 'access', 'native-tagged', 'native-untagged', 'dot1q-tunnel'] },
      other_config: smap,
      external_ids: smap,
    },
  },
  Interface: {
    root: false,
    indexes: ['name'],
    columns: {
      name,
      type: str,
      options: smap,
      external_ids: smap,
      other_config: smap,
      ofport: optInt,
      ofport_request: { ...optInt, minInteger: 1, maxInteger: 65279 },
      mtu_request: { ...optInt, minInteger: 1 },
      mtu: optInt,
      error: optStr,
    },
  },
};

/** An RFC 7047 error the fake answers with. */
export class FakeOvsdbError extends Error {
  constructor(
    readonly error: string,
    readonly details: string,
  ) {
    super(`${error}: ${details}`);
  }
}

/** Resolves a named uuid of the running transaction. */
export type Resolve = (n: NamedUuid) => Uuid;

function atom(a: OvsdbAtom, t: AtomType, c: ColumnType, resolve: Resolve, where: string): OvsdbAtom {
  const v = a instanceof NamedUuid ? resolve(a) : a;
  const ok =
    (t === 'string' && typeof v === 'string') ||
    (t === 'integer' && typeof v === 'number' && Number.isInteger(v)) ||
    (t === 'boolean' && typeof v === 'boolean') ||
    (t === 'uuid' && v instanceof Uuid);
  if (!ok) throw new FakeOvsdbError('syntax error', `${where}: ${JSON.stringify(v)} is not a ${t}`);
  if (t === 'string' && c.enum && !c.enum.includes(v as string)) {
    throw new FakeOvsdbError(
      'constraint violation',
      `${where}: ${JSON.stringify(v)} is not one of the allowed values`,
    );
  }
  if (typeof v === 'number' && t === 'integer' && c.value === undefined) {
    if (
      (c.minInteger !== undefined && v < c.minInteger) ||
      (c.maxInteger !== undefined && v > c.maxInteger)
    ) {
      throw new FakeOvsdbError('constraint violation', `${where}: ${v} is out of range`);
    }
  }
  return v;
}

/** A stable text key for an atom (for sorting, sets and map keys). */
export function atomKey(a: OvsdbAtom): string {
  return a instanceof Uuid ? `u:${a.value}` : `${typeof a}:${String(a)}`;
}

/**
 * A value checked against a column type and put in canonical form: scalars as atoms, sets as a
 * sorted, de-duplicated {@link OvsdbSet}, maps as a key-sorted {@link OvsdbMap}. `max` is checked
 * here; `min` at commit.
 *
 * @throws {FakeOvsdbError} as the server would answer
 */
export function canonical(v: OvsdbValue, c: ColumnType, resolve: Resolve, where: string): OvsdbValue {
  if (c.value !== undefined) {
    if (!(v instanceof OvsdbMap)) {
      if (v instanceof OvsdbSet && v.items.length === 0) return new OvsdbMap([]);
      throw new FakeOvsdbError('syntax error', `${where}: expected a map`);
    }
    const m = new Map<string, [OvsdbAtom, OvsdbAtom]>();
    for (const [k, x] of v.entries) {
      const key = atom(k, c.key, c, resolve, where);
      m.set(atomKey(key), [key, atom(x, c.value, c, resolve, where)]);
    }
    return new OvsdbMap([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => e));
  }
  if (v instanceof OvsdbMap) throw new FakeOvsdbError('syntax error', `${where}: expected a set or an atom`);
  const items = v instanceof OvsdbSet ? v.items : [v];
  const set = setOf(items.map((a) => atom(a, c.key, c, resolve, where)));
  if (set.items.length > c.max) {
    throw new FakeOvsdbError(
      'constraint violation',
      `${where}: ${set.items.length} elements, at most ${c.max} allowed`,
    );
  }
  if (c.min === 1 && c.max === 1) {
    if (set.items.length !== 1)
      throw new FakeOvsdbError('syntax error', `${where}: exactly one value required`);
    return set.items[0]!;
  }
  return set;
}

/** A sorted, de-duplicated set. */
export function setOf(items: readonly OvsdbAtom[]): OvsdbSet {
  const m = new Map(items.map((a) => [atomKey(a), a]));
  return new OvsdbSet([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, a]) => a));
}

/** The default value of a column (empty string, 0, false, empty set or map). */
export function defaultValue(c: ColumnType): OvsdbValue {
  if (c.value !== undefined) return new OvsdbMap([]);
  if (c.min === 1 && c.max === 1) return c.key === 'string' ? '' : c.key === 'integer' ? 0 : false;
  return new OvsdbSet([]);
}

/** A canonical value as text, for equality. */
export function valueKey(v: OvsdbValue | undefined): string {
  if (v === undefined) return 'undefined';
  if (v instanceof OvsdbSet) return `set[${v.items.map(atomKey).join(',')}]`;
  if (v instanceof OvsdbMap)
    return `map[${v.entries.map(([k, x]) => `${atomKey(k)}=${atomKey(x)}`).join(',')}]`;
  return atomKey(v);
}

/** The elements of a canonical value seen as a set (an atom is a set of one). */
export function elements(v: OvsdbValue): OvsdbAtom[] {
  return v instanceof OvsdbSet ? [...v.items] : v instanceof OvsdbMap ? v.entries.map(([k]) => k) : [v];
}

/**
 * A canonical value as the server sends it: a set of exactly one element as the bare atom
 * (RFC 7047 allows it and ovsdb-server does it), everything else as it is.
 */
export function wireForm(v: OvsdbValue): OvsdbValue {
  return v instanceof OvsdbSet && v.items.length === 1 ? v.items[0]! : v;
}

/** A row with every column a plain copy (values are immutable objects, so a shallow copy will do). */
export function copyRow(r: OvsdbRow): OvsdbRow {
  return { ...r };
}
