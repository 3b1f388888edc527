// The one guarded transaction of an apply or destroy: if the topology's spec and meta are still at the
// revisions planned and every new VNI is still free, write the plan; else write nothing and say
// whether another apply won or which VNI is taken. Checked against the server's limits first.
// Neutron guards the same way with revision_number compare-and-swap (neutron/db/standard_attr).
import type { ICompare, IRequestOp } from 'etcd3';
import { InvalidInputError } from '../errors.js';
import type { Store, TxnLimits } from './client.js';
import { decodeVni } from './codec.js';
import { StoreConflictError, StoreLimitError, VniTakenError } from './errors.js';
import type { StorePlan } from './plan.js';

/** The size of a plan's transaction, as etcd counts it. */
export interface TxnSize {
  /** Compares (spec, meta, one per new VNI); etcd checks each list against `--max-txn-ops`. */
  readonly compares: number;
  /** Writes of the success branch. */
  readonly success: number;
  /** Reads of the failure branch (to say what failed). */
  readonly failure: number;
  /** An upper estimate of the request's bytes (keys, values, per-operation framing). */
  readonly bytes: number;
}

// Protobuf framing per operation and per request, rounded up: the estimate must not be below what
// etcd measures (its raft request carries a header too).
const PER_OP = 24;
const PER_REQUEST = 256;

/** The size of the transaction that commits a plan. Pure. */
export function txnSize(plan: StorePlan): TxnSize {
  const compareKeys = [plan.guard.specKey, plan.guard.metaKey, ...plan.newVnis.map((v) => v.key)];
  let bytes = PER_REQUEST;
  for (const p of plan.puts) bytes += Buffer.byteLength(p.key) + Buffer.byteLength(p.value) + PER_OP;
  for (const d of plan.deletes) bytes += Buffer.byteLength(d) + PER_OP;
  // Compares and failure reads: spec and meta keys plus each new VNI key, twice.
  for (const k of compareKeys) bytes += 2 * (Buffer.byteLength(k) + 64 + PER_OP);
  const guards = 2 + plan.newVnis.length;
  return { compares: guards, success: plan.puts.length + plan.deletes.length, failure: guards, bytes };
}

/**
 * Checks a plan's transaction against the server's limits, before anything is sent.
 *
 * @throws {StoreLimitError} naming the flag to raise (`--max-txn-ops`, `--max-request-bytes`)
 */
export function checkTxnLimits(
  plan: StorePlan,
  limits: TxnLimits,
  operation = `apply topology ${plan.topology}`,
): TxnSize {
  const size = txnSize(plan);
  const ops = Math.max(size.compares, size.success, size.failure);
  if (ops > limits.maxTxnOps) throw new StoreLimitError('--max-txn-ops', ops, limits.maxTxnOps, operation);
  if (size.bytes > limits.maxRequestBytes) {
    throw new StoreLimitError('--max-request-bytes', size.bytes, limits.maxRequestBytes, operation);
  }
  return size;
}

/** What a committed plan did. */
export interface CommitResult {
  /** The store revision after the transaction (unchanged when the plan wrote nothing). */
  readonly revision: number;
  /** Keys written or deleted. */
  readonly changes: number;
  /** The topology's revision now (its meta's mod revision; 0 after a destroy). */
  readonly topologyRevision: number;
}

/** Options of {@link commitPlan}. */
export interface CommitOptions {
  /**
   * The topology revision a reviewed plan was made at (`--expect-revision`): when the plan now says
   * otherwise, nothing is sent and a StoreConflictError says so.
   */
  readonly expectRevision?: number;
}

/**
 * Commits a plan as one etcd transaction:
 * `If(spec.mod == guard.spec, meta.mod == guard.meta, vni/N.create == 0 for each new VNI)
 *  Then(put …, delete …) Else(read spec, meta, the new VNI keys)`.
 * A plan with no change sends the guard alone: nothing is written and the store revision does not
 * move, but a topology changed meanwhile is still reported.
 *
 * Equivalent to: `etcdctl txn` with those compares, puts and deletes
 *
 * @throws {StoreConflictError} another apply won (or `expectRevision` is stale): nothing written
 * @throws {VniTakenError} a new VNI was reserved by another topology meanwhile: nothing written
 * @throws {StoreLimitError} the transaction is over the server's limits (checked before sending, and
 *   when the server refuses it)
 * @throws {StoreUnavailableError} etcd did not answer within the deadline (the guard makes a retry safe)
 * @throws {InvalidInputError} when the plan's keys are not under this store's prefix
 */
export async function commitPlan(
  store: Store,
  plan: StorePlan,
  options: CommitOptions = {},
): Promise<CommitResult> {
  const what = `${plan.kind} topology ${plan.topology}`;
  const outside = [plan.guard.specKey, ...plan.puts.map((p) => p.key), ...plan.deletes].find(
    (k) => !k.startsWith(store.keys.prefix),
  );
  if (outside !== undefined) {
    throw new InvalidInputError(
      `plan: key ${outside} is not under this store's prefix ${store.keys.prefix}`,
      'plan',
    );
  }
  if (options.expectRevision !== undefined && options.expectRevision !== plan.revision) {
    throw new StoreConflictError(plan.topology, options.expectRevision, plan.revision);
  }
  checkTxnLimits(plan, store.limits, what);
  const specKey = Buffer.from(plan.guard.specKey);
  const metaKey = Buffer.from(plan.guard.metaKey);
  const compare: ICompare[] = [
    { key: specKey, target: 'Mod', result: 'Equal', mod_revision: plan.guard.spec },
    { key: metaKey, target: 'Mod', result: 'Equal', mod_revision: plan.guard.meta },
    ...plan.newVnis.map(
      (v): ICompare => ({ key: Buffer.from(v.key), target: 'Create', result: 'Equal', create_revision: 0 }),
    ),
  ];
  const success: IRequestOp[] = [
    ...plan.puts.map(
      (p): IRequestOp => ({ request_put: { key: Buffer.from(p.key), value: Buffer.from(p.value) } }),
    ),
    ...plan.deletes.map((d): IRequestOp => ({ request_delete_range: { key: Buffer.from(d) } })),
  ];
  const failure: IRequestOp[] = [specKey, metaKey, ...plan.newVnis.map((v) => Buffer.from(v.key))].map(
    (key): IRequestOp => ({ request_range: { key } }),
  );
  const res = await store.call(what, () => store.client.kv.txn({ compare, success, failure }));
  const revision = Number(res.header.revision);
  if (res.succeeded) {
    const metaPut = plan.puts.some((p) => p.key === plan.guard.metaKey);
    const topologyRevision = metaPut ? revision : plan.kind === 'destroy' ? 0 : plan.revision;
    return { revision, changes: plan.changes, topologyRevision };
  }
  const kv = (i: number) => res.responses[i]?.response_range?.kvs[0];
  const specNow = Number(kv(0)?.mod_revision ?? 0);
  const metaNow = Number(kv(1)?.mod_revision ?? 0);
  if (specNow !== plan.guard.spec || metaNow !== plan.guard.meta) {
    throw new StoreConflictError(plan.topology, plan.revision, metaNow);
  }
  for (const [i, v] of plan.newVnis.entries()) {
    const held = kv(2 + i);
    if (!held) continue;
    let holder = `another writer (key ${v.key})`;
    try {
      const r = decodeVni(v.key, held.value);
      holder = `topology ${r.topology}, network ${r.network}`;
    } catch {
      // a value tenantnet did not write: name the key
    }
    throw new VniTakenError(v.vni, plan.topology, v.network, holder);
  }
  // Every compare read back as planned: the store changed and changed back in between. Same answer.
  throw new StoreConflictError(plan.topology, plan.revision, metaNow);
}
