// Which DHCP servers this host has, from the state directory alone: one config directory per server,
// named after its `qdhcp-` namespace, which names its topology and network; each with its dnsmasq's
// PID when that runs. What status and cleanup start from. Neutron: Dnsmasq.existing_dhcp_networks.
import { posix } from 'node:path';
import { readPidfile } from '../exec/pidfile.js';
import { carriesMarker } from '../exec/proc.js';
import { parseNamespace } from '../net/naming.js';
import type { TopologyName } from '../net/ownership.js';
import type { NamespaceName } from '../net/types.js';
import type { Executors } from '../reconcile/executors.js';
import { type DhcpPaths, dhcpPaths } from './config.js';

/** A DHCP server found in the state directory. */
export interface ExistingDhcpServer {
  /** Its marker: the `qdhcp-` namespace's name (also its config directory's name). */
  readonly marker: string;
  readonly namespace: NamespaceName;
  readonly topology: TopologyName;
  /** The network's name. */
  readonly network: string;
  readonly paths: DhcpPaths;
  /** The running dnsmasq's PID (pidfile PID alive and carrying the marker), or null. */
  readonly pid: number | null;
}

/**
 * Lists the DHCP servers whose config directories are under `<stateDir>/dhcp` and whose names are
 * this host's `qdhcp-` namespaces (the host's netns prefix), with their dnsmasq's PID. Read-only:
 * one directory listing, one pidfile and one command line per server.
 */
export async function existingDhcpServers(executors: Executors): Promise<ExistingDhcpServer[]> {
  const root = posix.join(executors.host.stateDir, 'dhcp');
  const out: ExistingDhcpServer[] = [];
  for (const name of await executors.files.list(root)) {
    const parsed = parseNamespace(name, executors.host.netnsPrefix);
    if (parsed?.kind !== 'dhcp') continue;
    const paths = dhcpPaths(executors.host.stateDir, name);
    const pid = await readPidfile(paths.pid);
    const live = pid !== null && carriesMarker(await executors.processes.cmdline(pid), name);
    out.push({
      marker: name,
      namespace: name as NamespaceName,
      topology: parsed.topology,
      network: parsed.name,
      paths,
      pid: live ? pid : null,
    });
  }
  return out;
}
