// The live picture of one topology file: observed once at start, then again whenever the host watch
// says something of the topology changed (coalesced: one observation at a time, triggers during one
// make exactly one more), drawn as SVG, and handed to whoever listens. It also runs the topology's
// checks on request, drawing each result as it finishes. Horizon refreshes its topology view by polling
// the API; this follows the kernel's own events instead.
import { readFile } from 'node:fs/promises';
import { modelPath, verifyPath } from '../deploy/index.js';
import { type CheckStatus, type Graph, toSvg } from '../graph/index.js';
import { namespaceFor } from '../net/index.js';
import type { Executors } from '../reconcile/index.js';
import { type CheckResult, runChecks, verifyReport } from '../verify/index.js';
import { type NodeDetails, nodeDetails } from './details.js';
import { verifyResults } from './overlay.js';
import { drawPicture, type HostObservation, observeHost, type PictureSource } from './picture.js';
import { HostWatch, type HostWatchOptions, type WatchTargets } from './triggers.js';

/** The picture as drawn now. */
export interface Snapshot {
  /** Grows by one with every new drawing. */
  readonly version: number;
  readonly topology: string;
  /** The SVG element (no XML prolog), ready to be put into a page. */
  readonly svg: string;
  /** True when drawn with what the host has (false: the file alone, never applied here). */
  readonly observed: boolean;
  /** When the host was last read (ISO time). */
  readonly updated: string;
  /** Why the last observation failed (the picture is then the one before), or null. */
  readonly error: string | null;
  /** True while the checks run. */
  readonly verifying: boolean;
}

/** What a listener hears. */
export type LiveEvent =
  | { readonly type: 'graph'; readonly snapshot: Snapshot }
  | { readonly type: 'check'; readonly result: CheckResult }
  | {
      readonly type: 'verify';
      readonly state: 'started' | 'done' | 'failed';
      readonly total: number;
      readonly passed?: number;
      readonly failed?: number;
      readonly error?: string;
    };

/** What the page's server needs of the live picture (a fake stands in for it in unit tests). */
export interface LiveSource {
  snapshot(): Snapshot;
  /** Calls `fn` with every event until the returned function is called. */
  subscribe(fn: (e: LiveEvent) => void): () => void;
  /** The details of a node of the picture, or null when there is none. */
  details(id: string): Promise<NodeDetails | null>;
  /** Starts the checks; `busy` while they already run. */
  verify(): 'started' | 'busy';
}

/** Options of {@link LiveView}. */
export interface LiveViewOptions {
  /** Loads the topology file (again at every observation, so an edited file is drawn). */
  readonly load: () => Promise<PictureSource>;
  readonly executors: Executors;
  /** For an OVS topology's status and the OVSDB monitor. */
  readonly ovsdbSocket?: string;
  /** Warnings (a source that cannot be watched, an observation that failed). */
  readonly onWarn?: (text: string) => void;
  /** How long triggers are gathered before the host is read, default 100 ms. */
  readonly debounceMs?: number;
  /** Overrides of the host watch (tests). */
  readonly watch?: Partial<Pick<HostWatchOptions, 'netnsDir' | 'tickMs'>>;
  /**
   * Watch the host (default true). Without, nothing observes again but {@link LiveView.schedule}:
   * for a caller with its own source of changes (and for tests on fake executors).
   */
  readonly hostWatch?: boolean;
}

const prolog = (svg: string) => svg.slice(Math.max(0, svg.indexOf('<svg')));

/** The live picture of one topology file on this host. */
export class LiveView implements LiveSource {
  private source: PictureSource | null = null;
  private seen: HostObservation = { status: null, verify: null };
  private graph: Graph | null = null;
  private current: Snapshot | null = null;
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private watch: HostWatch | null = null;
  private timer: NodeJS.Timeout | null = null;
  private observing: Promise<void> | null = null;
  private again = false;
  private running: CheckResult[] | null = null;
  private verifyRun: Promise<void> | null = null;
  private drawing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: LiveViewOptions) {}

  /**
   * Reads the host and draws the first picture, then starts watching.
   *
   * @throws what loading the file throws (a `TopologyError`), before anything is watched
   */
  async start(): Promise<void> {
    this.source = await this.opts.load();
    await this.observe();
    if (this.opts.hostWatch === false) return;
    const x = this.opts.executors;
    this.watch = new HostWatch({
      targets: () => this.targets(),
      onTrigger: () => this.schedule(),
      onWarn: (t) => this.opts.onWarn?.(t),
      hostNamespace: x.host.namespace,
      ovs: this.source.model.backend === 'ovs' ? () => x.ovs() : null,
      ...this.opts.watch,
    });
    await this.watch.start();
  }

  /** Stops watching and waits for a verify in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.watch?.close();
    await this.observing?.catch(() => {});
    await this.verifyRun;
    this.listeners.clear();
  }

  snapshot(): Snapshot {
    if (!this.current) throw new Error('ui: the live view has not started');
    return this.current;
  }

  subscribe(fn: (e: LiveEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async details(id: string): Promise<NodeDetails | null> {
    if (!this.source || !this.graph) return null;
    return nodeDetails(
      {
        graph: this.graph,
        model: this.source.model,
        checks: this.source.checks,
        status: this.seen.status,
        results: this.results(),
        stateDir: this.opts.executors.host.stateDir,
      },
      id,
      (path) => readFile(path, 'utf8').catch(() => null),
    );
  }

  verify(): 'started' | 'busy' {
    if (this.verifyRun || !this.source || this.closed) return 'busy';
    const source = this.source;
    const x = this.opts.executors;
    this.running = [];
    this.emit({ type: 'verify', state: 'started', total: source.checks.length });
    this.verifyRun = (async () => {
      try {
        const results = await runChecks(source.checks, {
          netnsPrefix: x.host.netnsPrefix,
          onResult: (r) => {
            this.running?.push(r);
            this.emit({ type: 'check', result: r });
            this.redraw().catch((e: unknown) => this.warn(`drawing failed: ${(e as Error).message}`));
          },
        });
        const report = verifyReport(results);
        // Kept where `tenantnet verify` keeps it, so `graph` and the next start draw it too.
        await x.files.write(
          verifyPath(x.host.stateDir, source.model.topology),
          `${JSON.stringify(report, null, 2)}\n`,
          0o644,
        );
        this.seen = { ...this.seen, verify: report };
        this.running = null;
        await this.redraw();
        this.emit({
          type: 'verify',
          state: 'done',
          total: results.length,
          passed: report.passed,
          failed: report.failed,
        });
      } catch (e) {
        this.running = null;
        this.emit({ type: 'verify', state: 'failed', total: 0, error: (e as Error).message });
        await this.redraw().catch(() => {});
      } finally {
        this.verifyRun = null;
      }
    })();
    return 'started';
  }

  /** Observes again soon (triggers within the debounce are one observation). */
  schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.observe();
    }, this.opts.debounceMs ?? 100);
  }

  /** Reads the host and redraws; one at a time, and one more if asked meanwhile. */
  private observe(): Promise<void> {
    if (this.observing) {
      this.again = true;
      return this.observing;
    }
    this.observing = (async () => {
      try {
        do {
          this.again = false;
          let error: string | null = null;
          try {
            const source = await this.opts.load();
            this.seen = await observeHost(source, this.opts.executors, this.optsOvs());
            this.source = source;
          } catch (e) {
            error = (e as Error).message;
            this.warn(`reading the host failed: ${error}`);
          }
          await this.redraw(error, new Date().toISOString()).catch((e: unknown) =>
            this.warn(`drawing failed: ${(e as Error).message}`),
          );
        } while (this.again && !this.closed);
      } finally {
        this.observing = null;
      }
    })();
    return this.observing;
  }

  private warn(text: string): void {
    this.opts.onWarn?.(text);
  }

  private optsOvs() {
    return this.opts.ovsdbSocket === undefined ? {} : { ovsdbSocket: this.opts.ovsdbSocket };
  }

  /** The check results drawn now: those of a run in progress, else the kept report's. */
  private results(): readonly CheckStatus[] {
    if (!this.source) return [];
    if (this.running)
      return this.running.map((r) => ({ index: r.index, result: r.result, detail: r.detail }));
    return verifyResults(this.seen.verify, this.source.checks);
  }

  /**
   * Draws the picture from what was last read; a listener hears of it when it changed. Drawings run
   * one after another, so a later state is never overtaken by an earlier one.
   */
  private redraw(error?: string | null, updated?: string): Promise<void> {
    const next = this.drawing.then(() => this.drawNow(error, updated));
    this.drawing = next.catch(() => {});
    return next;
  }

  private async drawNow(error?: string | null, updated?: string): Promise<void> {
    const source = this.source;
    if (!source) return;
    const graph = drawPicture(source, this.seen, this.opts.executors.host.netnsPrefix, this.results());
    const svg = prolog(await toSvg(graph));
    const prev = this.current;
    const next: Snapshot = {
      version: (prev?.version ?? 0) + 1,
      topology: source.model.topology,
      svg,
      observed: this.seen.status !== null,
      updated: updated ?? prev?.updated ?? new Date().toISOString(),
      error: error === undefined ? (prev?.error ?? null) : error,
      verifying: this.running !== null,
    };
    this.graph = graph;
    if (
      prev &&
      prev.svg === next.svg &&
      prev.error === next.error &&
      prev.verifying === next.verifying &&
      prev.observed === next.observed
    ) {
      this.current = { ...prev, updated: next.updated };
      return;
    }
    this.current = next;
    this.emit({ type: 'graph', snapshot: next });
  }

  private emit(e: LiveEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        // a listener's failure (a closed response) is its own
      }
    }
  }

  /** The names the host watch looks for, from the file as last loaded and the status as last read. */
  private targets(): WatchTargets {
    const source = this.source;
    const x = this.opts.executors;
    if (!source) return { namespaces: new Set(), ids: [], dnsmasq: [], files: [] };
    const { model } = source;
    const t = model.topology;
    const p = x.host.netnsPrefix;
    const namespaces = new Set<string>([
      ...model.routers.map((r) => namespaceFor('router', t, r.name, p)),
      ...model.networks.filter((n) => n.dhcp).map((n) => namespaceFor('dhcp', t, n.name, p)),
      ...model.instances.map((i) => namespaceFor('instance', t, i.name, p)),
    ]);
    const ids = [
      ...model.networks.flatMap((n) => [n.id, ...(n.dhcpPort ? [n.dhcpPort.id] : [])]),
      ...model.routers.flatMap((r) => [
        ...r.interfaces.map((i) => i.port.id),
        ...(r.gateway ? [r.gateway.port.id] : []),
      ]),
      ...model.instances.map((i) => i.port.id),
    ];
    const dnsmasq = (this.seen.status?.networks ?? []).flatMap((n) =>
      n.dhcp?.pid ? [{ pid: n.dhcp.pid, marker: n.dhcp.namespace }] : [],
    );
    return {
      namespaces,
      ids,
      dnsmasq,
      files: [modelPath(x.host.stateDir, t), verifyPath(x.host.stateDir, t)],
    };
  }
}
