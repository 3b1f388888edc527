// The store's typed errors: every failure says what happened, to which key or topology, and whether a
// retry can help (fail static: nothing here tears anything down). Neutron's DB layer raises
// StaleDataError / DBDuplicateEntry for the same situations.
import { TenantnetError } from '../errors.js';

/** Something went wrong talking to the store. `retryable`: trying again later can succeed. */
export class StoreError extends TenantnetError {
  /**
   * @param message one line a person can act on
   * @param retryable whether the same call may succeed later (etcd back, a race re-planned)
   */
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * etcd did not answer: unreachable, or no answer within the call's deadline (a leader change, a
 * stopped member). Nothing was changed by this call, or it is not known whether it was: a read may be
 * retried freely, and every write tenantnet makes is guarded, so retrying it is safe too.
 */
export class StoreUnavailableError extends StoreError {
  /**
   * @param endpoints the etcd endpoints tried
   * @param operation what was being done (`read topology web`, `apply topology web`)
   * @param detail the client's own message
   */
  constructor(
    readonly endpoints: readonly string[],
    readonly operation: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`etcd (${endpoints.join(', ')}) did not answer: ${operation}: ${detail}`, true, options);
  }
}

/**
 * The topology was changed in the store after it was read (another apply won the race, or the
 * revision a reviewed plan was bound to is stale). Nothing was written: read and plan again.
 */
export class StoreConflictError extends StoreError {
  /**
   * @param topology the topology
   * @param expectedRevision the topology revision the plan was made at (0: absent)
   * @param actualRevision the topology revision in the store now (0: absent)
   */
  constructor(
    readonly topology: string,
    readonly expectedRevision: number,
    readonly actualRevision: number,
  ) {
    super(
      `topology ${topology} changed in the store since it was read (revision ${expectedRevision}, now ${actualRevision}): another apply won; nothing was written, plan again`,
      true,
    );
  }
}

/** A VNI the plan needs is held by another topology (taken meanwhile, or named with `vni:`). */
export class VniTakenError extends StoreError {
  /**
   * @param vni the VNI
   * @param topology the topology that wanted it
   * @param network the network that wanted it
   * @param holder who holds it (`topology blue, network web`)
   */
  constructor(
    readonly vni: number,
    readonly topology: string,
    readonly network: string,
    readonly holder: string,
  ) {
    super(
      `VNI ${vni} for network ${network} of topology ${topology} is already used by ${holder}; nothing was written`,
      true,
    );
  }
}

/**
 * A transaction is larger than the etcd server accepts (checked before it is sent, or refused by the
 * server). `flag` is the etcd server flag to raise.
 */
export class StoreLimitError extends StoreError {
  /**
   * @param flag `--max-txn-ops` or `--max-request-bytes`
   * @param needed what the transaction needs (operations or bytes), or null when the server refused
   * @param limit the limit it was checked against, or null when the server refused
   * @param operation what was being done
   */
  constructor(
    readonly flag: '--max-txn-ops' | '--max-request-bytes',
    readonly needed: number | null,
    readonly limit: number | null,
    readonly operation: string,
  ) {
    super(
      needed !== null && limit !== null
        ? `${operation}: the transaction needs ${needed} ${flag === '--max-txn-ops' ? 'operations' : 'bytes'}, above the ${limit} etcd allows; raise ${flag} on the etcd server (and tell tenantnet the new limit)`
        : `${operation}: etcd refused the transaction as too large; raise ${flag} on the etcd server`,
      false,
    );
  }
}

/**
 * A value in the store is not what tenantnet writes there (edited by hand, written by another
 * version, cut short): the key and what is wrong, never a crash.
 */
export class StoreValueError extends StoreError {
  /**
   * @param key the key whose value is wrong
   * @param reason what is wrong with it
   */
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`etcd key ${key}: ${reason}`, false);
  }
}

/** etcd refused a request for another reason (permission, an invalid argument). */
export class StoreRequestError extends StoreError {
  /**
   * @param operation what was being done
   * @param detail the client's message
   */
  constructor(
    readonly operation: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`etcd refused ${operation}: ${detail}`, false, options);
  }
}

/** The lease is gone in etcd (expired or revoked): keys bound to it were deleted with it. */
export class LeaseLostError extends StoreError {
  /** @param id the lease id (decimal) */
  constructor(readonly id: string) {
    super(`etcd lease ${id} is gone (expired or revoked); its keys were deleted with it`, true);
  }
}
