// When an agent loop must rescan ports (Neutron: agent/common/polling.py, base_polling.py).
/**
 * Decides when an agent loop must rescan ports (Neutron's polling managers). The loop asks
 * {@link isPollingRequired} each iteration and calls {@link pollingCompleted} after a successful scan;
 * until then, polling stays required, so a failed scan is retried.
 */
export abstract class PollingManager {
  private force = false;
  private completed = true;

  /** Starts whatever the manager watches. */
  async start(): Promise<void> {}

  /** Stops it (tolerates "not running"). */
  async stop(): Promise<void> {}

  /** Makes the next {@link isPollingRequired} true whatever happened. */
  forcePolling(): void {
    this.force = true;
  }

  /** Acknowledges that the scan required by the last {@link isPollingRequired} succeeded. */
  pollingCompleted(): void {
    this.completed = true;
  }

  /** True when the caller must scan: a change was seen, polling was forced, or the last scan was not acknowledged. */
  isPollingRequired(): boolean {
    let required = this.changed();
    if (this.force) {
      this.force = false;
      required = true;
    }
    if (!this.completed) required = true;
    if (required) this.completed = false;
    return required;
  }

  /** Whether the watched source reports a change. */
  protected abstract changed(): boolean;
}

/** Always requires polling (no monitor). */
export class AlwaysPoll extends PollingManager {
  protected changed(): boolean {
    return true;
  }
}

/** What {@link InterfacePollingMinimizer} needs from a monitor (an {@link InterfaceMonitor} fits). */
export interface UpdateSource {
  /** True when changes are waiting (or when the source is not running). */
  readonly hasUpdates: boolean;
  /** Starts the source. */
  start(): Promise<void>;
  /** Stops the source. */
  stop(): Promise<void>;
}

/** Requires polling only when the interface monitor saw a change (Neutron's InterfacePollingMinimizer). */
export class InterfacePollingMinimizer extends PollingManager {
  /** @param monitor the change source, usually an {@link InterfaceMonitor} */
  constructor(readonly monitor: UpdateSource) {
    super();
  }

  /** Starts the monitor and waits for its initial rows. */
  override async start(): Promise<void> {
    await this.monitor.start();
  }

  /** Stops the monitor; an error from a monitor that is not running is ignored. */
  override async stop(): Promise<void> {
    await this.monitor.stop().catch(() => {});
  }

  protected changed(): boolean {
    return this.monitor.hasUpdates;
  }
}
