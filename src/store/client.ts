// The connection to etcd: one npm `etcd3` client with a deadline on every unary call, no hidden
// retries that outlast it, paginated reads at one revision, and every client failure mapped to a
// typed, retryable-or-not StoreError. Neutron's equivalent is its oslo.db engine facade.
import type { Etcd3, IKeyValue, IOptions, IRangeRequest } from 'etcd3';
import { InvalidInputError } from '../errors.js';
import { intIn } from '../net/types.js';
import { StoreError, StoreLimitError, StoreRequestError, StoreUnavailableError } from './errors.js';
import { keyPrefix, StoreKeys } from './keys.js';
import { parseStoreUrl, type StoreUrl } from './url.js';

/** The etcd server's transaction limits, as its flags set them. */
export interface TxnLimits {
  /** `--max-txn-ops`: operations per list of a transaction (etcd's default 128). */
  readonly maxTxnOps: number;
  /** `--max-request-bytes`: bytes per request (etcd's default 1572864, 1.5 MiB). */
  readonly maxRequestBytes: number;
}

/** etcd's own defaults: what a server runs with unless told otherwise. */
export const ETCD_DEFAULT_LIMITS: TxnLimits = { maxTxnOps: 128, maxRequestBytes: 1_572_864 };

/** Options of {@link Store.open}. */
export interface StoreOptions {
  /** `etcd://host:port[,host:port…]` (or a parsed URL). */
  readonly url: string | StoreUrl;
  /** The key prefix (default `/tenantnet/v1/`). */
  readonly prefix?: string;
  /**
   * Deadline of every unary call in ms (default 3000). Without one, a call in flight during a leader
   * change was measured to block 7 s.
   */
  readonly deadlineMs?: number;
  /** The server's limits, checked before a transaction is sent (default etcd's: 128 ops, 1.5 MiB). */
  readonly limits?: Partial<TxnLimits>;
  /** Keys per page of a range read (default 1000; a page that is still too large is halved). */
  readonly pageSize?: number;
}

/** One key as read: its value and revisions. */
export interface StoreEntry {
  readonly key: string;
  readonly value: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  /** The lease it is bound to ('0': none). */
  readonly lease: string;
}

/** A range read: what was under a prefix at one revision. */
export interface Listing {
  /** The store revision every page was read at. */
  readonly revision: number;
  /** In key order. */
  readonly entries: readonly StoreEntry[];
  /** How many range requests it took. */
  readonly pages: number;
}

/** A key as read, with the store revision of the read. */
export interface Got {
  readonly revision: number;
  readonly entry: StoreEntry | null;
}

type FaultHandling = NonNullable<IOptions['faultHandling']>;
type Policy = NonNullable<FaultHandling['global']>;
type Backoff = NonNullable<FaultHandling['watchBackoff']>;

const noEvent = () => ({ dispose() {} });

/**
 * A policy that runs the call once per attempt. `attempts` > 1 retries only when the endpoint could
 * not be reached at all (UNAVAILABLE: connection refused, no route), which fails fast, so that the
 * next endpoint is tried; a call that timed out is never retried, so no call outlasts its deadline.
 */
function attemptsPolicy(attempts: number): Policy {
  const policy = {
    onSuccess: noEvent,
    onFailure: noEvent,
    async execute<T>(fn: (ctx: { signal: AbortSignal; attempt: number }) => PromiseLike<T> | T): Promise<T> {
      const signal = new AbortController().signal;
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn({ signal, attempt });
        } catch (e) {
          const unreachable = (e as Error)?.constructor?.name === 'GRPCUnavailableError';
          if (!unreachable || attempt >= attempts) throw e;
        }
      }
    },
  };
  return policy as unknown as Policy;
}

/** Watch reconnects: 100 ms, doubling, at most 2 s (the client's default grows to 30 s). */
function watchBackoff(ms = 100): Backoff {
  return { duration: ms, next: () => watchBackoff(Math.min(ms * 2, 2000)) } as unknown as Backoff;
}

const text = (b: Buffer | string) => (typeof b === 'string' ? b : b.toString('utf8'));

/** The end of a prefix range: the prefix with its last byte below 0xff raised by one (etcd's rule). */
export function prefixEnd(prefix: string | Buffer): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = b.subarray(0, i + 1);
      end[i]! += 1;
      return end;
    }
  }
  return Buffer.from([0]); // all 0xff: to the end of the key space
}

// The etcd client's errors that a retry can cure (its own isRecoverableError, by name, so that this
// module does not load the client).
const RECOVERABLE = new Set([
  'GRPCInternalError',
  'GRPCCancelledError',
  'GRPCUnknownError',
  'GRPCDeadlineExceededError',
  'GRPCResourceExhastedError',
  'GRPCAbortedError',
  'GRPCUnavailableError',
]);

function entryOf(kv: IKeyValue): StoreEntry {
  return {
    key: text(kv.key),
    value: kv.value,
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    lease: String(kv.lease),
  };
}

/**
 * The typed error for what the etcd client threw. Unreachable, timed out, or a broken stream:
 * {@link StoreUnavailableError} (retryable). A transaction the server finds too large:
 * {@link StoreLimitError} naming the flag. Anything else etcd refused: {@link StoreRequestError}.
 * StoreErrors pass through; programming errors are rethrown as they are. Pure.
 */
export function storeError(e: unknown, operation: string, endpoints: readonly string[]): Error {
  if (e instanceof StoreError || !(e instanceof Error)) return e as Error;
  const name = e.constructor?.name ?? '';
  const message = e.message;
  if (/too many operations in txn request/.test(message)) {
    return new StoreLimitError('--max-txn-ops', null, null, operation);
  }
  if (/request is too large|larger than max/.test(message) && !/Received message/.test(message)) {
    return new StoreLimitError('--max-request-bytes', null, null, operation);
  }
  const etcdError = /^(GRPC|Etcd|ClientRuntime|ClientClosed)/.test(name) || name === 'BrokenCircuitError';
  if (!etcdError) return e;
  if (RECOVERABLE.has(name) || name === 'BrokenCircuitError' || name === 'ClientClosedError') {
    return new StoreUnavailableError(endpoints, operation, message, { cause: e });
  }
  return new StoreRequestError(operation, message, { cause: e });
}

/**
 * A connection to the store: the etcd members of a store URL, a key prefix, a deadline on every unary
 * call (3 s), the server's transaction limits. Opening loads the etcd client (gRPC, about 150 ms, so
 * nobody on one host pays for it) but does not connect: the client connects on the first call and
 * reconnects by itself. Nothing here tears anything down when etcd is away ("fail static"): calls
 * fail with a retryable {@link StoreUnavailableError}.
 */
export class Store {
  /** The key layout under this store's prefix. */
  readonly keys: StoreKeys;
  /** The gRPC endpoints (`http://host:port`). */
  readonly endpoints: readonly string[];
  readonly deadlineMs: number;
  readonly limits: TxnLimits;
  readonly pageSize: number;
  /** The npm `etcd3` client (deadlines and fault handling set), for what this class does not wrap. */
  readonly client: Etcd3;
  private closed = false;

  private constructor(options: StoreOptions, Client: typeof Etcd3) {
    const url =
      typeof options.url === 'string' ? parseStoreUrl(options.url) : parseStoreUrl(options.url?.text);
    this.endpoints = url.endpoints;
    this.keys = new StoreKeys(keyPrefix(options.prefix ?? '/tenantnet/v1/'));
    this.deadlineMs = intIn(options.deadlineMs ?? 3000, 10, 600_000, 'deadlineMs');
    this.limits = {
      maxTxnOps: intIn(options.limits?.maxTxnOps ?? ETCD_DEFAULT_LIMITS.maxTxnOps, 1, 1_000_000, 'maxTxnOps'),
      maxRequestBytes: intIn(
        options.limits?.maxRequestBytes ?? ETCD_DEFAULT_LIMITS.maxRequestBytes,
        1024,
        2 ** 31,
        'maxRequestBytes',
      ),
    };
    this.pageSize = intIn(options.pageSize ?? 1000, 1, 100_000, 'pageSize');
    const deadline = this.deadlineMs;
    this.client = new Client({
      hosts: [...this.endpoints],
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + deadline }),
      // A value may be up to --max-request-bytes (8 MiB is a documented setting): reading one must not
      // hit the client's 4 MiB default. Pages are kept small anyway (see list).
      grpcOptions: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
      faultHandling: {
        host: () => attemptsPolicy(1),
        global: attemptsPolicy(this.endpoints.length),
        watchBackoff: watchBackoff(),
      },
    });
  }

  /**
   * Validates the options, loads the etcd client and makes it (no connection yet).
   *
   * @throws {InvalidInputError} for a malformed URL, prefix, deadline or limit
   */
  static async open(options: StoreOptions): Promise<Store> {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidInputError('store options: not an object', 'store options');
    }
    const { Etcd3 } = await import('etcd3');
    return new Store(options, Etcd3);
  }

  /**
   * Runs one etcd call, mapping what the client throws to a typed error.
   *
   * @throws {StoreUnavailableError} {@link StoreLimitError} {@link StoreRequestError}
   */
  async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreRequestError(operation, 'the store connection is closed');
    try {
      return await fn();
    } catch (e) {
      throw storeError(e, operation, this.endpoints);
    }
  }

  /**
   * Reads one key (at `revision`, or the latest).
   *
   * @throws {StoreUnavailableError} and the other StoreErrors of {@link call}
   */
  async get(key: string, revision?: number): Promise<Got> {
    const res = await this.call(`read ${key}`, () =>
      this.client.kv.range({ key: Buffer.from(key), ...(revision ? { revision } : {}) }),
    );
    const kv = res.kvs[0];
    return { revision: Number(res.header.revision), entry: kv ? entryOf(kv) : null };
  }

  /**
   * Reads every key under a prefix at one revision (`revision`, or the latest at the first page),
   * page by page: `pageSize` keys a request, the next page starting after the last key. A page whose
   * answer is too large for the client is halved and asked again. `keysOnly`: values are left out
   * (empty).
   *
   * Equivalent to: `etcdctl get --prefix PREFIX --rev R` (with `--limit` paging)
   *
   * @throws {StoreUnavailableError} and the other StoreErrors of {@link call}; a revision that was
   *   compacted is a {@link StoreRequestError}
   */
  async list(
    prefix: string,
    options: { revision?: number; pageSize?: number; keysOnly?: boolean } = {},
  ): Promise<Listing> {
    const end = prefixEnd(prefix);
    let limit = options.pageSize ?? this.pageSize;
    let revision = options.revision ?? 0;
    let start = Buffer.from(prefix);
    const entries: StoreEntry[] = [];
    let pages = 0;
    for (;;) {
      const req: IRangeRequest = {
        key: start,
        range_end: end,
        limit,
        ...(revision ? { revision } : {}),
        ...(options.keysOnly ? { keys_only: true } : {}),
      };
      let res: Awaited<ReturnType<typeof this.client.kv.range>>;
      try {
        res = await this.call(`list ${prefix}`, () => this.client.kv.range(req));
      } catch (e) {
        const tooLarge = /Received message larger than max/.test(String((e as Error).message));
        if (tooLarge && limit > 1) {
          limit = Math.max(1, Math.floor(limit / 2));
          continue;
        }
        throw e;
      }
      pages++;
      if (!revision) revision = Number(res.header.revision);
      for (const kv of res.kvs) entries.push(entryOf(kv));
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || !last) break;
      start = Buffer.concat([last.key, Buffer.from([0])]);
    }
    return { revision, entries, pages };
  }

  /**
   * The store's current revision (one cheap range request: a count under the prefix).
   *
   * @throws {StoreUnavailableError} and the other StoreErrors of {@link call}
   */
  async revision(): Promise<number> {
    const res = await this.call('read the revision', () =>
      this.client.kv.range({
        key: Buffer.from(this.keys.prefix),
        range_end: prefixEnd(this.keys.prefix),
        count_only: true,
      }),
    );
    return Number(res.header.revision);
  }

  /** Closes the client (watches and keepalives end). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}
