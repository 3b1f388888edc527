// What the firewall is asked for on one host: the filtered ports (MAC, addresses, allowed address
// pairs, groups, network, the bridge-side device it hooks) and the security groups they use; and how
// a resolved model becomes that (validate.ts checks a hand-built one). Neutron: the port dicts and
// security-group info the L2 agent hands to iptables_firewall (prepare_port_filter, update_*).
import type { Instance, Model, Network, SecurityGroupRule } from '../model/types.js';
import { deviceFor } from '../net/naming.js';
import type { Owner, ResourceName, TopologyName } from '../net/ownership.js';
import type { Cidr, DeviceName, IpAddress, Mac } from '../net/types.js';

/** Where a port's traffic crosses a Linux bridge: the bridge and the port's device on it. */
export interface FirewallHook {
  /** The Linux bridge (`brq<network>` for the Linux bridge driver, `qbr<port>` for the OVS hybrid plug). */
  readonly bridge: DeviceName;
  /** The port's device on that bridge (`tap<port>`): physdev rules match it. */
  readonly device: DeviceName;
}

/** A filtered port (an instance's port with port security on). */
export interface FirewallPort {
  /** The port's owner: its short id (`resourceId(owner)`) names the port's chains. */
  readonly owner: Owner;
  /** The instance's MAC: the only source MAC allowed (with the pairs' MACs). */
  readonly mac: Mac;
  /** The port's fixed IPs: the only source addresses allowed (with the pairs). */
  readonly fixedIps: readonly IpAddress[];
  /** Further (address or CIDR, MAC) pairs the port may send from. */
  readonly allowedAddressPairs: readonly { readonly cidr: Cidr; readonly mac: Mac }[];
  /**
   * Security groups by name, in order (their rules are kept in this order). None: the port is not
   * filtered beyond anti-spoofing.
   */
  readonly securityGroups: readonly ResourceName[];
  /** The port's network: its conntrack zone is the network's. */
  readonly network: Owner;
  /** Where the port is hooked (from the interface driver's layout: `PlugLayout.filter`). */
  readonly hook: FirewallHook;
  /** The network's DHCP server (its replies are admitted), or null. */
  readonly dhcp: { readonly addresses: readonly IpAddress[]; readonly mac: Mac } | null;
}

/** A security group as the firewall needs it (a resolved `SecurityGroup` of the model fits). */
export interface FirewallGroup {
  readonly name: ResourceName;
  readonly owner: Owner;
  /** Rules in order (each of one family). */
  readonly rules: readonly SecurityGroupRule[];
  /** Addresses of the group's members per family (what a remote-group rule matches). */
  readonly members: { readonly 4: readonly IpAddress[]; readonly 6: readonly IpAddress[] };
}

/** Everything the firewall of one topology wants on one host. */
export interface FirewallDesired {
  readonly topology: TopologyName;
  /** The filtered ports on this host. */
  readonly ports: readonly FirewallPort[];
  /** Every group the ports use, and every group their rules name as remote group. */
  readonly securityGroups: readonly FirewallGroup[];
  /**
   * Remote-group members kept in ipsets (default true: one `-m set` rule per remote-group rule, and a
   * membership change is an ipset change); false: one rule per member address.
   */
  readonly ipset?: boolean;
}

/** Options for {@link firewallFromModel}. */
export interface FromModelOptions {
  /** Only instances placed on this host (default: every instance). */
  readonly host?: string | null;
  /** See {@link FirewallDesired.ipset}. */
  readonly ipset?: boolean;
}

/**
 * The firewall a resolved model asks for: its instances with port security (on `host`, when given),
 * hooked where the model's backend plugs them — `tap<port>` in `brq<network>` (Linux bridge) or in
 * `qbr<port>` (OVS: the hybrid plug the host orchestrator picks for port-security instances) — and
 * every security group. Pure.
 */
export function firewallFromModel(model: Model, opts: FromModelOptions = {}): FirewallDesired {
  const networks = new Map(model.networks.map((n) => [n.name, n]));
  const ports = model.instances
    .filter((i) => i.portSecurity && (opts.host === undefined || i.host === opts.host))
    .map((i) => portOf(i, networks.get(i.network) as Network, model.backend));
  return {
    topology: model.topology,
    ports,
    securityGroups: model.securityGroups,
    ...(opts.ipset === undefined ? {} : { ipset: opts.ipset }),
  };
}

function portOf(i: Instance, network: Network, backend: Model['backend']): FirewallPort {
  const dhcp = network.dhcpPort;
  return {
    owner: i.port.owner,
    mac: i.port.mac,
    fixedIps: i.port.fixedIps.map((f) => f.address),
    allowedAddressPairs: i.allowedAddressPairs,
    securityGroups: i.securityGroups,
    network: network.owner,
    hook: {
      bridge: backend === 'linuxbridge' ? deviceFor('brq', network.owner) : deviceFor('qbr', i.port.owner),
      device: deviceFor('tap', i.port.owner),
    },
    dhcp: dhcp ? { addresses: dhcp.fixedIps.map((f) => f.address), mac: dhcp.mac } : null,
  };
}
