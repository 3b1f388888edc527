// Respawn registered services that died (Neutron: external_process.ProcessMonitor).
import { EventEmitter } from 'node:events';
import type { ProcessManager } from './process-manager.js';

/** What to do when a registered process is found dead. */
export type ExitAction =
  | 'respawn'
  | ((uuid: string, service: string, manager: ProcessManager) => Promise<void> | void);

/** Options for a {@link ProcessMonitor}. */
export interface ProcessMonitorOptions {
  /** How often to check, in milliseconds. */
  readonly intervalMs: number;
  /** Default: `respawn` (start it again with `enable()`). */
  readonly action?: ExitAction;
}

/**
 * Watches registered {@link ProcessManager}s and, every interval, respawns those that are no longer
 * active (or runs a configured action). Register after `enable()`; unregister before `disable()`,
 * or the monitor brings the process back. Events: `respawn` (uuid, service), `error` (Error).
 */
export class ProcessMonitor extends EventEmitter {
  private readonly watched = new Map<string, ProcessManager>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  private stopped = false;

  /** @throws {RangeError} for an interval that is not a positive number */
  constructor(private readonly opts: ProcessMonitorOptions) {
    super();
    if (!(opts.intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${opts.intervalMs}`);
  }

  /** Starts watching `manager` under (uuid, service); starts the timer on first use. */
  register(manager: ProcessManager): void {
    this.watched.set(key(manager.uuid, manager.service), manager);
    this.stopped = false;
    this.timer ??= setInterval(() => void this.check(), this.opts.intervalMs);
  }

  /** Stops watching (uuid, service); the process itself is left alone. */
  unregister(uuid: string, service = 'process'): void {
    this.watched.delete(key(uuid, service));
  }

  /** The (uuid, service) pairs watched now. */
  registered(): { uuid: string; service: string }[] {
    return [...this.watched.values()].map((m) => ({ uuid: m.uuid, service: m.service }));
  }

  /** Checks every registered process once, now; resolves when done. */
  check(): Promise<void> {
    this.checking ??= this.checkAll().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  /**
   * Stops watching: the timer ends, a check in progress respawns nothing more, and the returned
   * promise resolves once that check has finished. Kills nothing. A later {@link register} starts
   * watching again.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
  }

  private async checkAll(): Promise<void> {
    for (const m of [...this.watched.values()]) {
      try {
        if (await m.active()) continue;
        // Unregistered or stopped while we looked: respawning now would resurrect what the caller let go.
        if (this.stopped || !this.watched.has(key(m.uuid, m.service))) continue;
        const action = this.opts.action ?? 'respawn';
        if (action === 'respawn') await m.enable();
        else await action(m.uuid, m.service, m);
        this.emit('respawn', m.uuid, m.service);
      } catch (e) {
        if (this.listenerCount('error') > 0) this.emit('error', e);
      }
    }
  }
}

function key(uuid: string, service: string): string {
  return `${uuid}\0${service}`;
}
