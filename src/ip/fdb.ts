// FDB verbs: append, replace, delete and list the forwarding entries of bridges and VXLAN devices, as
// spec -> FdbOp -> one `bridge -batch` coprocess per namespace. Neutron: bridge_lib.FdbInterface.
import { optionalNamespace } from '../net/namespace.js';
import { deviceName, ipAddress } from '../net/types.js';
import { type BridgeVia, bridgeExecutorOf } from './bridge-batch.js';
import { ObjectNotFoundError } from './errors.js';
import {
  type FdbEntry,
  type FdbEntrySpec,
  type FdbOp,
  type FdbTable,
  fdbMac,
  fdbTable,
  parseFdb,
} from './fdb-ops.js';

/** Arguments of the FDB verbs. */
export interface FdbArgs extends BridgeVia {
  readonly namespace?: string | null;
  readonly mac: string;
  readonly dev: string;
  readonly dst?: string;
  readonly table?: FdbTable;
  readonly state?: 'permanent' | 'static';
}

/** Validates an FDB entry (not its namespace). @throws {InvalidInputError} */
export function fdbEntrySpec(a: Omit<FdbArgs, 'namespace' | 'executor'>): FdbEntrySpec {
  return {
    mac: fdbMac(a.mac),
    dev: deviceName(a.dev, 'dev'),
    ...(a.dst === undefined ? {} : { dst: ipAddress(a.dst, 'dst') }),
    ...(a.table === undefined ? {} : { table: fdbTable(a.table, 'table') }),
    ...(a.state === undefined ? {} : { state: a.state }),
  };
}

async function run(a: BridgeVia & { namespace?: string | null }, ops: FdbOp[]) {
  return bridgeExecutorOf(a).apply(optionalNamespace(a.namespace), ops);
}

/**
 * Adds a destination for a MAC (another VTEP on a flood entry); an identical entry is no error.
 *
 * Equivalent to: `bridge fdb append MAC dev DEV [dst IP] self permanent`
 *
 * @throws {DeviceNotFoundError}; validation errors before anything runs
 */
export async function appendFdb(a: FdbArgs): Promise<void> {
  await run(a, [{ op: 'fdb.append', entry: fdbEntrySpec(a) }]);
}

/**
 * Sets the one destination of a MAC (adds it or moves it).
 *
 * Equivalent to: `bridge fdb replace MAC dev DEV [dst IP] self permanent`
 *
 * @throws {DeviceNotFoundError}; validation errors before anything runs
 */
export async function replaceFdb(a: FdbArgs): Promise<void> {
  await run(a, [{ op: 'fdb.replace', entry: fdbEntrySpec(a) }]);
}

/**
 * Deletes an entry (with `dst`: that destination of it). An absent entry is not an error.
 *
 * Equivalent to: `bridge fdb del MAC dev DEV [dst IP] self`
 *
 * @returns false when there was no such entry
 * @throws {DeviceNotFoundError}; validation errors before anything runs
 */
export async function deleteFdb(a: Omit<FdbArgs, 'state'>): Promise<boolean> {
  const s = fdbEntrySpec(a);
  try {
    await run(a, [
      { op: 'fdb.del', mac: s.mac, dev: s.dev, ...(s.dst ? { dst: s.dst } : {}), table: s.table ?? 'self' },
    ]);
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  }
}

/**
 * Lists FDB entries: of one device, of a bridge's ports (`br`), or all in the namespace.
 *
 * Equivalent to: `bridge [-n NS] -j fdb show [br BR] [dev DEV]`
 *
 * @throws {DeviceNotFoundError}; validation errors before anything runs
 */
export async function listFdb(
  a: BridgeVia & { readonly namespace?: string | null; readonly dev?: string; readonly br?: string } = {},
): Promise<FdbEntry[]> {
  const dev = a.dev === undefined ? undefined : deviceName(a.dev, 'dev');
  const br = a.br === undefined ? undefined : deviceName(a.br, 'br');
  const [r] = await run(a, [{ op: 'fdb.show', ...(dev ? { dev } : {}), ...(br ? { br } : {}) }]);
  return parseFdb(r?.output, dev);
}
