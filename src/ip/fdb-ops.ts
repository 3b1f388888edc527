// FDB operations as data: the entries of bridges and VXLAN devices to append, replace, delete or
// show, rendered as `bridge -batch` lines with every word re-checked, and parsed back from
// `bridge -j fdb show`. Neutron: bridge_lib.FdbInterface's commands.
import { InvalidInputError } from '../errors.js';
import { type DeviceName, deviceName, type IpAddress, ipAddress, type Mac, mac } from '../net/types.js';

/** The all-zero MAC: on a VXLAN device, the default destination (where unknown and broadcast frames are flooded). */
export const FLOOD_MAC = '00:00:00:00:00:00';

/** A MAC an FDB entry can have: unicast, or {@link FLOOD_MAC}. */
export type FdbMac = Mac | typeof FLOOD_MAC;

/**
 * Validates an FDB MAC: a unicast MAC (lower-cased) or `00:00:00:00:00:00`.
 *
 * @throws {InvalidInputError} naming `where`
 */
export function fdbMac(value: unknown, where = 'mac'): FdbMac {
  if (typeof value === 'string' && value.toLowerCase() === FLOOD_MAC) return FLOOD_MAC;
  return mac(value as string, where);
}

/** Whose table an entry is in: the device's own (`self`, a VXLAN device's remotes) or its bridge's (`master`). */
export type FdbTable = 'self' | 'master';

/** One FDB entry to write. */
export interface FdbEntrySpec {
  readonly mac: FdbMac;
  readonly dev: DeviceName;
  /** The remote VTEP (VXLAN devices). */
  readonly dst?: IpAddress;
  /** `self` (default) or `master`. */
  readonly table?: FdbTable;
  /** `permanent` (default) or `static`. */
  readonly state?: 'permanent' | 'static';
}

/**
 * One `bridge -batch` operation on the FDB. `fdb.append` adds a destination (VXLAN flood lists hold
 * several per MAC); `fdb.replace` sets the one destination of a MAC; `fdb.del` removes an entry
 * (with `dst`: that destination only); `fdb.show` reads (a device, or a bridge's ports).
 */
export type FdbOp =
  | { readonly op: 'fdb.append' | 'fdb.replace'; readonly entry: FdbEntrySpec }
  | {
      readonly op: 'fdb.del';
      readonly mac: FdbMac;
      readonly dev: DeviceName;
      readonly dst?: IpAddress;
      readonly table?: FdbTable;
    }
  | { readonly op: 'fdb.show'; readonly dev?: DeviceName; readonly br?: DeviceName };

/** The result of one FDB operation: its line and, for a read, the parsed JSON. */
export interface FdbResult {
  readonly op: FdbOp;
  readonly line: string;
  readonly output: unknown;
}

/** An FDB entry as `bridge -j fdb show` reports it. */
export interface FdbEntry {
  readonly mac: string;
  /** The device it is on. */
  readonly dev: string;
  /** The remote VTEP, or null. */
  readonly dst: string | null;
  /** Flags as bridge prints them: `self`, `master`, `extern_learn`, … */
  readonly flags: readonly string[];
  /** The bridge the device is a port of, when the entry is the bridge's. */
  readonly master: string | null;
  /** `permanent`, `static`, or '' for a learned (dynamic) entry. */
  readonly state: string;
}

// What could end a line or open a quote or comment in bridge's batch parser.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029"'\\#]/;

/**
 * Validates an FDB table: `self` (default) or `master`.
 *
 * @throws {InvalidInputError} naming `where`
 */
export function fdbTable(v: unknown, where: string): FdbTable {
  if (v === undefined || v === 'self') return 'self';
  if (v === 'master') return 'master';
  throw new InvalidInputError(`${where}: ${JSON.stringify(v)} is not self or master`, where);
}

function entryWords(o: string, e: FdbEntrySpec): string[] {
  if (typeof e !== 'object' || e === null)
    throw new InvalidInputError(`${o} entry: not an object`, `${o} entry`);
  const w = [fdbMac(e.mac, `${o} mac`), 'dev', deviceName(e.dev, `${o} dev`)];
  if (e.dst !== undefined) w.push('dst', ipAddress(e.dst, `${o} dst`));
  w.push(fdbTable(e.table, `${o} table`));
  const state = e.state ?? 'permanent';
  if (state !== 'permanent' && state !== 'static') {
    throw new InvalidInputError(
      `${o} state: ${JSON.stringify(state)} is not permanent or static`,
      `${o} state`,
    );
  }
  w.push(state);
  return w;
}

function render(o: FdbOp): string {
  switch (o.op) {
    case 'fdb.append':
    case 'fdb.replace':
      return ['fdb', o.op.slice(4), ...entryWords(o.op, o.entry)].join(' ');
    case 'fdb.del': {
      const w = ['fdb', 'del', fdbMac(o.mac, 'fdb.del mac'), 'dev', deviceName(o.dev, 'fdb.del dev')];
      if (o.dst !== undefined) w.push('dst', ipAddress(o.dst, 'fdb.del dst'));
      w.push(fdbTable(o.table, 'fdb.del table'));
      return w.join(' ');
    }
    case 'fdb.show': {
      // A device name always follows its keyword: bare, bridge would take it for a keyword.
      const w = ['fdb', 'show'];
      if (o.br !== undefined) w.push('br', deviceName(o.br, 'fdb.show br'));
      if (o.dev !== undefined) w.push('dev', deviceName(o.dev, 'fdb.show dev'));
      return w.join(' ');
    }
    default:
      throw new InvalidInputError(
        `op: ${JSON.stringify((o as { op: unknown }).op)} is not an fdb operation`,
        'op',
      );
  }
}

/**
 * The `bridge -batch` line for one operation (no newline). Pure. Every word is re-checked here with
 * the validators the verbs use: a malformed address ends the whole `bridge` process, even with
 * `-force` ("any valid address is expected"), and a forged op must never reach it.
 *
 * @throws {InvalidInputError} naming the op and field
 */
export function fdbLine(o: FdbOp): string {
  if (typeof o !== 'object' || o === null) throw new InvalidInputError('op: not an operation', 'op');
  const line = render(o);
  if (UNSAFE.test(line)) {
    throw new InvalidInputError(
      `op ${o.op}: the line ${JSON.stringify(line)} carries an unsafe character`,
      'op',
    );
  }
  return line;
}

/** True for the operations whose output is a JSON document. */
export function isFdbRead(o: FdbOp): boolean {
  return o.op === 'fdb.show';
}

/**
 * Turns `bridge -j fdb show` output into {@link FdbEntry}s; `dev` fills in the device when the command
 * named it (bridge then leaves it out of each entry). Pure.
 */
export function parseFdb(output: unknown, dev?: string): FdbEntry[] {
  if (!Array.isArray(output)) return [];
  return (output as Record<string, unknown>[]).map((e) => ({
    mac: String(e.mac).toLowerCase(),
    dev: typeof e.ifname === 'string' ? e.ifname : (dev ?? ''),
    dst: typeof e.dst === 'string' ? e.dst : null,
    flags: Array.isArray(e.flags) ? e.flags.map(String) : [],
    master: typeof e.master === 'string' ? e.master : null,
    state: typeof e.state === 'string' ? e.state : '',
  }));
}
