// What tells the live page that the host changed, without re-reading everything in a loop: a watch on
// /run/netns (the topology's namespaces created or deleted), `ip monitor` of the host namespace (host
// ends of veths, bridges: lines naming the topology's device ids), the OVSDB interface monitor (the
// topology's switch ports), and one cheap tick a second that only asks `/proc/PID/cmdline` whether each
// dnsmasq is still itself and stats the state directory's record and verify report. Neutron's agents
// are woken the same way: ovsdb_monitor, ip_monitor and the ProcessMonitor's liveness check.
import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isLiveWithMarker } from '../exec/index.js';
import { type LinkMonitor, monitorLinks } from '../ip/index.js';
import { InterfaceMonitor, type Ovs } from '../ovs/index.js';

/** Where `ip netns` keeps its namespaces. */
export const NETNS_DIR = '/run/netns';

/** What the watch looks for, asked afresh at each event (the topology's names change with its file). */
export interface WatchTargets {
  /** The topology's namespace names (prefix included). */
  readonly namespaces: ReadonlySet<string>;
  /** Short ids of its networks and ports: every device it makes ends with one. */
  readonly ids: readonly string[];
  /** The running dnsmasq processes it has, each with the marker its command line carries. */
  readonly dnsmasq: readonly { readonly pid: number; readonly marker: string }[];
  /** Files whose change means a redraw (the recorded model, the verify report). */
  readonly files: readonly string[];
}

/** Options of {@link HostWatch}. */
export interface HostWatchOptions {
  /** What to watch now. */
  readonly targets: () => WatchTargets;
  /** Called with a short reason whenever something of the topology may have changed. */
  readonly onTrigger: (reason: string) => void;
  /** Called when a source cannot be watched (the others go on). */
  readonly onWarn: (text: string) => void;
  /** The host namespace (`--host-netns`; null: the root namespace). */
  readonly hostNamespace: string | null;
  /** The switch, for an OVS topology (null: no OVSDB monitor). */
  readonly ovs: (() => Promise<Ovs | null>) | null;
  /** Default {@link NETNS_DIR}. */
  readonly netnsDir?: string;
  /** The liveness tick, default 1000 ms. */
  readonly tickMs?: number;
}

const mentions = (text: string, ids: readonly string[]) => ids.some((id) => text.includes(id));

/** The host's change sources, turned into triggers for one topology. Start once; close once. */
export class HostWatch {
  private netns: FSWatcher | null = null;
  private links: LinkMonitor | null = null;
  private ovsMonitor: InterfaceMonitor | null = null;
  private tick: NodeJS.Timeout | null = null;
  private closed = false;
  private ticking = false;
  private readonly reported = new Set<number>();
  private readonly stamps = new Map<string, string>();
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly opts: HostWatchOptions) {}

  /** Starts every source it can (one that fails is reported by `onWarn`, not thrown). */
  async start(): Promise<void> {
    await this.stampFiles(false);
    this.watchNetns();
    this.watchLinks();
    await this.watchOvs();
    this.tick = setInterval(() => void this.onTick(), this.opts.tickMs ?? 1000);
  }

  /** Stops every source; resolves when `ip monitor` has exited and the OVSDB monitor is cancelled. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.tick) clearInterval(this.tick);
    this.netns?.close();
    await this.links?.close().catch(() => {});
    await this.ovsMonitor?.stop().catch(() => {});
    await Promise.all(this.loops);
  }

  private watchNetns(): void {
    const dir = this.opts.netnsDir ?? NETNS_DIR;
    try {
      this.netns = watch(dir, (_event, file) => {
        const name = file?.toString();
        if (name && this.opts.targets().namespaces.has(name)) this.opts.onTrigger(`namespace ${name}`);
      });
      this.netns.on('error', () => {
        this.netns?.close();
        this.netns = null; // the tick watches again once the directory is back
      });
    } catch {
      this.netns = null; // no namespace exists yet: the tick starts the watch when the directory appears
    }
  }

  private watchLinks(): void {
    try {
      this.links = monitorLinks({ namespace: this.opts.hostNamespace, respawnIntervalMs: 1000 });
    } catch (e) {
      this.opts.onWarn(`cannot watch the host's links: ${(e as Error).message}`);
      return;
    }
    const links = this.links;
    this.loops.push(
      (async () => {
        try {
          for await (const ev of links) {
            const hit = ev.lines.find((l) => mentions(l, this.opts.targets().ids));
            if (hit !== undefined) this.opts.onTrigger('host link');
          }
        } catch (e) {
          if (!this.closed) this.opts.onWarn(`the host's link monitor stopped: ${(e as Error).message}`);
        }
      })(),
    );
  }

  private async watchOvs(): Promise<void> {
    if (!this.opts.ovs) return;
    let ovs: Ovs | null;
    try {
      ovs = await this.opts.ovs();
    } catch (e) {
      this.opts.onWarn(`cannot watch Open vSwitch: ${(e as Error).message}`);
      return;
    }
    if (!ovs) return;
    const monitor = new InterfaceMonitor(ovs.transport);
    try {
      await monitor.start();
    } catch (e) {
      this.opts.onWarn(`cannot watch Open vSwitch: ${(e as Error).message}`);
      return;
    }
    monitor.getEvents(); // the rows already there: the first observation has them
    this.ovsMonitor = monitor;
    this.loops.push(
      (async () => {
        while (!this.closed) {
          await monitor.waitForUpdate(1000);
          const e = monitor.getEvents();
          const ids = this.opts.targets().ids;
          const hit = [...e.added, ...e.removed, ...e.modified].some((i) => mentions(i.name, ids));
          if (hit && !this.closed) this.opts.onTrigger('switch port');
        }
      })(),
    );
  }

  /** Each file's mtime and size; with `report`, a trigger for each that changed. */
  private async stampFiles(report: boolean): Promise<void> {
    for (const f of this.opts.targets().files) {
      const s = await stat(f).catch(() => null);
      const stamp = s ? `${s.mtimeMs}/${s.size}` : 'none';
      const was = this.stamps.get(f);
      this.stamps.set(f, stamp);
      if (report && was !== undefined && was !== stamp) this.opts.onTrigger(`file ${f}`);
    }
  }

  private async onTick(): Promise<void> {
    if (this.ticking || this.closed) return;
    this.ticking = true;
    try {
      if (this.netns === null) {
        this.watchNetns();
        if (this.netns !== null) this.opts.onTrigger('namespaces appeared');
      }
      for (const d of this.opts.targets().dnsmasq) {
        if (this.reported.has(d.pid)) continue;
        if (!(await isLiveWithMarker(d.pid, d.marker))) {
          this.reported.add(d.pid);
          this.opts.onTrigger(`dnsmasq ${d.pid} is gone`);
        }
      }
      await this.stampFiles(true);
    } finally {
      this.ticking = false;
    }
  }
}
