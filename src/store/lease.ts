// A host's etcd lease: granted, or re-used when a recorded id is still alive (a restart within the TTL
// changes nothing for the peers), kept alive on one stream, revoked to withdraw the host. Keys put
// under it (the agent record, the host's l2pop entries) vanish when it expires. Neutron has agent
// heartbeats instead (report_state), which are writes; a lease keepalive is not.
import { EventEmitter } from 'node:events';
import type { ILeaseKeepAliveResponse } from 'etcd3';
import { InvalidInputError } from '../errors.js';
import { intIn } from '../net/types.js';
import type { Store } from './client.js';
import { LeaseLostError } from './errors.js';

/** Options of {@link StoreLease.acquire}. */
export interface LeaseOptions {
  /** Time to live in seconds (default 15). */
  readonly ttlSeconds?: number;
  /** A lease id recorded earlier (decimal): re-used when etcd still has it. */
  readonly reuse?: string | null;
}

/** The keepalive stream the client hands out (a gRPC duplex). */
interface KeepAliveStream {
  write(req: { ID: string }): void;
  end(): void;
  on(event: 'data', fn: (res: ILeaseKeepAliveResponse) => void): unknown;
  on(event: 'error' | 'end', fn: (e?: Error) => void): unknown;
}

const ID = /^[1-9]\d{0,18}$/;

/**
 * One lease. Events: `lost` ({@link LeaseLostError}: etcd says it is gone, its keys with it),
 * `keepalive` (each answer, with the TTL left), `error` is never emitted (stream failures are retried).
 */
export class StoreLease extends EventEmitter {
  private stream: KeepAliveStream | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reconnect: NodeJS.Timeout | null = null;
  private stopped = false;
  private lost = false;
  /** When etcd last confirmed the lease (ms since the epoch; 0: never by a keepalive). */
  lastKeepAlive = 0;

  private constructor(
    private readonly store: Store,
    /** The lease id, decimal (etcd ids are 64-bit). */
    readonly id: string,
    /** Its time to live in seconds, as etcd granted it. */
    readonly ttlSeconds: number,
    /** True when a recorded id was still alive and is used again. */
    readonly reused: boolean,
  ) {
    super();
  }

  /**
   * Re-uses `reuse` when etcd still has that lease (its TTL left is above 0), else grants a new one.
   *
   * Equivalent to: `etcdctl lease timetolive ID`, else `etcdctl lease grant TTL`
   *
   * @throws {InvalidInputError} for a TTL outside 1-3600 or a malformed id
   * @throws {StoreUnavailableError} when etcd does not answer within the deadline
   */
  static async acquire(store: Store, options: LeaseOptions = {}): Promise<StoreLease> {
    const ttl = intIn(options.ttlSeconds ?? 15, 1, 3600, 'lease TTL');
    const reuse = options.reuse ?? null;
    if (reuse !== null && (typeof reuse !== 'string' || !ID.test(reuse))) {
      throw new InvalidInputError(`lease id: ${JSON.stringify(reuse)} is not a lease id`, 'lease id');
    }
    if (reuse !== null) {
      const res = await store.call(`read lease ${reuse}`, () =>
        store.client.leaseClient.leaseTimeToLive({ ID: reuse }),
      );
      if (Number(res.TTL) > 0) return new StoreLease(store, reuse, Number(res.grantedTTL) || ttl, true);
    }
    const res = await store.call('grant a lease', () => store.client.leaseClient.leaseGrant({ TTL: ttl }));
    return new StoreLease(store, String(res.ID), Number(res.TTL), false);
  }

  /** True until etcd says the lease is gone or it is revoked. */
  get alive(): boolean {
    return !this.lost;
  }

  /**
   * Keeps the lease alive: one keepalive every TTL/3 on one stream; a broken stream is opened again
   * (every 500 ms while etcd is away). When etcd answers TTL 0, the lease is gone: `lost` is emitted
   * and keepalives stop. Idempotent.
   */
  keepAlive(): void {
    if (this.stream || this.reconnect || this.stopped || this.lost) return;
    const interval = Math.max(200, (this.ttlSeconds * 1000) / 3);
    this.store.client.leaseClient
      .leaseKeepAlive()
      .then((raw) => {
        const stream = raw as unknown as KeepAliveStream;
        if (this.stopped || this.lost) {
          stream.end();
          return;
        }
        this.stream = stream;
        const broken = () => {
          if (this.stream !== stream) return;
          this.dropStream();
          this.retryLater();
        };
        stream.on('data', (res) => {
          if (Number(res.TTL) <= 0) return this.markLost();
          this.lastKeepAlive = Date.now();
          this.emit('keepalive', Number(res.TTL));
        });
        stream.on('error', broken);
        stream.on('end', broken);
        const beat = () => {
          try {
            stream.write({ ID: this.id });
          } catch {
            broken();
          }
        };
        beat();
        this.timer = setInterval(beat, interval);
      })
      .catch(() => this.retryLater());
  }

  private retryLater(): void {
    if (this.stopped || this.lost || this.reconnect) return;
    this.reconnect = setTimeout(() => {
      this.reconnect = null;
      this.keepAlive();
    }, 500);
  }

  private dropStream(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const s = this.stream;
    this.stream = null;
    try {
      s?.end();
    } catch {
      // already ended
    }
  }

  private markLost(): void {
    if (this.lost) return;
    this.lost = true;
    this.dropStream();
    this.emit('lost', new LeaseLostError(this.id));
  }

  /**
   * Puts a key bound to the lease.
   *
   * @returns the store revision of the write
   * @throws {LeaseLostError} when etcd no longer has the lease; {@link StoreUnavailableError}
   */
  async put(key: string, value: string): Promise<number> {
    try {
      const res = await this.store.call(`write ${key}`, () =>
        this.store.client.kv.put({ key: Buffer.from(key), value: Buffer.from(value), lease: this.id }),
      );
      return Number(res.header.revision);
    } catch (e) {
      if (/lease not found|expired or revoked/.test(String((e as Error).message))) {
        this.markLost();
        throw new LeaseLostError(this.id);
      }
      throw e;
    }
  }

  /**
   * Stops the keepalives and keeps the lease: it expires after its TTL unless a restart re-uses it
   * (SIGTERM of an agent). Idempotent.
   */
  release(): void {
    this.stopped = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    this.reconnect = null;
    this.dropStream();
  }

  /**
   * Revokes the lease: every key bound to it is deleted at once (withdrawing a host). A lease that is
   * already gone is not an error.
   *
   * Equivalent to: `etcdctl lease revoke ID`
   *
   * @throws {StoreUnavailableError} when etcd does not answer within the deadline
   */
  async revoke(): Promise<void> {
    this.release();
    try {
      await this.store.call(`revoke lease ${this.id}`, () =>
        this.store.client.leaseClient.leaseRevoke({ ID: this.id }),
      );
    } catch (e) {
      if (!/lease not found|expired or revoked/.test(String((e as Error).message))) throw e;
    }
    this.lost = true;
  }
}
