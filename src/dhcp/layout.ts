// Every name one network's DHCP server uses, derived from the network alone: the `qdhcp-` namespace
// (also dnsmasq's marker and its config directory's name), the DHCP port's device, the files, the
// plug request and the dnsmasq service. Neutron: dhcp.py's interface_name, get_conf_file_name and
// the ProcessManager the agent builds (uuid = network id, pidfile in the network's conf dir).
import type { InterfaceDriver, PlugRequest, PlugStyle, PlugTarget } from '../interface/driver.js';
import { hostDevice } from '../interface/layout.js';
import { namespaceFor } from '../net/naming.js';
import type { Owner } from '../net/ownership.js';
import type { DeviceName, NamespaceName } from '../net/types.js';
import type { HostSettings } from '../reconcile/executors.js';
import type { ResourceRef, ServiceSpec } from '../reconcile/step.js';
import { type DhcpPaths, dhcpPaths, dnsmasqArgv } from './config.js';
import type { DhcpNetwork } from './types.js';

/** The names of one network's DHCP server on one host. */
export interface DhcpLayout {
  /** `<prefix>qdhcp-<topology>.<network>`. */
  readonly namespace: NamespaceName;
  /**
   * What identifies this dnsmasq: the namespace's name, which is also its config directory's name,
   * so `/proc/PID/cmdline` carries it as a whole path component (`--pid-file=…/<marker>/pid`).
   */
  readonly marker: string;
  /** The DHCP port's device in the namespace: `tap<port id>` (OVS internal) or `ns-<port id>`. */
  readonly device: DeviceName;
  /** How the port is wired. */
  readonly style: PlugStyle;
  readonly paths: DhcpPaths;
  /** Who owns the namespace and the server (`<topology>.dhcp.<network>`): the `lo` mark, the change. */
  readonly owner: Owner;
}

/** How a DHCP server is wired on this host. */
export interface DhcpWiring {
  /** The interface driver the DHCP port is plugged with. */
  readonly driver: InterfaceDriver;
  /** Wiring of the port (default `internal` on OVS, as Neutron's DHCP ports). */
  readonly style?: PlugStyle;
}

/**
 * The names of a network's DHCP server on a host. Pure.
 *
 * @throws {InvalidInputError} when the names it derives are not valid (an id that makes no device name)
 */
export function dhcpLayout(net: DhcpNetwork, host: HostSettings, wiring: DhcpWiring): DhcpLayout {
  const { owner } = net.network;
  const namespace = namespaceFor('dhcp', owner.topology, owner.name, host.netnsPrefix);
  const style: PlugStyle = wiring.style ?? 'internal';
  // An OVS internal port IS the device (Neutron's tap<id> in qdhcp-); a veth's namespace end is ns-<id>
  // (its host end is tap<id>).
  const lead = wiring.driver.kind === 'ovs' && style === 'internal' ? 'tap' : 'ns-';
  return {
    namespace,
    marker: namespace,
    device: hostDevice(lead, net.port.id, 'dhcp.port.id'),
    style,
    paths: dhcpPaths(host.stateDir, namespace),
    owner: { topology: owner.topology, kind: 'dhcp', name: owner.name },
  };
}

/** The resource a DHCP server's changes are reported under (`<topology>/dhcp/<network>`). Pure. */
export function dhcpResource(layout: DhcpLayout): ResourceRef {
  return { topology: layout.owner.topology, kind: 'dhcp', name: layout.owner.name };
}

/** The plug of the DHCP port: its device into the `qdhcp-` namespace, at the network's MTU. Pure. */
export function dhcpPlugRequest(net: DhcpNetwork, layout: DhcpLayout): PlugRequest {
  return { ...dhcpPlugTarget(net, layout), network: net.network };
}

/** What an unplug of the DHCP port needs. Pure. */
export function dhcpPlugTarget(net: Pick<DhcpNetwork, 'port'>, layout: DhcpLayout): PlugTarget {
  return {
    port: { owner: net.port.owner, id: net.port.id, mac: net.port.mac },
    device: layout.device,
    namespace: layout.namespace,
    style: layout.style,
  };
}

/**
 * The dnsmasq service of a network: its argv (with the pidfile in it), run in the `qdhcp-`
 * namespace, daemonizing and writing its own pidfile, recognised by the marker. Pure.
 */
export function dnsmasqService(net: DhcpNetwork, layout: DhcpLayout): ServiceSpec {
  return {
    uuid: layout.marker,
    service: 'dnsmasq',
    place: layout.namespace,
    pidfile: layout.paths.pid,
    argv: dnsmasqArgv(net, layout.paths, layout.device),
    mode: 'daemonizes',
  };
}
