// The one seam between the OVS layer and ovsdb-server: what OvsdbClient implements and what a fake
// (test/fakes/ovsdb.ts) stands in for. ovsdbapp: the Connection/Transaction backend behind its API.
import type { MonitorHandler, MonitorRequests } from './monitor-updates.js';
import type { Operation, OperationResult, Transaction } from './operations.js';

/** Options for {@link OvsdbTransport.transact}. */
export interface TransactOptions {
  /**
   * Resolve only once ovs-vswitchd has applied the change (the `next_cfg`/`cur_cfg` handshake
   * ovs-vsctl does): needed before reading `ofport` or using a new device. Value: timeout in ms
   * (true means 10 s). Ignored for read-only transactions.
   */
  readonly waitForVswitchd?: boolean | number;
}

/** A live monitor; survives reconnects until cancelled. */
export interface Monitor {
  /** The JSON-RPC monitor id. */
  readonly id: string;
  /** Stops the monitor (`monitor_cancel`); idempotent. */
  cancel(): Promise<void>;
}

/**
 * Runs OVSDB transactions and monitors (RFC 7047 `transact`, `monitor`, `monitor_cancel`) against
 * the `Open_vSwitch` database. {@link OvsdbClient} is the real one.
 */
export interface OvsdbTransport {
  /**
   * Runs operations as ONE transaction; returns one result per operation. Every string is checked
   * first (`checkWireText`), so nothing that would break the connection is sent.
   *
   * @throws {InvalidInputError} for a string the server cannot take (NUL, lone surrogate); nothing sent
   * @throws {OvsdbOperationError} (or a subclass) when an operation or the commit failed; nothing committed
   * @throws {OvsdbTimedOutError} when `waitForVswitchd` ran out of time (the change itself is committed)
   * @throws {OvsdbConnectionError} when the server could not be reached or did not answer
   */
  transact(ops: Transaction | readonly Operation[], opts?: TransactOptions): Promise<OperationResult[]>;

  /**
   * Starts a monitor. The handler is called with the initial rows (`initial` true) before this
   * resolves, then with each change; after a reconnect, with the then-current rows again.
   */
  monitor(requests: MonitorRequests, handler: MonitorHandler): Promise<Monitor>;
}
