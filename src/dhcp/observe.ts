// What one network's DHCP server looks like on the host, read once through the apply's Observation:
// the `qdhcp-` namespace, the DHCP port's plug, dnsmasq's three config files, its config directory and
// its process (pidfile PID whose /proc cmdline carries the marker). Read-only.
// Neutron: what Dnsmasq.active / DeviceManager.setup and the conf-file helpers read.
import { readPidfile } from '../exec/pidfile.js';
import { carriesMarker } from '../exec/proc.js';
import type { NetworkObserved, PlugNetwork, PlugObserved, PlugTarget } from '../interface/driver.js';
import type { NamespaceState } from '../ip/observe.js';
import type { Observation } from '../reconcile/observation.js';
import { type DhcpLayout, type DhcpWiring, dhcpLayout, dhcpPlugTarget } from './layout.js';
import type { DhcpNetwork } from './types.js';
import { dhcpNetwork } from './validate.js';

/** The dnsmasq of a network, when it runs: its PID and its command line. */
export interface DhcpProcess {
  readonly pid: number;
  /** `/proc/PID/cmdline`: compared with the wanted argv to tell a restart from a reload. */
  readonly argv: readonly string[];
}

/** One network's DHCP server as observed. */
export interface DhcpObserved {
  /** The network observed for (what removal needs of it: its owner, id, MTU). */
  readonly subject: PlugNetwork;
  /** The names it uses (derived from the network and the host settings). */
  readonly layout: DhcpLayout;
  /** The DHCP port's plug target (what unplug needs). */
  readonly target: PlugTarget;
  /** The `qdhcp-` namespace; null when it does not exist. */
  readonly namespace: NamespaceState | null;
  /** What the interface driver read for the plug. */
  readonly plug: PlugObserved;
  /** What the driver read for the network's own L2 (only when asked for with `withNetwork`). */
  readonly network: NetworkObserved | null;
  /** The config files' content (null: missing). */
  readonly files: {
    readonly host: string | null;
    readonly addnHosts: string | null;
    readonly opts: string | null;
  };
  /** Names of the files in the config directory ([] when it does not exist). */
  readonly confFiles: readonly string[];
  /** The PID in the pidfile (null: no pidfile), whether or not it is alive. */
  readonly pidfile: number | null;
  /** The running dnsmasq (pidfile PID alive and carrying the marker), or null. */
  readonly process: DhcpProcess | null;
}

/** Options of {@link observeDhcp}. */
export interface DhcpObserveOptions extends DhcpWiring {
  /** Also read what planning the network's L2 (the `brq` bridge) needs. */
  readonly withNetwork?: boolean;
}

/**
 * Reads one network's DHCP server through `obs` (memoised: the namespace dump and the switch are read
 * once per apply, shared with every other layer): the namespace, the plug, the files and the process.
 * Read-only. The pidfile is read from disk as `ProcessManager` reads it; the command line through
 * the bundle's process table.
 *
 * @throws {InvalidInputError} for an invalid network (nothing is read)
 */
export async function observeDhcp(
  net: DhcpNetwork,
  obs: Observation,
  opts: DhcpObserveOptions,
): Promise<DhcpObserved> {
  const valid = dhcpNetwork(net);
  const x = obs.executors;
  const layout = dhcpLayout(valid, x.host, opts);
  const target = dhcpPlugTarget(valid, layout);
  const p = layout.paths;
  const [namespace, plug, network, host, addnHosts, opts_, confFiles, pidfile] = await Promise.all([
    obs.namespace(layout.namespace),
    opts.driver.observePlug(obs, target),
    opts.withNetwork ? opts.driver.observeNetwork(obs, valid.network) : Promise.resolve(null),
    obs.file(p.host),
    obs.file(p.addnHosts),
    obs.file(p.opts),
    x.files.list(p.dir),
    readPidfile(p.pid),
  ]);
  let process: DhcpProcess | null = null;
  if (pidfile !== null) {
    const argv = await x.processes.cmdline(pidfile);
    if (carriesMarker(argv, layout.marker)) process = { pid: pidfile, argv };
  }
  return {
    subject: valid.network,
    layout,
    target,
    namespace,
    plug,
    network,
    files: { host, addnHosts, opts: opts_ },
    confFiles,
    pidfile,
    process,
  };
}
