// OVSDB's errors, typed: connection, RPC, and per-operation failures (ovsdbapp: exceptions).
import { TenantnetError } from '../../errors.js';

/** The root of the OVSDB client's errors. */
export class OvsdbError extends TenantnetError {}

/**
 * The server is unreachable, or the connection dropped before the answer came. A request that got
 * this may or may not have been applied (a transact sent just before a crash may have committed).
 */
export class OvsdbConnectionError extends OvsdbError {
  /**
   * @param socketPath where the client was connecting
   * @param reason what went wrong (the socket error, or "connection closed")
   */
  constructor(
    readonly socketPath: string,
    readonly reason: string,
  ) {
    super(`OVSDB at ${socketPath}: ${reason}`);
  }
}

/** A JSON-RPC request failed as a whole (`"error"` set in the reply), e.g. an unknown method or database. */
export class OvsdbRpcError extends OvsdbError {
  /**
   * @param method the JSON-RPC method
   * @param error the server's `error` member, as sent
   */
  constructor(
    readonly method: string,
    readonly error: unknown,
  ) {
    super(`OVSDB ${method} failed: ${typeof error === 'string' ? error : JSON.stringify(error)}`);
  }
}

/**
 * One operation of a transaction failed: the server answered the `transact` successfully, with an
 * `error` inside the failing operation's result. Nothing of the transaction was committed.
 * Subclasses name the common RFC 7047 errors so callers can catch them.
 */
export class OvsdbOperationError extends OvsdbError {
  /**
   * @param error the RFC 7047 error string, e.g. `constraint violation`
   * @param details the server's explanation, when given
   * @param index the failing operation's position, or the op count for a commit-time failure
   * @param op the failing operation's `op` (undefined for a commit-time failure)
   * @param syntax the offending JSON text for a syntax error, when given
   */
  constructor(
    readonly error: string,
    readonly details: string | undefined,
    readonly index: number,
    readonly op: string | undefined,
    readonly syntax?: string,
  ) {
    super(
      `OVSDB transaction failed at ${op === undefined ? 'commit' : `operation ${index} (${op})`}: ${error}${details ? `: ${details}` : ''}`,
    );
  }
}

/** A transaction would break a constraint (e.g. a duplicate index value such as a bridge name). */
export class OvsdbConstraintViolationError extends OvsdbOperationError {}
/** A transaction referred to an unknown table, column or malformed value. */
export class OvsdbSyntaxError extends OvsdbOperationError {}
/** A `wait` operation's condition did not hold within its timeout. */
export class OvsdbTimedOutError extends OvsdbOperationError {}
/**
 * ovs-vswitchd did not apply a committed change within the wait's timeout (`cur_cfg` stayed below
 * the transaction's `next_cfg`). The change IS committed; vswitchd may still apply it later.
 */
export class OvsdbVswitchdTimeoutError extends OvsdbTimedOutError {
  /**
   * @param cfg the `next_cfg` the change was given
   * @param timeoutMs how long the wait was
   */
  constructor(
    readonly cfg: number,
    readonly timeoutMs: number,
  ) {
    super(
      'timed out',
      `ovs-vswitchd did not apply configuration ${cfg} within ${timeoutMs} ms (the change is committed)`,
      0,
      'wait',
    );
  }
}

/** A transaction left a strong reference to a row that does not exist (`referential integrity violation`). */
export class OvsdbReferentialIntegrityError extends OvsdbOperationError {}

/** Builds the most specific {@link OvsdbOperationError} subclass for a failed result. */
export function operationError(
  result: { error: string; details?: unknown; syntax?: unknown },
  index: number,
  op: string | undefined,
): OvsdbOperationError {
  const details = typeof result.details === 'string' ? result.details : undefined;
  const syntax = typeof result.syntax === 'string' ? result.syntax : undefined;
  const Cls =
    result.error === 'constraint violation'
      ? OvsdbConstraintViolationError
      : result.error === 'syntax error' ||
          result.error === 'unknown column' ||
          result.error === 'unknown table'
        ? OvsdbSyntaxError
        : result.error === 'timed out'
          ? OvsdbTimedOutError
          : result.error === 'referential integrity violation'
            ? OvsdbReferentialIntegrityError
            : OvsdbOperationError;
  return new Cls(result.error, details, index, op, syntax);
}
