// Keeps every watched network's dnsmasq alive: a ProcessMonitor over one ProcessManager per network,
// each starting dnsmasq with the very argv the plan made, in its namespace, recognised by its marker.
// For long-running users (an agent); the CLI runs no background process.
// Neutron: external_process.ProcessMonitor as the DHCP agent registers each network's Dnsmasq.
import type { EventEmitter } from 'node:events';
import { ProcessManager } from '../exec/process-manager.js';
import { ProcessMonitor } from '../exec/process-monitor.js';
import type { Executors } from '../reconcile/executors.js';
import type { ServiceSpec } from '../reconcile/step.js';
import { type DhcpWiring, dhcpLayout, dnsmasqService } from './layout.js';
import type { DhcpNetwork } from './types.js';
import { dhcpNetwork } from './validate.js';

/**
 * The ProcessManager of a service spec: its pidfile, its marker, its argv, in its place (`host`
 * resolved through the bundle's host settings), through the bundle's process table.
 *
 * @throws {InvalidInputError} for a marker or pidfile ProcessManager refuses
 */
export function serviceProcessManager(service: ServiceSpec, executors: Executors): ProcessManager {
  return new ProcessManager({
    uuid: service.uuid,
    service: service.service,
    namespace: service.place === 'host' ? executors.host.namespace : service.place,
    pidfile: service.pidfile,
    command: () => service.argv,
    mode: service.mode,
    runner: executors.processes,
  });
}

/** Options of a {@link DhcpMonitor}. */
export interface DhcpMonitorOptions extends DhcpWiring {
  /** Where the services run (host settings, process table). */
  readonly executors: Executors;
  /** How often to check, ms (Neutron's check_child_processes_interval, default 60 s there). */
  readonly intervalMs: number;
}

/**
 * Watches networks' dnsmasq processes and respawns a dead one with the same arguments (Neutron's
 * ProcessMonitor with the `respawn` action). Watch a network after enabling it and unwatch it
 * before disabling it, or the monitor brings dnsmasq back. Events (`on`): `respawn` (marker,
 * service), `error` (Error).
 */
export class DhcpMonitor {
  private readonly monitor: ProcessMonitor;

  /** @throws {RangeError} for an interval that is not a positive number */
  constructor(private readonly opts: DhcpMonitorOptions) {
    this.monitor = new ProcessMonitor({ intervalMs: opts.intervalMs });
  }

  /**
   * Starts watching a network's dnsmasq (replacing an earlier watch of the same network).
   *
   * @returns the marker the process is watched under
   * @throws {InvalidInputError} for an invalid network
   */
  watch(net: DhcpNetwork): string {
    const valid = dhcpNetwork(net);
    const layout = dhcpLayout(valid, this.opts.executors.host, this.opts);
    this.monitor.register(serviceProcessManager(dnsmasqService(valid, layout), this.opts.executors));
    return layout.marker;
  }

  /** Stops watching a network's dnsmasq (the process is left alone). */
  unwatch(net: DhcpNetwork): void {
    const layout = dhcpLayout(dhcpNetwork(net), this.opts.executors.host, this.opts);
    this.monitor.unregister(layout.marker, 'dnsmasq');
  }

  /** The markers watched now. */
  watched(): string[] {
    return this.monitor.registered().map((r) => r.uuid);
  }

  /** Checks every watched dnsmasq once, now (respawning the dead); resolves when done. */
  check(): Promise<void> {
    return this.monitor.check();
  }

  /** Listens to `respawn` (marker, service) and `error` (Error). */
  on(event: 'respawn' | 'error', listener: (...args: never[]) => void): this {
    (this.monitor as EventEmitter).on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Stops watching (kills nothing); resolves once a check in progress has finished. */
  stop(): Promise<void> {
    return this.monitor.stop();
  }
}

/**
 * Watches the dnsmasq of each network given (see {@link DhcpMonitor}).
 *
 * @throws {InvalidInputError} for an invalid network (none is watched)
 */
export function watchDhcp(nets: readonly DhcpNetwork[], opts: DhcpMonitorOptions): DhcpMonitor {
  nets.forEach((n, i) => {
    dhcpNetwork(n, `dhcp[${i}]`);
  });
  const m = new DhcpMonitor(opts);
  for (const n of nets) m.watch(n);
  return m;
}
