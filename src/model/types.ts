// The desired state as plain typed data: what a user asks for (`TopologyInput`, the shape a topology
// file or a library user gives) and the resolved `Model` (validated, every default filled in, every
// address, MAC and id allocated). No I/O, no YAML: a library user builds the same model in code that a
// topology file produces, and every feature layer plans from the resolved form.
import type { Owner, ResourceName, TopologyName } from '../net/ownership.js';
import type { Cidr, IpAddress, IpFamily, Mac, Mtu } from '../net/types.js';

// ---------------------------------------------------------------------------------------------
// Input: what a user writes. Optional fields get defaults; addresses and MACs may be left out.
// ---------------------------------------------------------------------------------------------

/** A whole topology as a user describes it. Key names follow the topology file, in camelCase. */
export interface TopologyInput {
  /** Topology name, `[a-z0-9-]`: part of every ownership mark. */
  readonly name: string;
  /** `ovs` (default) or `linuxbridge`. */
  readonly backend?: 'ovs' | 'linuxbridge';
  /** Defaults for every resource (placement for many hosts). */
  readonly defaults?: { readonly host?: string };
  readonly networks?: readonly NetworkInput[];
  readonly routers?: readonly RouterInput[];
  readonly securityGroups?: readonly SecurityGroupInput[];
  readonly instances?: readonly InstanceInput[];
  readonly floatingIps?: readonly FloatingIpInput[];
}

/** A network: an L2 segment with one or more subnets. */
export interface NetworkInput {
  readonly name: string;
  /** Shorthand for `subnets: [{ cidr, gateway, dhcp, dns }]`; give this or `subnets`. */
  readonly cidr?: string;
  readonly gateway?: string | null;
  readonly dhcp?: boolean;
  readonly dns?: readonly string[];
  readonly subnets?: readonly SubnetInput[];
  /**
   * Link MTU of every device on the network. Default 1500 on one host; on many hosts, the smallest
   * underlay MTU among the network's hosts minus the VXLAN overhead (50 over IPv4, 70 over IPv6).
   */
  readonly mtu?: number;
  /** May be a router's gateway network; floating IPs come from it. */
  readonly external?: boolean;
  /** VXLAN id for many hosts, 1-16777215 (allocated when omitted and the topology names hosts). */
  readonly vni?: number;
}

/** A subnet of a network. */
export interface SubnetInput {
  /** IPv4 or IPv6 CIDR; host bits must be zero. */
  readonly cidr: string;
  /**
   * Gateway address (default: the first host address; none for a /32 or /128); `null`: no gateway.
   * On an internal network it is the router's address; on an external one, an outside router's.
   */
  readonly gateway?: string | null;
  /** DHCP on this subnet (default true). */
  readonly dhcp?: boolean;
  /** Name servers handed out by DHCP, of the subnet's family (default: the DHCP port's address). */
  readonly dns?: readonly string[];
  /**
   * IPv6 only: how hosts get addresses (default `dhcpv6-stateful`). With `slaac` and
   * `dhcpv6-stateless` (a /64 only) every port's address is the EUI-64 address of its MAC.
   */
  readonly ipv6Mode?: Ipv6Mode;
}

/** How IPv6 hosts are addressed, as Neutron's ipv6_address_mode. */
export type Ipv6Mode = 'dhcpv6-stateful' | 'dhcpv6-stateless' | 'slaac';

/** A router (Neutron's legacy router: one namespace). */
export interface RouterInput {
  readonly name: string;
  readonly host?: string;
  /**
   * The external gateway: network (must be `external`), IP (allocated when omitted, from the external
   * network's first subnet; given, it picks the subnet), SNAT (default true).
   */
  readonly gateway?: { readonly network: string; readonly ip?: string; readonly snat?: boolean };
  /**
   * Internal networks, by name (the router gets one port on the network's first subnet of each family,
   * at each subnet's gateway) or in full. Not an external network, not one network twice.
   */
  readonly interfaces?: readonly (string | RouterInterfaceInput)[];
  /** Extra routes: destination CIDR via a next hop on one of the router's subnets (internal or gateway). */
  readonly routes?: readonly { readonly destination: string; readonly nexthop: string }[];
}

/** A router interface given in full: a network, optionally its subnet (by CIDR) and the router's IP. */
export interface RouterInterfaceInput {
  readonly network: string;
  readonly subnet?: string;
  /** The router's address on the subnet (default: the subnet's gateway). */
  readonly ip?: string;
}

/** A security group: rules that admit traffic; everything else (ingress) is dropped. */
export interface SecurityGroupInput {
  readonly name: string;
  readonly rules?: readonly RuleInput[];
}

/** One security-group rule. Omitted fields match anything. */
export interface RuleInput {
  readonly direction: 'ingress' | 'egress';
  /**
   * `IPv4` or `IPv6`. When omitted: the family of remoteIp, or of the protocol (icmp, icmpv6); when
   * nothing says, IPv4, and IPv6 too when the topology has an IPv6 subnet.
   */
  readonly ethertype?: 'IPv4' | 'IPv6';
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `any`, or a protocol number. */
  readonly protocol?: string | number;
  /** Destination port or range (`80`, `"8000-8100"`); tcp/udp only. */
  readonly port?: number | string;
  /** Source port or range; tcp/udp only. */
  readonly sourcePort?: number | string;
  /** ICMP type (and code); icmp/icmpv6 only. */
  readonly icmpType?: number;
  readonly icmpCode?: number;
  /** Remote addresses (CIDR or address); exclusive with remoteGroup. */
  readonly remoteIp?: string;
  /** Remote security group by name: its members' addresses. */
  readonly remoteGroup?: string;
}

/** An instance: a namespace standing in for a VM, with one port. */
export interface InstanceInput {
  readonly name: string;
  readonly network: string;
  readonly host?: string;
  /**
   * Fixed IP on the subnet that contains it. The instance gets one address on the network's first
   * subnet of each family; this one replaces the one of its family. Allocated when omitted.
   */
  readonly ip?: string;
  /** MAC (derived from the names when omitted, `fa:16:3e:…` as Neutron). */
  readonly mac?: string;
  /** Security groups by name; none = not filtered beyond anti-spoofing. */
  readonly securityGroups?: readonly string[];
  /** Anti-spoofing and security groups on (default true). */
  readonly portSecurity?: boolean;
  /** Extra (IP or CIDR, MAC) pairs the port may send from. */
  readonly allowedAddressPairs?: readonly { readonly ip: string; readonly mac?: string }[];
  /**
   * `dhcp` (default when the subnet of the instance's first address has DHCP and is not SLAAC): a DHCP
   * client gets the lease; `static`: the address is configured directly.
   */
  readonly address?: 'dhcp' | 'static';
}

/** A floating IP: an address on an external network forwarded to an instance's fixed IP. */
export interface FloatingIpInput {
  readonly instance: string;
  /**
   * The floating address, IPv4, on the external network of the router that serves the instance's
   * subnet (allocated from its first IPv4 subnet when omitted).
   */
  readonly address?: string;
}

// ---------------------------------------------------------------------------------------------
// Resolved model: validated, defaults filled, everything allocated. Plain data; serialisable.
// ---------------------------------------------------------------------------------------------

/** The resolved desired state of one topology. */
export interface Model {
  readonly topology: TopologyName;
  readonly backend: 'ovs' | 'linuxbridge';
  readonly networks: readonly Network[];
  readonly routers: readonly Router[];
  readonly securityGroups: readonly SecurityGroup[];
  readonly instances: readonly Instance[];
}

/** Identity shared by every resolved resource: its owner (the marks) and short id (the names). */
export interface Resource {
  readonly name: ResourceName;
  /** The owner whose marks the resource's kernel objects carry. */
  readonly owner: Owner;
  /** 11 characters from `resourceId(owner)`; device names are a lead plus this. */
  readonly id: string;
}

/** A resolved network. */
export interface Network extends Resource {
  readonly subnets: readonly Subnet[];
  /** Link MTU (see {@link NetworkInput.mtu} for the default). */
  readonly mtu: Mtu;
  readonly external: boolean;
  /**
   * VXLAN id: the one given; else, when the topology names any host (placement), one allocated (sticky,
   * unique in the topology); else null.
   */
  readonly vni: number | null;
  /** True when any subnet has DHCP on: the network gets a DHCP port, namespace and dnsmasq. */
  readonly dhcp: boolean;
  /**
   * The network's DHCP port (null when no subnet has DHCP, and in a topology placed on hosts, where
   * each host has its own: {@link Network.hostDhcpPorts}). In a host's slice, that host's port.
   */
  readonly dhcpPort: Port | null;
  /**
   * Only in a topology placed on hosts, when DHCP is on: one DHCP port per host the network is present
   * on (distributed DHCP: each host runs its own dnsmasq), sorted by host. Absent on one host and in
   * a slice (whose `dhcpPort` is its host's).
   */
  readonly hostDhcpPorts?: readonly HostPort[];
}

/** A port that belongs to one host (a network's DHCP port on that host). */
export interface HostPort {
  readonly host: string;
  readonly port: Port;
}

/** A resolved subnet. Its name is the network's and the CIDR's: `web_10-10-1-0-24`. */
export interface Subnet extends Resource {
  /** The network's name. */
  readonly network: ResourceName;
  /** Canonical network CIDR (host bits zero). */
  readonly cidr: Cidr;
  readonly family: IpFamily;
  readonly prefixLength: number;
  readonly gateway: IpAddress | null;
  readonly dhcp: boolean;
  /** Name servers DHCP hands out (default: the DHCP port's address on this subnet). */
  readonly dns: readonly IpAddress[];
  /**
   * Only in a topology placed on hosts, when `dns` was not given and the subnet has DHCP: each host
   * hands out its own DHCP port's address, so `dns` is empty here and a host's slice fills it in.
   */
  readonly hostDns?: true;
  /** IPv6 address mode (null for IPv4). */
  readonly ipv6Mode: Ipv6Mode | null;
}

/** A fixed IP of a port: the subnet it is on and the address. */
export interface FixedIp {
  readonly subnet: ResourceName;
  readonly address: IpAddress;
}

/**
 * A port: what gets plugged (instance, DHCP server, router interface or gateway). Named `vm_<instance>`,
 * `dhcp_<network>`, `qr_<router>_<network>`, `qg_<router>`.
 */
export interface Port extends Resource {
  readonly network: ResourceName;
  readonly mac: Mac;
  readonly fixedIps: readonly FixedIp[];
  /** What the port serves, as Neutron's device_owner. */
  readonly deviceOwner: 'compute' | 'dhcp' | 'router_interface' | 'router_gateway';
}

/** A resolved router. */
export interface Router extends Resource {
  /** Placement (null on one host). */
  readonly host: string | null;
  readonly gateway: RouterGateway | null;
  readonly interfaces: readonly RouterInterface[];
  readonly routes: readonly { readonly destination: Cidr; readonly nexthop: IpAddress }[];
  readonly floatingIps: readonly FloatingIp[];
}

/** A router's external gateway port. */
export interface RouterGateway {
  readonly network: ResourceName;
  readonly subnet: ResourceName;
  readonly port: Port;
  /** The gateway address (the port's fixed IP on the external subnet). */
  readonly ip: IpAddress;
  /** The external subnet's gateway (the router's default route), or null. */
  readonly nexthop: IpAddress | null;
  readonly snat: boolean;
}

/**
 * A router's interface on an internal network: one port, on the network's first subnet of each family
 * (or the one subnet given).
 */
export interface RouterInterface {
  readonly network: ResourceName;
  /** The subnets the port is on, in the network's order (one per family at most). */
  readonly subnets: readonly ResourceName[];
  readonly port: Port;
  /**
   * The router's addresses with their subnets' prefix lengths (each subnet's gateway by default), in
   * the order of `subnets`: what goes on the `qr-` device.
   */
  readonly cidrs: readonly Cidr[];
}

/** A floating IP, resolved to the router that serves it. Named after its instance (one each). */
export interface FloatingIp extends Resource {
  readonly address: IpAddress;
  readonly instance: ResourceName;
  readonly fixedIp: IpAddress;
  /** The external network it is on. */
  readonly network: ResourceName;
}

/** A resolved security group. */
export interface SecurityGroup extends Resource {
  readonly rules: readonly SecurityGroupRule[];
  /**
   * Fixed IPs of the instances in this group, per family, sorted (what a remote-group rule matches;
   * allowed address pairs are not members).
   */
  readonly members: { readonly 4: readonly IpAddress[]; readonly 6: readonly IpAddress[] };
}

/** A port or type range, inclusive. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** A resolved rule: one family, protocol canonical. */
export interface SecurityGroupRule {
  readonly direction: 'ingress' | 'egress';
  readonly family: IpFamily;
  /**
   * `tcp`, `udp`, `icmp`, `icmpv6`, `sctp`, `dccp` (numbers with these names become them), another
   * protocol number as a string, or null for any.
   */
  readonly protocol: string | null;
  readonly port: Range | null;
  readonly sourcePort: Range | null;
  readonly icmpType: number | null;
  readonly icmpCode: number | null;
  /** Canonical CIDR, or null. */
  readonly remoteIp: Cidr | null;
  /** Remote group by name, or null. */
  readonly remoteGroup: ResourceName | null;
  /** Index of the rule in the group as given (rules keep their order). */
  readonly index: number;
}

/** A resolved instance. */
export interface Instance extends Resource {
  readonly host: string | null;
  readonly network: ResourceName;
  readonly port: Port;
  readonly securityGroups: readonly ResourceName[];
  readonly portSecurity: boolean;
  readonly allowedAddressPairs: readonly { readonly cidr: Cidr; readonly mac: Mac }[];
  readonly address: 'dhcp' | 'static';
}

/** One problem found in an input, with the path of the value (`['instances', 2, 'ip']`). */
export interface ModelProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}
