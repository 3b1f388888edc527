// What one network's DHCP server serves, as plain data (Neutron: the NetModel the DHCP agent hands its
// Dnsmasq driver): the network and its subnets, the DHCP port, the ports served with their hostnames.
// The model's Network and Port fit the network and port parts as they are.
import type { Ipv6Mode } from '../model/types.js';
import type { Owner } from '../net/ownership.js';
import type { Cidr, IpAddress, Mac, Mtu } from '../net/types.js';

/** A subnet of the served network (a resolved `Subnet` of the model fits as is). */
export interface DhcpSubnet {
  /** Its name (`web_10-10-1-0-24`): fixed IPs refer to it. */
  readonly name: string;
  /** Short id: dnsmasq's tag `subnet-<id>`. */
  readonly id: string;
  /** Canonical network CIDR. */
  readonly cidr: Cidr;
  /** The router's address handed out as `option:router` (IPv4); null: none (an empty router option). */
  readonly gateway: IpAddress | null;
  /** Served by DHCP. A subnet with DHCP off gets no range and its addresses no host entries. */
  readonly dhcp: boolean;
  /** Name servers handed out; [] hands out none (default in the model: the DHCP port's address). */
  readonly dns: readonly IpAddress[];
  /** IPv6 address mode (null for IPv4): `slaac` gets no DHCP range, `dhcpv6-stateless` options only. */
  readonly ipv6Mode: Ipv6Mode | null;
}

/** A fixed IP: the subnet (by name) and the address. */
export interface DhcpFixedIp {
  readonly subnet: string;
  readonly address: IpAddress;
}

/** The network served (a resolved `Network` of the model fits as is). */
export interface DhcpNetworkInfo {
  /** The network's owner: its marks, and with its name the `qdhcp-` namespace. */
  readonly owner: Owner;
  /** Short id (the interface driver's `brq<id>`). */
  readonly id: string;
  /** Link MTU: the DHCP port's, and `option:mtu` handed out. */
  readonly mtu: Mtu;
  readonly external: boolean;
  readonly subnets: readonly DhcpSubnet[];
}

/** The network's own DHCP port (a resolved `Port` of the model fits as is). */
export interface DhcpPortInfo {
  readonly owner: Owner;
  readonly id: string;
  readonly mac: Mac;
  /** Its addresses, one per DHCP subnet: what the device in the `qdhcp-` namespace carries. */
  readonly fixedIps: readonly DhcpFixedIp[];
}

/** A port the server hands leases to (an instance's port; router ports are not served). */
export interface DhcpHost {
  /** The port's owner (a `Port` of the model fits): errors name it. */
  readonly owner: Owner;
  /** Short id of the port: dnsmasq's tag `port-<id>`. */
  readonly id: string;
  readonly mac: Mac;
  /** The name DHCP hands out and DNS answers for (`web1` and `web1.<domain>`): a DNS label. */
  readonly hostname: string;
  readonly fixedIps: readonly DhcpFixedIp[];
}

/** Everything one network's dnsmasq serves. Build it with `dhcpNetworkFromModel`, or by hand. */
export interface DhcpNetwork {
  readonly network: DhcpNetworkInfo;
  readonly port: DhcpPortInfo;
  readonly hosts: readonly DhcpHost[];
  /** DNS domain (`--domain`, the hosts' FQDNs); default `openstacklocal`, Neutron's. */
  readonly domain?: string;
  /** Upstream name servers dnsmasq forwards other names to (`--server`); default none. */
  readonly upstreamServers?: readonly IpAddress[];
  /** Lease time in seconds, or `infinite`; default 86400 (Neutron's dhcp_lease_duration). */
  readonly leaseTime?: number | 'infinite';
}
