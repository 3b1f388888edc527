import type { Monitor, OvsdbClient } from './ovsdb/client.js';
import type { TableUpdates } from './ovsdb/monitor-updates.js';
import { mapRecord, type OvsdbRow, optional } from './ovsdb/values.js';

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
 */
export class InterfaceMonitor {
  private monitor: Monitor | null = null;
  private starting: Promise<void> | null = null;
  private events: InterfaceEvents = { added: [], removed: [], modified: [] };
  private readonly known = new Map<string, InterfaceEvent>();
  private waiters: (() => void)[] = [];

  /** @param client a connected client; the monitor survives its reconnects */
  constructor(private readonly client: OvsdbClient) {}

  /**
   * Starts watching; resolves once the initial rows are in as added events. Idempotent: calls made
   * while it starts share the one monitor.
   */
  start(): Promise<void> {
    if (this.monitor) return Promise.resolve();
    this.starting ??= this.client
      .monitor({ Interface: { columns: COLUMNS } }, (u, initial) => this.onUpdate(u, initial))
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
    const rows = updates.Interface ?? {};
    if (initial) {
      // (Re)start: everything present is "added"; whatever we knew that is gone was removed meanwhile.
      for (const [uuid, ev] of this.known) if (!(uuid in rows)) this.removed(uuid, ev);
    }
    for (const [uuid, u] of Object.entries(rows)) {
      if (u.new && (initial || !u.old)) {
        const ev = toEvent(uuid, u.new);
        this.known.set(uuid, ev);
        this.events.added.push(ev);
      } else if (!u.new) {
        this.removed(uuid, this.known.get(uuid) ?? toEvent(uuid, u.old ?? {}));
      } else {
        const ev = toEvent(uuid, u.new);
        this.known.set(uuid, ev);
        const pending = this.events.added.find((a) => a.uuid === uuid);
        if (pending) {
          pending.ofport = ev.ofport;
          pending.externalIds = ev.externalIds;
        } else this.events.modified.push(ev);
      }
    }
    for (const w of this.waiters.splice(0)) w();
  }

  private removed(uuid: string, ev: InterfaceEvent): void {
    this.known.delete(uuid);
    this.events.removed.push(ev);
  }
}
