// The RFC 7047 client over a unix socket: the real OvsdbTransport (ovsdbapp: backend/ovs_idl Connection).
import { connect, type Socket } from 'node:net';
import { OvsdbConnectionError, OvsdbRpcError, operationError } from './errors.js';
import { JsonSplitter } from './framing.js';
import {
  decodeUpdates,
  deliverInitial,
  encodeRequests,
  type MonitorHandler,
  type MonitorRequests,
  type MonitorState,
} from './monitor-updates.js';
import { encodeOperation, type Operation, type OperationResult, Transaction } from './operations.js';
import type { Monitor, OvsdbTransport, TransactOptions } from './transport.js';
import { decodeRow, decodeValue, type Uuid } from './values.js';
import { curCfgWait, DEFAULT_VSWITCHD_WAIT_MS, transactAndWait } from './vswitchd.js';
import { checkWireText, wireString } from './wire-text.js';

export type { Monitor, TransactOptions } from './transport.js';

/** The system ovsdb-server's socket on Debian. */
export const DEFAULT_OVSDB_SOCKET = '/var/run/openvswitch/db.sock';

/** Options for {@link OvsdbClient.connect}. */
export interface OvsdbClientOptions {
  /** Unix socket of ovsdb-server; default {@link DEFAULT_OVSDB_SOCKET}. */
  readonly socketPath?: string;
  /** Database name; default `Open_vSwitch`. */
  readonly database?: string;
  /** Reconnect (and re-establish monitors) when the server goes away; default true. */
  readonly reconnect?: boolean;
  /** How long a request waits for an answer, or for a reconnect, before failing; default 10 s. */
  readonly requestTimeoutMs?: number;
}

interface Pending {
  readonly method: string;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * A small RFC 7047 client over a unix socket: JSON-RPC framing, request ids, `echo` answered,
 * `get_schema`, `transact`, `monitor`/`monitor_cancel`, the vswitchd apply wait, and reconnect
 * that re-establishes monitors. One connection, requests pipelined. The real {@link OvsdbTransport}.
 */
export class OvsdbClient implements OvsdbTransport {
  /** The database transactions and monitors use. */
  readonly database: string;
  /** The server socket. */
  readonly socketPath: string;
  private socket: Socket | null = null;
  private splitter = new JsonSplitter();
  private readonly pending = new Map<number, Pending>();
  private readonly monitors = new Map<string, MonitorState>();
  private nextId = 1;
  private nextMonitor = 1;
  private closed = false;
  private connecting: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly reconnect: boolean;
  private readonly timeoutMs: number;
  /** How many times the connection was re-established (for tests and diagnostics). */
  reconnects = 0;

  private constructor(opts: OvsdbClientOptions) {
    this.socketPath = opts.socketPath ?? DEFAULT_OVSDB_SOCKET;
    this.database = opts.database ?? 'Open_vSwitch';
    this.reconnect = opts.reconnect ?? true;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
  }

  /**
   * Connects to ovsdb-server.
   *
   * @throws {OvsdbConnectionError} when the socket cannot be reached
   */
  static async connect(opts: OvsdbClientOptions = {}): Promise<OvsdbClient> {
    const c = new OvsdbClient(opts);
    await c.open();
    return c;
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect(this.socketPath);
      const fail = (e: Error) => reject(new OvsdbConnectionError(this.socketPath, e.message));
      s.once('error', fail);
      s.once('connect', () => {
        s.off('error', fail);
        this.socket = s;
        this.splitter = new JsonSplitter();
        s.on('data', (b: Buffer) => this.onData(b));
        s.on('error', () => {}); // 'close' follows and does the work
        s.on('close', () => this.onClose(s));
        resolve();
      });
    });
  }

  private onClose(s: Socket): void {
    if (this.socket !== s) return;
    this.socket = null;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(
        new OvsdbConnectionError(this.socketPath, `connection closed before ${p.method} was answered`),
      );
    }
    if (!this.closed && this.reconnect) this.reconnectInBackground();
  }

  // Reconnects after a lost connection. Live monitors have nobody else to ask for a reconnect, so
  // while there are any, a reconnect that ran out of time is tried again every second.
  private reconnectInBackground(): void {
    this.ensureConnected().catch(() => {
      if (this.closed || this.monitors.size === 0 || this.retryTimer) return;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.socket) this.reconnectInBackground();
      }, 1000);
    });
  }

  /**
   * Resolves once connected and every live monitor is re-established, reconnecting with backoff
   * (25 ms doubling to 1 s) within the request timeout. A connection lost again while the monitors
   * are re-created starts the attempt over.
   */
  private ensureConnected(): Promise<void> {
    if (this.connecting) return this.connecting;
    if (this.socket) return Promise.resolve();
    if (this.closed) return Promise.reject(new OvsdbConnectionError(this.socketPath, 'client closed'));
    if (!this.reconnect) return Promise.reject(new OvsdbConnectionError(this.socketPath, 'not connected'));
    this.connecting = (async () => {
      const deadline = Date.now() + this.timeoutMs;
      let delay = 25;
      for (;;) {
        try {
          await this.open();
          if (this.closed) {
            this.socket?.destroy(); // closed while connecting: keep nothing open
            throw new OvsdbConnectionError(this.socketPath, 'client closed');
          }
          await this.resumeMonitors();
          break;
        } catch (e) {
          if (this.closed || !(e instanceof OvsdbConnectionError) || Date.now() + delay > deadline) throw e;
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 1000);
        }
      }
      this.reconnects++;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  // Re-creates every live monitor under its id on a new connection (a snapshot: a monitor started
  // meanwhile waits for the reconnect and then starts itself).
  private async resumeMonitors(): Promise<void> {
    for (const m of [...this.monitors.values()]) {
      if (!this.monitors.has(m.id)) continue; // cancelled meanwhile
      m.queue = [];
      const initial = await this.call('monitor', [this.database, m.id, encodeRequests(m.requests)]);
      if (this.monitors.has(m.id)) deliverInitial(m, initial);
    }
  }

  private onData(b: Buffer): void {
    let msgs: unknown[];
    try {
      msgs = this.splitter.push(b);
    } catch {
      this.socket?.destroy(); // a garbled stream cannot be resynchronised: reconnect
      return;
    }
    for (const m of msgs) this.dispatch(m as Record<string, unknown>);
  }

  private dispatch(m: Record<string, unknown>): void {
    if (typeof m.method === 'string') {
      if (m.method === 'echo') this.send({ id: m.id, result: m.params, error: null });
      else if (m.method === 'update' && Array.isArray(m.params)) {
        const mon = this.monitors.get(String(m.params[0]));
        const u = decodeUpdates(m.params[1]);
        if (mon?.queue) mon.queue.push(u);
        else mon?.handler(u, false);
      }
      return;
    }
    const p = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
    if (!p) return;
    this.pending.delete(m.id as number);
    clearTimeout(p.timer);
    if (m.error !== null && m.error !== undefined) p.reject(new OvsdbRpcError(p.method, m.error));
    else p.resolve(m.result);
  }

  private send(msg: unknown): void {
    this.socket?.write(JSON.stringify(msg));
  }

  private call(method: string, params: unknown[], timeoutMs = this.timeoutMs): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OvsdbConnectionError(this.socketPath, `no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.send({ method, params, id });
    });
  }

  /**
   * Sends one JSON-RPC request (connecting again first if the server went away) and returns its result.
   *
   * @throws {OvsdbRpcError} when the reply carries an error
   * @throws {OvsdbConnectionError} when there is no connection or no answer in time
   */
  async request(method: string, params: unknown[]): Promise<unknown> {
    await this.ensureConnected();
    return this.call(method, params);
  }

  /** The database schema (`get_schema`), as the server sends it. */
  async getSchema(): Promise<{ name: string; version: string; tables: Record<string, unknown> }> {
    return (await this.request('get_schema', [this.database])) as never;
  }

  /** Liveness check: the server echoes the parameters. */
  async echo(): Promise<void> {
    await this.request('echo', ['tenantnet']);
  }

  /**
   * Runs operations as ONE transaction; returns one result per operation. Every string is checked
   * before anything is sent (a NUL or a lone surrogate would make the server drop the connection
   * and fail every request in flight).
   *
   * @throws {InvalidInputError} for a string the server cannot take; nothing was sent
   * @throws {OvsdbOperationError} (or a subclass) when an operation or the commit failed; nothing committed
   * @throws {OvsdbTimedOutError} when `waitForVswitchd` ran out of time (the change itself is committed)
   * @throws {OvsdbConnectionError} / {@link OvsdbRpcError} as {@link request}
   */
  async transact(
    ops: Transaction | readonly Operation[],
    opts: TransactOptions = {},
  ): Promise<OperationResult[]> {
    const list = ops instanceof Transaction ? ops.ops : ops;
    checkWireText(list);
    const w = opts.waitForVswitchd;
    const waitMs = typeof w === 'number' ? w : w ? DEFAULT_VSWITCHD_WAIT_MS : false;
    return transactAndWait((o, timeoutMs) => this.rawTransact(o, timeoutMs), list, waitMs);
  }

  /**
   * Waits until ovs-vswitchd reports `cur_cfg >= cfg`. Done as a server-side `wait` (the server
   * re-evaluates it on every change), so it costs one round trip, not polling.
   *
   * @throws {OvsdbTimedOutError} after `timeoutMs`
   */
  async waitForCurCfg(cfg: number, timeoutMs = DEFAULT_VSWITCHD_WAIT_MS): Promise<void> {
    // The server answers a timed-out wait itself: give it a second longer than the wait, so the
    // caller gets OvsdbTimedOutError rather than a client-side "no answer".
    await this.rawTransact([curCfgWait(cfg, timeoutMs)], timeoutMs + 1000);
  }

  // A wait longer than the request timeout is not cut short: the request gets the longer of the two.
  private async rawTransact(ops: readonly Operation[], timeoutMs?: number): Promise<OperationResult[]> {
    await this.ensureConnected();
    const reply = await this.call(
      'transact',
      [this.database, ...ops.map(encodeOperation)],
      Math.max(this.timeoutMs, timeoutMs ?? 0),
    );
    if (!Array.isArray(reply))
      throw new OvsdbRpcError('transact', `unexpected reply ${JSON.stringify(reply)}`);
    const out: OperationResult[] = [];
    for (let i = 0; i < reply.length; i++) {
      const r = reply[i] as Record<string, unknown> | null;
      if (r && typeof r.error === 'string') throw operationError(r as { error: string }, i, ops[i]?.op);
      if (i >= ops.length) continue;
      out.push({
        ...(r?.uuid !== undefined ? { uuid: decodeValue(r.uuid) as Uuid } : {}),
        ...(typeof r?.count === 'number' ? { count: r.count } : {}),
        ...(Array.isArray(r?.rows) ? { rows: r.rows.map(decodeRow) } : {}),
      });
    }
    return out;
  }

  /**
   * Starts a monitor. The handler is called with the initial rows before this resolves, then with
   * each `update`; after a reconnect the monitor is re-established and the handler gets the
   * then-current rows again with `initial` true.
   */
  async monitor(requests: MonitorRequests, handler: MonitorHandler): Promise<Monitor> {
    for (const [table, q] of Object.entries(requests)) {
      wireString(table, 'monitor table name');
      for (const c of q.columns ?? []) wireString(c, `monitor ${JSON.stringify(table)} column name`);
    }
    const id = `m${this.nextMonitor++}`;
    const state: MonitorState = { id, requests, handler, queue: [] };
    await this.ensureConnected(); // first, so a reconnect in progress does not also start this monitor
    this.monitors.set(id, state);
    let initial: unknown;
    try {
      initial = await this.call('monitor', [this.database, id, encodeRequests(requests)]);
    } catch (e) {
      this.monitors.delete(id);
      throw e;
    }
    deliverInitial(state, initial);
    return {
      id,
      cancel: async () => {
        if (!this.monitors.delete(id) || !this.socket) return;
        await this.call('monitor_cancel', [id]).catch(() => {});
      },
    };
  }

  /** Closes the connection for good; pending requests fail with {@link OvsdbConnectionError}. */
  close(): void {
    this.closed = true;
    this.monitors.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const s = this.socket;
    s?.destroy();
    if (s) this.onClose(s);
  }
}
