// Interface events from OVSDB's native monitor (Neutron's ovsdb_monitor.SimpleInterfaceMonitor):
// added / removed / modified interfaces, optionally only those on some bridges.
import { ovsName } from './names.js';
import type { MonitorRequests, TableUpdates } from './ovsdb/monitor-updates.js';
import type { Monitor, OvsdbTransport } from './ovsdb/transport.js';
import { mapRecord, type OvsdbRow, optional, setItems } from './ovsdb/values.js';

/** An interface as an event reports it. */
export interface InterfaceEvent {
  /** The Interface row's uuid. */
  readonly uuid: string;
  /** Interface name. */
  readonly name: string;
  /** OpenFlow port, or null until vswitchd assigns it (it arrives in an update after the insert). */
  ofport: number | null;
  /** external_ids (iface-id, attached-mac, …). */
  externalIds: Record<string, string>;
}

/** Options for {@link InterfaceMonitor}. */
export interface InterfaceMonitorOptions {
  /**
   * Report only interfaces whose port is on one of these bridges (Neutron's `bridge_names`). The
   * monitor then also watches Bridge `name, ports` and Port `interfaces`.
   */
  readonly bridges?: readonly string[];
}

/** Events since the last {@link InterfaceMonitor.getEvents}. */
export interface InterfaceEvents {
  /** Inserted rows, and every row present when the monitor (re)started. */
  readonly added: InterfaceEvent[];
  /** Deleted rows. */
  readonly removed: InterfaceEvent[];
  /** Rows whose name, ofport or external_ids changed (after they were reported as added). */
  readonly modified: InterfaceEvent[];
}

const COLUMNS = ['name', 'ofport', 'external_ids'] as const;

function toEvent(uuid: string, row: OvsdbRow): InterfaceEvent {
  const of = optional(row.ofport);
  return {
    uuid,
    name: String(row.name ?? ''),
    ofport: typeof of === 'number' && of >= 0 ? of : null,
    externalIds: mapRecord(row.external_ids),
  };
}

/**
 * Neutron's SimpleInterfaceMonitor over OVSDB's native `monitor` (no `ovsdb-client` process): it
 * watches Interface `name, ofport, external_ids` and collects added / removed / modified events.
 * A modification of a row whose "added" event has not been collected yet updates that event
 * instead (so the ofport that arrives just after an insert is on the added event). When the client
 * reconnects, the rows then present are replayed as added, and rows that vanished meanwhile as removed.
 * With a bridge filter, an interface that joins a watched bridge is added and one that leaves it removed.
 */
export class InterfaceMonitor {
  private monitor: Monitor | null = null;
  private starting: Promise<void> | null = null;
  private events: InterfaceEvents = { added: [], removed: [], modified: [] };
  private readonly known = new Map<string, InterfaceEvent>();
  private waiters: (() => void)[] = [];
  private readonly bridges: ReadonlySet<string> | null;
  // The monitored rows as they are now (with a filter, Bridge and Port rows too), by uuid.
  private readonly rows: Record<'Bridge' | 'Port' | 'Interface', Map<string, OvsdbRow>> = {
    Bridge: new Map(),
    Port: new Map(),
    Interface: new Map(),
  };

  /**
   * @param transport a connected client (the monitor survives its reconnects), or a fake
   * @throws {InvalidInputError} for a bad bridge name
   */
  constructor(
    private readonly transport: OvsdbTransport,
    opts: InterfaceMonitorOptions = {},
  ) {
    this.bridges = opts.bridges ? new Set(opts.bridges.map((b, i) => ovsName(b, `bridges[${i}]`))) : null;
  }

  /**
   * Starts watching; resolves once the initial rows are in as added events. Idempotent: calls made
   * while it starts share the one monitor.
   */
  start(): Promise<void> {
    if (this.monitor) return Promise.resolve();
    const requests: MonitorRequests = this.bridges
      ? {
          Bridge: { columns: ['name', 'ports'] },
          Port: { columns: ['interfaces'] },
          Interface: { columns: COLUMNS },
        }
      : { Interface: { columns: COLUMNS } };
    this.starting ??= this.transport
      .monitor(requests, (u, initial) => this.onUpdate(u, initial))
      .then((m) => {
        this.monitor = m;
      })
      .finally(() => {
        this.starting = null;
      });
    return this.starting;
  }

  /** Stops watching (idempotent; waits for a start in progress); collected events stay until read. */
  async stop(): Promise<void> {
    await this.starting?.catch(() => {});
    const m = this.monitor;
    this.monitor = null;
    await m?.cancel();
  }

  /** True while started. */
  get active(): boolean {
    return this.monitor !== null;
  }

  /** True when events are waiting to be collected (true when not running: the caller must poll). */
  get hasUpdates(): boolean {
    const e = this.events;
    return !this.active || e.added.length + e.removed.length + e.modified.length > 0;
  }

  /** Returns the events collected so far and clears them. */
  getEvents(): InterfaceEvents {
    const e = this.events;
    this.events = { added: [], removed: [], modified: [] };
    return e;
  }

  /** Resolves at the next update (or after `timeoutMs`, resolving false). For tests and event loops. */
  waitForUpdate(timeoutMs = 5000): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }

  private onUpdate(updates: TableUpdates, initial: boolean): void {
    if (initial) for (const t of Object.values(this.rows)) t.clear();
    for (const table of ['Bridge', 'Port', 'Interface'] as const) {
      for (const [uuid, u] of Object.entries(updates[table] ?? {})) {
        if (u.new) this.rows[table].set(uuid, u.new);
        else this.rows[table].delete(uuid);
      }
    }
    const changed = updates.Interface ?? {};
    // A port or bridge change can move any interface in or out of the watched bridges: look at all.
    const membership = this.bridges !== null && (updates.Bridge !== undefined || updates.Port !== undefined);
    const candidates =
      initial || membership
        ? new Set([...this.known.keys(), ...this.rows.Interface.keys()])
        : new Set(Object.keys(changed));
    const scope = this.scope();
    for (const uuid of candidates) {
      const was = this.known.get(uuid);
      const row = this.rows.Interface.get(uuid);
      if (!row || (scope && !scope.has(uuid))) {
        if (was) this.removed(uuid, was);
        continue;
      }
      const ev = toEvent(uuid, row);
      this.known.set(uuid, ev);
      if (!was || initial) {
        // (Re)start: everything present is "added"; whatever we knew that is gone was removed above.
        this.events.added.push(ev);
        continue;
      }
      if (!changed[uuid]) continue;
      const pending = this.events.added.find((a) => a.uuid === uuid);
      if (pending) {
        pending.ofport = ev.ofport;
        pending.externalIds = ev.externalIds;
      } else this.events.modified.push(ev);
    }
    for (const w of this.waiters.splice(0)) w();
  }

  // The interfaces on the watched bridges, or null when every interface counts.
  private scope(): Set<string> | null {
    if (!this.bridges) return null;
    const out = new Set<string>();
    for (const b of this.rows.Bridge.values()) {
      if (!this.bridges.has(String(b.name))) continue;
      for (const p of setItems(b.ports)) {
        for (const i of setItems(this.rows.Port.get(String(p))?.interfaces)) out.add(String(i));
      }
    }
    return out;
  }

  private removed(uuid: string, ev: InterfaceEvent): void {
    this.known.delete(uuid);
    this.events.removed.push(ev);
  }
}
