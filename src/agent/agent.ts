// The long-running agent of one host (`tenantnet agent`): takes the host lock, holds a lease, lists
// and watches its slices and the l2pop of its networks, and runs reconcile passes (deployment +
// overlay + FDB) when they change, every resync interval, and when the kernel's links change; it
// publishes its ports and its status. Fail static: while etcd is away nothing is torn down.
// Neutron: the linuxbridge agent's daemon loop, with the DHCP and L3 agents of the host folded in.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BridgeExecutor, closeBridgeBatches } from '../ip/bridge-batch.js';
import { type LinkMonitor, monitorLinks } from '../ip/monitor.js';
import { LockTimeoutError, takeFileLock } from '../iptables/lock.js';
import type { Slice } from '../model/slice.js';
import { type IpAddress, intIn, ipAddress } from '../net/types.js';
import type { PortEntry } from '../overlay/index.js';
import type { Executors } from '../reconcile/executors.js';
import {
  type AgentState,
  decodeDesired,
  deleteL2pop,
  encodeValue,
  hostName,
  Informer,
  type InformerEvent,
  l2popEntries,
  putAgent,
  putL2pop,
  putStatus,
  Store,
  type StoreEntry,
  StoreLease,
} from '../store/index.js';
import { AgentRunningError } from './errors.js';
import { type AgentLog, silentLog } from './log.js';
import { type PassContext, type PassResult, runFdbPass, runPass } from './pass.js';
import { readUnderlay, type Underlay } from './underlay.js';
import { VerifyResponder } from './verify.js';

/** How an agent is started. */
export interface AgentOptions {
  /** This host's name (`[a-z0-9-]`, 1-32). */
  readonly host: string;
  /** The store's URL (`etcd://host:port[,…]`) and key prefix. */
  readonly store: { readonly url: string; readonly prefix?: string; readonly deadlineMs?: number };
  /** The host's VXLAN tunnel endpoint: an address a link of the host place holds. */
  readonly vtep: string;
  /** Lease TTL in seconds (default 15): how long peers keep this host's entries after it dies. */
  readonly leaseTtl?: number;
  /** The host's executors (host namespace, netns prefix, state directory). */
  readonly executors: Executors;
  /** The FDB executor (default: a `bridge -batch` per namespace). */
  readonly bridge: BridgeExecutor;
  /** Re-observe the kernel this often (default 30 000 ms). */
  readonly resyncIntervalMs?: number;
  /** Events closer than this are one pass (default 10 ms). */
  readonly coalesceMs?: number;
  /** tenantnet's version (in the agent record). */
  readonly version: string;
  readonly log?: AgentLog;
  /** Watch the host place's links and re-observe on changes to owned ones (default true). */
  readonly monitor?: boolean;
}

const LEASE_FILE = 'agent-lease';
const LOCK_FILE = 'agent.lock';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A topology's status as last written, without its time (what decides whether to write again). */
type StatusBody = Omit<Parameters<typeof putStatus>[3], 'at'>;

/**
 * One host's agent. {@link Agent.start} resolves after the first pass; {@link stop} (SIGTERM) keeps
 * the lease so a restart within its TTL changes nothing for the peers; {@link withdraw} revokes it.
 */
export class Agent {
  private lease!: StoreLease;
  private underlay!: Underlay;
  private slicesInformer: Informer | null = null;
  private readonly slices = new Map<string, { generation: number; slice: Slice }>();
  /** Topologies whose slice could not be decoded, with the error (kept as built). */
  private readonly badSlices = new Map<string, string>();
  private readonly networks = new Map<string, Informer>();
  private readonly statuses = new Map<string, string>();
  /** l2pop keys this agent wrote and has not deleted (so a network that left is withdrawn too). */
  private readonly published = new Map<
    string,
    { topology: string; network: string; port: string; record: PortEntry['record'] }
  >();
  /** Topologies torn down whose l2pop keys and status are still to be withdrawn (etcd may be away). */
  private readonly withdrawing = new Set<string>();
  private agentState: AgentState | null = null;
  private timer: NodeJS.Timeout | null = null;
  private interval: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private dirty = false;
  /** The next pass must be a full one (slices, the kernel, a retry); else only the FDB changed. */
  private needFull = true;
  /** The next full pass applies every slice (the kernel, the timer, a retry); else only `changed`. */
  private everySlice = true;
  /** Topologies whose slice changed since the last full pass. */
  private readonly changed = new Set<string>();
  private stopped = false;
  private backoffMs = 0;
  private monitor: LinkMonitor | null = null;
  private verify: VerifyResponder | null = null;
  private synced = false;
  /** Passes run (for tests and logs). */
  passes = 0;
  /** The last pass's result. */
  last: PassResult | null = null;

  private constructor(
    private readonly o: AgentOptions,
    readonly host: string,
    readonly vtep: IpAddress,
    readonly store: Store,
    private readonly releaseLock: () => void,
    private readonly log: AgentLog,
  ) {}

  /**
   * Starts an agent: host lock, lease (re-used from the state directory while etcd still has it),
   * agent record, the slices listed and watched, the first pass. While etcd cannot be reached it
   * keeps trying (and builds nothing new).
   *
   * @throws {InvalidInputError} for a bad host name, VTEP, TTL or store URL
   * @throws {AgentRunningError} when another agent holds this state directory
   * @throws {VtepNotFoundError} when no link of the host holds the VTEP
   */
  static async start(o: AgentOptions): Promise<Agent> {
    const host = hostName(o.host);
    const vtep = ipAddress(o.vtep, '--vtep');
    intIn(o.leaseTtl ?? 15, 2, 3600, '--lease-ttl');
    const stateDir = o.executors.host.stateDir;
    await mkdir(stateDir, { recursive: true });
    const lockPath = join(stateDir, LOCK_FILE);
    let release: () => void;
    try {
      release = await takeFileLock(lockPath, 0);
    } catch (e) {
      if (e instanceof LockTimeoutError) throw new AgentRunningError(lockPath, e.holder ?? null);
      throw e;
    }
    const log = o.log ?? silentLog;
    let store: Store | null = null;
    try {
      store = await Store.open({
        url: o.store.url,
        ...(o.store.prefix ? { prefix: o.store.prefix } : {}),
        ...(o.store.deadlineMs ? { deadlineMs: o.store.deadlineMs } : {}),
      });
      const agent = new Agent(o, host, vtep, store, release, log);
      await agent.boot();
      return agent;
    } catch (e) {
      store?.close();
      release();
      throw e;
    }
  }

  private get x(): Executors {
    return this.o.executors;
  }

  private async boot(): Promise<void> {
    this.underlay = await readUnderlay(this.x, this.vtep);
    this.lease = await this.retry('lease', () => this.acquireLease());
    await this.retry('agent record', () => this.putAgentRecord('syncing'));
    this.slicesInformer = new Informer(this.store, this.store.keys.desiredOf(this.host), {
      sync: (state) => this.onSlices(state, true),
      events: (events) => this.onSliceEvents(events),
      error: (e) => this.log.write('warn', 'slice watch trouble, resyncing', { error: message(e) }),
    });
    await this.slicesInformer.start();
    // The l2pop of every local network, listed before the first pass.
    await Promise.all([...this.networks.values()].map((i) => i.start()));
    this.synced = true;
    this.verify = new VerifyResponder(this.store, this.host, this.x.host.netnsPrefix, this.log);
    await this.verify.start();
    this.log.write('info', 'synced', { slices: this.slices.size, networks: this.networks.size });
    await this.passNow();
    const every = this.o.resyncIntervalMs ?? 30_000;
    this.interval = setInterval(() => this.schedule('resync'), every);
    this.interval.unref();
    if (this.o.monitor !== false) this.watchKernel();
  }

  /** Retries an etcd call until it succeeds (fail static: waiting is all the agent does meanwhile). */
  private async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let wait = 200;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (this.stopped) throw e;
        const retryable = (e as { retryable?: boolean }).retryable === true;
        if (!retryable) throw e;
        this.log.write('warn', `${what}: etcd unavailable, retrying`, { error: message(e), inMs: wait });
        await sleep(wait);
        wait = Math.min(wait * 2, 5000);
      }
    }
  }

  private async acquireLease(): Promise<StoreLease> {
    const file = join(this.x.host.stateDir, LEASE_FILE);
    const recorded = (await readFile(file, 'utf8').catch(() => '')).trim();
    const lease = await StoreLease.acquire(this.store, {
      ttlSeconds: this.o.leaseTtl ?? 15,
      ...(recorded ? { reuse: recorded } : {}),
    });
    await writeFile(file, `${lease.id}\n`);
    lease.keepAlive();
    lease.on('lost', () => void this.onLeaseLost());
    this.log.write('info', lease.reused ? 'lease re-used' : 'lease granted', {
      lease: lease.id,
      ttl: lease.ttlSeconds,
    });
    return lease;
  }

  private async onLeaseLost(): Promise<void> {
    if (this.stopped) return;
    this.log.write('warn', 'lease lost (etcd expired it): granting a new one and publishing again');
    this.lease = await this.retry('lease', () => this.acquireLease());
    this.agentState = null;
    this.published.clear(); // they went with the old lease
    this.schedule('lease');
  }

  private putAgentRecord(state: AgentState): Promise<void> {
    this.agentState = state;
    return putAgent(this.store, this.lease, this.host, {
      vtep: this.vtep,
      underlayMtu: this.underlay.mtu,
      underlayFamily: this.underlay.family,
      version: this.o.version,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      state,
    });
  }

  // --- what the store says ------------------------------------------------------------------------

  private onSlices(state: ReadonlyMap<string, StoreEntry>, full: boolean): void {
    if (full) {
      this.slices.clear();
      this.badSlices.clear();
    }
    for (const e of state.values()) this.takeSlice(e.key, e.value);
    this.syncNetworkWatches();
    this.schedule('slices');
  }

  private takeSlice(key: string, value: Buffer | null): void {
    const k = this.store.keys.parse(key);
    if (k?.kind !== 'desired' || k.host !== this.host) return;
    if (value === null) {
      this.slices.delete(k.topology);
      this.badSlices.delete(k.topology);
      return;
    }
    try {
      const d = decodeDesired(key, value, this.host, k.topology);
      this.slices.set(k.topology, { generation: d.generation, slice: d.slice });
      this.badSlices.delete(k.topology);
    } catch (e) {
      // Garbage: keep what was built (and the last good slice, if any), report it.
      this.badSlices.set(k.topology, message(e));
      this.log.write('error', 'slice unreadable: keeping what is built', {
        topology: k.topology,
        error: message(e),
      });
    }
  }

  private onSliceEvents(events: readonly InformerEvent[]): void {
    for (const e of events) {
      this.takeSlice(e.key, e.type === 'delete' ? null : e.value);
      const k = this.store.keys.parse(e.key);
      if (k?.kind === 'desired') this.changed.add(k.topology);
    }
    this.syncNetworkWatches();
    this.schedule('slices', undefined, 'slices');
  }

  /** One l2pop informer per (topology, network) of the slices; others cancelled. */
  private syncNetworkWatches(): void {
    const want = new Set<string>();
    for (const [t, { slice }] of this.slices) {
      for (const n of slice.networks) if (n.vni !== null) want.add(this.store.keys.l2popOf(t, n.name));
    }
    for (const [prefix, inf] of this.networks) {
      if (!want.has(prefix)) {
        this.networks.delete(prefix);
        void inf.stop();
      }
    }
    for (const prefix of want) {
      if (this.networks.has(prefix)) continue;
      const inf = new Informer(this.store, prefix, {
        // Other hosts' ports: the FDB pass alone, at once (a burst is one pass: those arriving while
        // it runs make one more).
        sync: (state) => {
          for (const [id, p] of this.published) {
            const key = this.store.keys.l2pop(p.topology, p.network, this.host, p.port);
            if (key.startsWith(prefix) && !state.has(key)) this.published.delete(id);
          }
          this.schedule('l2pop', 0, 'fdb');
        },
        events: (events) => {
          for (const e of events) {
            if (e.type !== 'delete') continue;
            const k = this.store.keys.parse(e.key);
            if (k?.kind === 'l2pop' && k.host === this.host)
              this.published.delete(`${k.topology}/${k.network}/${k.port}`);
          }
          this.schedule('l2pop', 0, 'fdb');
        },
        error: (e) => this.log.write('warn', 'l2pop watch trouble, resyncing', { prefix, error: message(e) }),
      });
      this.networks.set(prefix, inf);
      if (this.synced) void inf.start();
    }
  }

  /** Every l2pop entry the informers hold (garbage entries skipped and logged). */
  private entries(): PortEntry[] {
    const out: PortEntry[] = [];
    for (const inf of this.networks.values()) {
      for (const e of inf.state.values()) {
        try {
          out.push(...l2popEntries(this.store, [e]));
        } catch (err) {
          this.log.write('warn', 'l2pop entry unreadable: ignored', { key: e.key, error: message(err) });
        }
      }
    }
    return out;
  }

  // --- passes -------------------------------------------------------------------------------------

  /**
   * Asks for a pass soon (events within `coalesceMs` are one pass). `scope`: `fdb` when only other
   * hosts' ports changed (the FDB pass alone: milliseconds, not a whole observation); `slices` when
   * only the slices recorded in `changed` did (a full pass over those topologies); `all` otherwise.
   */
  schedule(why: string, delayMs = this.o.coalesceMs ?? 10, scope: 'fdb' | 'slices' | 'all' = 'all'): void {
    if (scope !== 'fdb') this.needFull = true;
    if (scope === 'all') this.everySlice = true;
    if (this.stopped || !this.synced) return;
    this.log.write('debug', 'pass scheduled', { why });
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.passNow();
    }, delayMs);
  }

  /** Runs a pass now (after the running one, if any). Resolves when it is done. */
  async passNow(): Promise<void> {
    if (this.running) {
      this.dirty = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.dirty = false;
        await this.onePass();
      } while (this.dirty && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async onePass(): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    const slices = new Map([...this.slices].map(([t, s]) => [t, s.slice]));
    const entries = this.entries();
    const full = this.needFull;
    this.needFull = false;
    if (!full) {
      const fdb = await runFdbPass(slices, entries, this.ctx(), this.last?.owned);
      this.log.write(fdb.failure ? 'warn' : 'debug', 'fdb pass', {
        ms: Date.now() - started,
        fdb: fdb.changes,
        ...(fdb.failure ? { fdbFailure: fdb.failure } : {}),
      });
      if (fdb.failure) {
        this.needFull = true;
        this.retryLater();
      }
      return;
    }
    let result: PassResult;
    const only = this.everySlice ? undefined : new Set(this.changed);
    this.everySlice = false;
    this.changed.clear();
    try {
      result = await runPass(slices, new Set(this.badSlices.keys()), entries, this.ctx(), only);
    } catch (e) {
      this.log.write('error', 'pass failed', { error: message(e) });
      this.retryLater();
      return;
    }
    this.passes++;
    this.last = result;
    let failed = result.fdbFailure !== null || this.badSlices.size > 0;
    for (const o of result.topologies.values()) if (o.failures.length > 0) failed = true;
    try {
      await this.publish(result, entries);
      await this.writeStatuses(result);
      const state: AgentState = failed ? 'degraded' : 'ready';
      if (state !== this.agentState) await this.putAgentRecord(state);
    } catch (e) {
      failed = true;
      this.log.write('warn', 'store unavailable: kept what is built, will publish later', {
        error: message(e),
      });
    }
    const changes = [...result.topologies.values()].reduce((n, o) => n + o.changes, 0) + result.fdbChanges;
    this.log.write(changes > 0 || failed ? 'info' : 'debug', 'pass', {
      ms: Date.now() - started,
      changes,
      fdb: result.fdbChanges,
      removed: result.removed,
      ...(changes > 0 ? { done: [...result.topologies.values()].flatMap((o) => o.done) } : {}),
      failures: [...result.topologies.values()].flatMap((o) => o.failures),
      ...(result.fdbFailure ? { fdbFailure: result.fdbFailure } : {}),
    });
    if (failed) this.retryLater();
    else this.backoffMs = 0;
  }

  private ctx(): PassContext {
    return {
      host: this.host,
      vtep: this.vtep,
      executors: this.x,
      bridge: this.o.bridge,
      resetBridge: async () => {
        const ns = this.x.host.namespace;
        if (ns && this.o.bridge.release) await this.o.bridge.release(ns);
        else await closeBridgeBatches(ns);
      },
    };
  }

  /** A failed pass is tried again with backoff (0.5 s doubling to 30 s); never fatal. */
  private retryLater(): void {
    this.needFull = true;
    this.backoffMs = Math.min(this.backoffMs ? this.backoffMs * 2 : 500, 30_000);
    this.schedule('retry', this.backoffMs);
  }

  /** Puts this host's ports that changed or are new; deletes those it no longer has. */
  private async publish(result: PassResult, entries: readonly PortEntry[]): Promise<void> {
    // What the store holds of this host's ports: the watched entries, and what this agent wrote under
    // its lease that the watches have not shown yet (or not shown deleted).
    const mine = new Map<
      string,
      { topology: string; network: string; port: string; record: PortEntry['record'] }
    >(this.published);
    for (const e of entries) if (e.host === this.host) mine.set(`${e.topology}/${e.network}/${e.port}`, e);
    const keep = new Set<string>();
    for (const [t, o] of result.topologies) {
      if (o.published === null) {
        // Failed: keep what is published for it (its ports may well be up); publish nothing new.
        for (const k of mine.keys()) if (k.startsWith(`${t}/`)) keep.add(k);
        continue;
      }
      for (const p of o.published) {
        const id = `${p.topology}/${p.network}/${p.port}`;
        keep.add(id);
        const have = mine.get(id);
        // An entry under a lease that is not ours (an older lease, before a restart) is written again.
        if (have && encodeValue(have.record) === encodeValue(p.record)) continue;
        this.log.write('debug', 'publish', { port: id, why: have ? 'changed' : 'absent' });
        await putL2pop(this.store, this.lease, { ...p, host: this.host }, p.record);
        this.published.set(id, { topology: p.topology, network: p.network, port: p.port, record: p.record });
      }
    }
    // Slices this pass did not apply (unchanged) and unreadable ones keep what they published.
    const untouched = [...this.slices.keys()].filter((t) => !result.topologies.has(t));
    for (const t of [...this.badSlices.keys(), ...untouched]) {
      for (const k of mine.keys()) if (k.startsWith(`${t}/`)) keep.add(k);
    }
    for (const [id, e] of mine) {
      if (keep.has(id)) continue;
      await deleteL2pop(this.store, {
        topology: e.topology,
        network: e.network,
        port: e.port,
        host: this.host,
      });
      this.published.delete(id);
    }
    // A topology torn down: whatever this host published for it (its networks' watches are gone).
    for (const t of result.removed) this.withdrawing.add(t);
    for (const t of [...this.withdrawing]) {
      const listed = await this.store.list(this.store.keys.l2popOfTopology(t), { keysOnly: true });
      for (const e of listed.entries) {
        const k = this.store.keys.parse(e.key);
        if (k?.kind !== 'l2pop' || k.host !== this.host) continue;
        await deleteL2pop(this.store, { ...k });
        this.published.delete(`${k.topology}/${k.network}/${k.port}`);
      }
      await this.store.call(`delete status of ${t}`, () =>
        this.store.client.kv.deleteRange({ key: Buffer.from(this.store.keys.status(this.host, t)) }),
      );
      this.statuses.delete(t);
      this.withdrawing.delete(t);
    }
  }

  /** Each topology's status, written only when it says something new (the time alone is not new). */
  private async writeStatuses(result: PassResult): Promise<void> {
    const topologies = new Set([...result.topologies.keys(), ...this.badSlices.keys()]);
    for (const t of topologies) {
      const o = result.topologies.get(t);
      const bad = this.badSlices.get(t);
      const body: StatusBody = {
        observedGeneration: this.slices.get(t)?.generation ?? 0,
        changes: o?.changes ?? 0,
        failures: [
          ...(o?.failures ?? []),
          ...(bad ? [{ resource: `slice ${t}`, error: bad }] : []),
          ...(result.fdbFailure ? [{ resource: 'fdb', error: result.fdbFailure }] : []),
        ],
        dhcp: o?.dhcp ?? [],
      };
      // A pass that only confirms the state counts 0 changes: compare without them.
      const text = encodeValue({ ...body, changes: 0 });
      if (this.statuses.get(t) === text) continue;
      await putStatus(this.store, this.host, t, { ...body, at: new Date().toISOString() });
      this.statuses.set(t, text);
    }
  }

  // --- the kernel ---------------------------------------------------------------------------------

  /** Re-observes at once when a link tenantnet owns on the host changes (not for our own passes' echo alone). */
  private watchKernel(): void {
    try {
      this.monitor = monitorLinks({ namespace: this.x.host.namespace, respawnIntervalMs: 1000 });
    } catch (e) {
      this.log.write('warn', 'no link monitor: relying on the resync interval', { error: message(e) });
      return;
    }
    const m = this.monitor;
    void (async () => {
      try {
        for await (const ev of m) {
          if (ev.lines.some((l) => /vx-|brq|tap/.test(l)) && !this.running) this.schedule('kernel', 200);
        }
      } catch (e) {
        if (!this.stopped) this.log.write('warn', 'link monitor ended', { error: message(e) });
      }
    })();
  }

  // --- the end ------------------------------------------------------------------------------------

  private async halt(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.interval) clearInterval(this.interval);
    await this.monitor?.close().catch(() => {});
    await this.running?.catch(() => {});
    await this.slicesInformer?.stop();
    await this.verify?.stop();
    await Promise.all([...this.networks.values()].map((i) => i.stop()));
  }

  /**
   * Stops the agent and keeps its lease (SIGTERM): the peers keep this host's entries for the TTL,
   * and a restart within it changes nothing for them. What was built stays.
   */
  async stop(): Promise<void> {
    await this.halt();
    this.lease?.release();
    this.store.close();
    this.releaseLock();
  }
}
