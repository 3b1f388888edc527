// OVSDB values (atoms, sets, maps, uuids) and their wire forms (RFC 7047 §5.1; OVS: lib/ovsdb-data.c).
import { InvalidInputError } from '../../errors.js';

/** A row's `_uuid` or a reference to a row (`["uuid", "…"]` on the wire). */
export class Uuid {
  /** @param value the UUID text, e.g. `550e8400-e29b-41d4-a716-446655440000` */
  constructor(readonly value: string) {}
  /** @returns the UUID text */
  toString(): string {
    return this.value;
  }
}

/** A reference, within one transaction, to a row inserted with `uuid-name` (`["named-uuid", "…"]`). */
export class NamedUuid {
  /** @param name the `uuid-name` given to the insert (an identifier: letters, digits, `_`) */
  constructor(readonly name: string) {}
}

/** An OVSDB atom: string, integer or real, boolean, or a (named) uuid. */
export type OvsdbAtom = string | number | boolean | Uuid | NamedUuid;

/** An OVSDB set (`["set", […]]`). A one-element set may also arrive as the bare atom. */
export class OvsdbSet {
  /** @param items the elements, in server order */
  constructor(readonly items: readonly OvsdbAtom[]) {}
}

/** An OVSDB map (`["map", [[k, v], …]]`). */
export class OvsdbMap {
  /** @param entries key/value pairs, in server order */
  constructor(readonly entries: readonly (readonly [OvsdbAtom, OvsdbAtom])[]) {}
}

/** Any column value. */
export type OvsdbValue = OvsdbAtom | OvsdbSet | OvsdbMap;

/** A row as column name → value (only the columns that were asked for or changed). */
export type OvsdbRow = Record<string, OvsdbValue>;

/** Makes a {@link Uuid}. */
export function uuid(value: string): Uuid {
  return new Uuid(value);
}

/** Makes a {@link NamedUuid}; the name must be a valid OVSDB identifier. @throws {InvalidInputError} */
export function namedUuid(name: string): NamedUuid {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new InvalidInputError(`named-uuid: "${name}" is not an identifier (A-Z a-z 0-9 _)`);
  }
  return new NamedUuid(name);
}

/** Makes an {@link OvsdbSet}; `ovsSet()` is the empty set, which also means "no value" for optional columns. */
export function ovsSet(...items: OvsdbAtom[]): OvsdbSet {
  return new OvsdbSet(items);
}

/** Makes an {@link OvsdbMap} from a record of string keys (the common case: external_ids, options). */
export function ovsMap(record: Readonly<Record<string, OvsdbAtom>>): OvsdbMap {
  return new OvsdbMap(Object.entries(record));
}

function encodeAtom(a: OvsdbAtom): unknown {
  if (a instanceof Uuid) return ['uuid', a.value];
  if (a instanceof NamedUuid) return ['named-uuid', a.name];
  return a;
}

/** The wire (JSON) form of a value. Pure. */
export function encodeValue(v: OvsdbValue): unknown {
  if (v instanceof OvsdbSet) return ['set', v.items.map(encodeAtom)];
  if (v instanceof OvsdbMap) return ['map', v.entries.map(([k, x]) => [encodeAtom(k), encodeAtom(x)])];
  return encodeAtom(v);
}

/** The wire form of a row. Pure. */
export function encodeRow(row: Readonly<OvsdbRow>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = encodeValue(v);
  return out;
}

function decodeAtom(j: unknown): OvsdbAtom {
  if (typeof j === 'string' || typeof j === 'number' || typeof j === 'boolean') return j;
  if (Array.isArray(j) && j.length === 2 && typeof j[1] === 'string') {
    if (j[0] === 'uuid') return new Uuid(j[1]);
    if (j[0] === 'named-uuid') return new NamedUuid(j[1]);
  }
  throw new TypeError(`OVSDB: not an atom: ${JSON.stringify(j)}`);
}

/**
 * The typed form of a wire value. Pure.
 *
 * @throws {TypeError} when the JSON is not an OVSDB value (a protocol error, not bad input)
 */
export function decodeValue(j: unknown): OvsdbValue {
  if (Array.isArray(j) && j.length === 2 && Array.isArray(j[1])) {
    if (j[0] === 'set') return new OvsdbSet(j[1].map(decodeAtom));
    if (j[0] === 'map') {
      return new OvsdbMap(
        j[1].map((e: unknown) => {
          if (!Array.isArray(e) || e.length !== 2)
            throw new TypeError(`OVSDB: bad map entry ${JSON.stringify(e)}`);
          return [decodeAtom(e[0]), decodeAtom(e[1])] as const;
        }),
      );
    }
  }
  return decodeAtom(j);
}

/** The typed form of a wire row. Pure. */
export function decodeRow(j: unknown): OvsdbRow {
  const out: OvsdbRow = {};
  if (j && typeof j === 'object') for (const [k, v] of Object.entries(j)) out[k] = decodeValue(v);
  return out;
}

/** The elements of a set column (a bare atom counts as a one-element set; undefined as empty). */
export function setItems(v: OvsdbValue | undefined): OvsdbAtom[] {
  if (v === undefined) return [];
  if (v instanceof OvsdbSet) return [...v.items];
  if (v instanceof OvsdbMap) throw new TypeError('OVSDB: expected a set, got a map');
  return [v];
}

/** An optional column's value (a set of at most one element): the atom, or undefined when empty. */
export function optional(v: OvsdbValue | undefined): OvsdbAtom | undefined {
  return setItems(v)[0];
}

/** A map column as a record with string keys and values (uuids become their text). */
export function mapRecord(v: OvsdbValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined) return out;
  if (!(v instanceof OvsdbMap)) {
    if (v instanceof OvsdbSet && v.items.length === 0) return out;
    throw new TypeError('OVSDB: expected a map');
  }
  for (const [k, x] of v.entries) out[atomText(k)] = atomText(x);
  return out;
}

/** An atom as text: strings as they are, uuids as their value, numbers and booleans via String(). */
export function atomText(a: OvsdbAtom): string {
  if (a instanceof Uuid) return a.value;
  if (a instanceof NamedUuid) return a.name;
  return String(a);
}
