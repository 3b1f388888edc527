// An informer: everything under a prefix, listed at one revision and then watched from the next, kept
// as a local copy and handed to its owner as one sync plus ordered batches of events. Any trouble with
// the watch (compaction, which the client reports only as "Watcher canceled", a broken stream) means a
// full resync: a fresh list and a new watch. The pattern is Kubernetes' informer (list + watch +
// relist); Neutron's agents do the same with `fullsync=True` after any RPC failure.
import type { IWatchResponse, Watcher } from 'etcd3';
import { intIn } from '../net/types.js';
import type { Listing, Store, StoreEntry } from './client.js';

/** One change under the prefix. */
export interface InformerEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The new value (null for a delete). */
  readonly value: Buffer | null;
  /** The revision of the change. */
  readonly modRevision: number;
  /** A put's create revision, version and lease (0, 0 and '0' for a delete). */
  readonly createRevision: number;
  readonly version: number;
  readonly lease: string;
}

/** What an informer tells its owner. Calls never overlap: each waits for the one before it. */
export interface InformerHandlers {
  /**
   * Everything under the prefix at `revision`, after the start and after every resync: the owner
   * replaces what it knew (entries that are gone are simply not in the map).
   */
  readonly sync: (state: ReadonlyMap<string, StoreEntry>, revision: number) => void | Promise<void>;
  /** Changes since the last sync or batch, in revision order (one watch response). */
  readonly events?: (events: readonly InformerEvent[], revision: number) => void | Promise<void>;
  /** A failure the informer retries by itself (etcd away, a handler that threw): for logs and status. */
  readonly error?: (e: Error) => void;
}

/** Options of an {@link Informer}. */
export interface InformerOptions {
  /** Keys per page of the list (default: the store's). */
  readonly pageSize?: number;
  /** First wait before a failed list is tried again, doubling up to `maxRetryMs` (default 200). */
  readonly retryMs?: number;
  /** Longest wait between tries (default 5000). */
  readonly maxRetryMs?: number;
}

/**
 * List + watch of one prefix with resync (see the file header). `start()` resolves after the first
 * sync; while etcd is away the informer keeps what it had and tries again ("fail static").
 */
export class Informer {
  private readonly cache = new Map<string, StoreEntry>();
  private watcher: Watcher | null = null;
  private current = 0;
  private epoch = 0;
  private syncs = 0;
  private stopped = false;
  private queue: Promise<void> = Promise.resolve();
  private resyncing: Promise<void> | null = null;
  private again = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;

  /**
   * @param store the connection
   * @param prefix the key prefix to follow (usually one of `store.keys`' prefixes)
   * @param handlers what to tell
   * @param options paging and retry timing
   */
  constructor(
    private readonly store: Store,
    readonly prefix: string,
    private readonly handlers: InformerHandlers,
    private readonly options: InformerOptions = {},
  ) {}

  /** The last revision seen (of the last sync or event). */
  get revision(): number {
    return this.current;
  }

  /** Full resyncs after the first sync (a compacted or broken watch, or {@link resync}). */
  get resyncs(): number {
    return Math.max(0, this.syncs - 1);
  }

  /** The local copy: every key under the prefix as of {@link revision}. */
  get state(): ReadonlyMap<string, StoreEntry> {
    return this.cache;
  }

  /** Lists, hands over the first sync and starts watching; retries until it has synced once (or is stopped). */
  start(): Promise<void> {
    return this.resync();
  }

  /**
   * Watches from `revision + 1` without listing, for an owner that already holds the state at
   * `revision` (kept from before a restart). If that revision was compacted meanwhile, or the watch
   * fails for any other reason, the informer falls back to a full resync, as always.
   *
   * @throws {InvalidInputError} for a revision that is not a positive integer
   */
  resume(revision: number): void {
    intIn(revision, 1, Number.MAX_SAFE_INTEGER, 'revision');
    if (this.stopped) return;
    this.dropWatcher();
    this.current = revision;
    this.watchFrom(revision + 1);
  }

  /**
   * Lists afresh and starts a new watch from the next revision (what any watch failure triggers).
   * Concurrent calls share one resync. Resolves once synced (or stopped).
   */
  resync(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.resyncing) {
      // Asked while one runs (its new watch may be the one that broke): one more round after it.
      this.again = true;
      return this.resyncing;
    }
    this.resyncing = (async () => {
      do {
        this.again = false;
        await this.syncOnce();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.resyncing = null;
    });
    return this.resyncing;
  }

  /** One list (tried until it succeeds or the informer stops), its sync, and a new watch. */
  private async syncOnce(): Promise<void> {
    let wait = this.options.retryMs ?? 200;
    for (;;) {
      if (this.stopped) return;
      this.dropWatcher();
      let listing: Listing;
      try {
        listing = await this.store.list(this.prefix, {
          ...(this.options.pageSize ? { pageSize: this.options.pageSize } : {}),
        });
      } catch (e) {
        this.report(e as Error);
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.retryTimer = setTimeout(resolve, wait);
        });
        this.retryTimer = null;
        this.wake = null;
        wait = Math.min(wait * 2, this.options.maxRetryMs ?? 5000);
        continue;
      }
      if (this.stopped) return;
      this.syncs++;
      this.cache.clear();
      for (const e of listing.entries) this.cache.set(e.key, e);
      this.current = listing.revision;
      const snapshot = new Map(this.cache);
      this.enqueue(() => this.handlers.sync(snapshot, listing.revision));
      this.watchFrom(listing.revision + 1);
      await this.queue;
      return;
    }
  }

  private watchFrom(revision: number): void {
    const epoch = ++this.epoch;
    const w = this.store.client.watch().prefix(this.prefix).startRevision(String(revision)).watcher();
    this.watcher = w;
    const mine = () => epoch === this.epoch && !this.stopped;
    w.on('data', (res: IWatchResponse) => {
      if (mine()) this.onData(res);
    });
    // Compaction arrives as `error` ("Watcher canceled: "), a broken stream as `disconnected`: either
    // way what happened in between is unknown, so everything is read again.
    const broken = (e: Error) => {
      if (!mine()) return;
      this.report(e);
      void this.resync();
    };
    w.on('error', broken);
    w.on('disconnected', broken);
  }

  private onData(res: IWatchResponse): void {
    const revision = Number(res.header.revision);
    const events: InformerEvent[] = res.events.map((ev) => {
      const kv = ev.kv;
      const key = kv.key.toString('utf8');
      const put = ev.type === 'Put';
      return {
        type: put ? 'put' : 'delete',
        key,
        value: put ? kv.value : null,
        modRevision: Number(kv.mod_revision),
        createRevision: put ? Number(kv.create_revision) : 0,
        version: put ? Number(kv.version) : 0,
        lease: put ? String(kv.lease) : '0',
      };
    });
    for (const e of events) {
      if (e.type === 'delete') this.cache.delete(e.key);
      else {
        this.cache.set(e.key, {
          key: e.key,
          value: e.value!,
          createRevision: e.createRevision,
          modRevision: e.modRevision,
          version: e.version,
          lease: e.lease,
        });
      }
    }
    this.current = Math.max(this.current, revision);
    if (events.length > 0 && this.handlers.events) {
      const handler = this.handlers.events;
      this.enqueue(() => handler(events, revision));
    }
  }

  private enqueue(fn: () => void | Promise<void>): void {
    this.queue = this.queue.then(fn).catch((e: unknown) => this.report(e as Error));
  }

  private report(e: Error): void {
    try {
      this.handlers.error?.(e);
    } catch {
      // a reporting handler that throws is not the informer's business
    }
  }

  /**
   * Forgets the watch. A watcher that failed is already gone from the client; cancelling one that
   * never connected can wait forever inside the client, so the wait is bounded and events from an old
   * watcher are ignored (epoch).
   */
  private dropWatcher(): void {
    const w = this.watcher;
    this.watcher = null;
    this.epoch++;
    if (!w) return;
    w.removeAllListeners('data');
    w.on('error', () => {});
    void Promise.race([w.cancel().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  /** Stops watching and retrying; pending handler calls finish. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wake?.();
    this.dropWatcher();
    await this.queue;
  }
}
