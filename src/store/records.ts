// The keys agents write: their own record and their ports' l2pop entries under their lease, and their
// status per topology, written only when it changes (nobody pays for a status that says the same).
// Neutron: the agents table (report_state) and the l2pop driver's fdb entries, here written by the
// agent that owns them.

import { InvalidInputError } from '../errors.js';
import type { Store } from './client.js';
import {
  type AgentRecord,
  decodeAgent,
  decodeL2pop,
  decodeStatus,
  encodeValue,
  type HostStatus,
  type L2popRecord,
} from './codec.js';
import { StoreValueError } from './errors.js';
import { hostName } from './keys.js';
import type { StoreLease } from './lease.js';

/** A port's l2pop entry as read: where it is, what it says, and when it was written. */
export interface L2popEntry {
  readonly topology: string;
  readonly network: string;
  readonly host: string;
  readonly port: string;
  readonly record: L2popRecord;
  /** Its mod revision: when one MAC is published twice, the newest wins. */
  readonly modRevision: number;
}

/** Checks a record by reading it back as a decoder would: a bad one is the caller's argument. */
function checked(where: string, decode: () => unknown): void {
  try {
    decode();
  } catch (e) {
    if (!(e instanceof StoreValueError)) throw e;
    throw new InvalidInputError(`${where}: ${e.reason}`, where);
  }
}

/**
 * Puts the host's agent record under its lease.
 *
 * Equivalent to: `etcdctl put --lease=ID PREFIX/hosts/HOST/agent VALUE`
 *
 * @throws {InvalidInputError} for a record that is not one (naming the field)
 * @throws {LeaseLostError} {@link StoreUnavailableError}
 */
export async function putAgent(
  store: Store,
  lease: StoreLease,
  host: string,
  record: AgentRecord,
): Promise<void> {
  const key = store.keys.agent(host);
  checked('record', () => decodeAgent(key, encodeValue(record)));
  await lease.put(key, encodeValue(record));
}

/**
 * Every live agent (its record, by host): what `plan --store` warns about and what gives each host's
 * underlay MTU to `buildModel`. Paginated, at one revision.
 *
 * @throws {StoreValueError} for a record tenantnet did not write; {@link StoreUnavailableError}
 */
export async function readAgents(store: Store): Promise<Map<string, AgentRecord>> {
  // The keys of every host first (slices and statuses are large, agent records small), then the
  // agent records at the same revision.
  const keys = await store.list(store.keys.hosts(), { keysOnly: true });
  const agents = keys.entries.flatMap((e) => {
    const k = store.keys.parse(e.key);
    return k?.kind === 'agent' ? [{ host: k.host, key: e.key }] : [];
  });
  const read = await Promise.all(
    agents.map(async (a) => ({ ...a, got: await store.get(a.key, keys.revision) })),
  );
  const out = new Map<string, AgentRecord>();
  for (const { host, key, got } of read) if (got.entry) out.set(host, decodeAgent(key, got.entry.value));
  return out;
}

/**
 * Writes a host's status for a topology only when it differs from what is stored: one transaction
 * `If(value == new) Then() Else(put)`, so an unchanged status costs no write and moves no revision.
 *
 * @returns true when it was written
 * @throws {InvalidInputError} for a status that is not one
 * @throws {StoreUnavailableError}
 */
export async function putStatus(
  store: Store,
  host: string,
  topology: string,
  status: HostStatus,
): Promise<boolean> {
  const key = Buffer.from(store.keys.status(hostName(host), topology));
  checked('status', () => decodeStatus(key.toString(), encodeValue(status)));
  const value = Buffer.from(encodeValue(status));
  const res = await store.call(`write status of ${host}`, () =>
    store.client.kv.txn({
      compare: [{ key, target: 'Value', result: 'Equal', value }],
      success: [],
      failure: [{ request_put: { key, value } }],
    }),
  );
  return !res.succeeded;
}

/**
 * Publishes a port plugged and up on this host, under the host's lease.
 *
 * Equivalent to: `etcdctl put --lease=ID PREFIX/l2pop/TOPO/NET/HOST/PORT VALUE`
 *
 * @throws {InvalidInputError} for a record that is not one
 * @throws {LeaseLostError} {@link StoreUnavailableError}
 */
export async function putL2pop(
  store: Store,
  lease: StoreLease,
  where: { topology: string; network: string; host: string; port: string },
  record: L2popRecord,
): Promise<void> {
  const key = store.keys.l2pop(where.topology, where.network, where.host, where.port);
  checked('record', () => decodeL2pop(key, encodeValue(record)));
  await lease.put(key, encodeValue(record));
}

/**
 * Withdraws a port (unplugged). Absent is not an error.
 *
 * @throws {StoreUnavailableError}
 */
export async function deleteL2pop(
  store: Store,
  where: { topology: string; network: string; host: string; port: string },
): Promise<void> {
  const key = store.keys.l2pop(where.topology, where.network, where.host, where.port);
  await store.call(`delete ${key}`, () => store.client.kv.deleteRange({ key: Buffer.from(key) }));
}

/**
 * The l2pop entries among listed or watched entries (anything else is skipped). Pure apart from
 * decoding.
 *
 * @throws {StoreValueError} for an l2pop value tenantnet did not write
 */
export function l2popEntries(
  store: Store,
  entries: Iterable<{ readonly key: string; readonly value: Buffer; readonly modRevision: number }>,
): L2popEntry[] {
  const out: L2popEntry[] = [];
  for (const e of entries) {
    const k = store.keys.parse(e.key);
    if (k?.kind !== 'l2pop') continue;
    out.push({
      topology: k.topology,
      network: k.network,
      host: k.host,
      port: k.port,
      record: decodeL2pop(e.key, e.value),
      modRevision: e.modRevision,
    });
  }
  return out;
}
