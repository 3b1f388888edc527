// The topology file's shape as one zod schema: snake_case keys exactly as users write them, strict
// (an unknown key is an error), primitive types only. What the values mean (names, CIDRs, references,
// overlaps) is `src/model`'s question, asked once; this schema is also the source of the published
// JSON Schema (`docs/topology.schema.json`) and of the key reference in `docs/topology.md`. The role
// Neutron's API resource attribute maps play (neutron_lib/api/definitions), for a whole file.
import { z } from 'zod';

const NAME_RULE = '1-32 of a-z 0-9 -, starting and ending with a letter or digit';

const name = (what: string, example: string) =>
  z
    .string()
    .describe(`${what} (${NAME_RULE}).`)
    .meta({ examples: [example] });

const address = (what: string) => z.string().describe(what);

const portOrRange = (what: string) =>
  z
    .union([z.int(), z.string()])
    .describe(
      `${what}: a port (80) or an inclusive range ("8000-8100"), 1-65535; tcp, udp, sctp, dccp only.`,
    );

/** The keys of a subnet (`networks[].subnets[]`), also the network's one-subnet shorthand. */
const subnetKeys = {
  cidr: z
    .string()
    .describe('IPv4 or IPv6 CIDR of the subnet, host bits zero (10.10.1.0/24, fd00:1::/64).')
    .meta({ examples: ['10.10.1.0/24'] }),
  gateway: z
    .union([z.string(), z.null()])
    .optional()
    .describe(
      'Gateway address, a host of the subnet. Default: the first host (none for a /32 or /128); null: no gateway. ' +
        "On an internal network it is the router's address; on an external network an outside router's " +
        '(an instance may stand in for it).',
    ),
  dhcp: z
    .boolean()
    .optional()
    .describe('Serve DHCP on this subnet (dnsmasq in a qdhcp- namespace). Default true.'),
  dns: z
    .array(z.string())
    .optional()
    .describe(
      "Name servers DHCP hands out, of the subnet's family. Default: the DHCP port's own address; [] hands out none.",
    ),
};

/** One subnet of a network. */
export const subnetSchema = z
  .strictObject({
    ...subnetKeys,
    ipv6_mode: z
      .enum(['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'])
      .optional()
      .describe(
        'IPv6 only: how hosts get addresses. Default dhcpv6-stateful; slaac and dhcpv6-stateless need a /64 and ' +
          'give every port the EUI-64 address of its MAC.',
      ),
  })
  .describe('A subnet of a network.');

/** A network: an L2 segment with one subnet (`cidr`, …) or several (`subnets`). */
export const networkSchema = z
  .strictObject({
    name: name('Network name', 'web'),
    cidr: subnetKeys.cidr
      .optional()
      .describe(
        'Shorthand for one subnet: its CIDR (with gateway, dhcp, dns beside it). Give this or subnets.',
      ),
    gateway: subnetKeys.gateway.describe('With cidr: the subnet gateway (see subnets[].gateway).'),
    dhcp: subnetKeys.dhcp.describe('With cidr: DHCP on the subnet. Default true.'),
    dns: subnetKeys.dns.describe('With cidr: name servers DHCP hands out (see subnets[].dns).'),
    subnets: z
      .array(subnetSchema)
      .optional()
      .describe(
        'Subnets of the network, for more than one (dual stack); give this or cidr. None may overlap.',
      ),
    mtu: z
      .int()
      .optional()
      .describe(
        'MTU of every device on the network, 68-65535 (1280 or more with IPv6). Default 1500 on one host; across hosts, the smallest underlay MTU of its hosts minus 50 (VXLAN).',
      ),
    external: z
      .boolean()
      .optional()
      .describe("May be a router's gateway network; floating IPs come from it. Default false."),
    vni: z
      .int()
      .optional()
      .describe(
        'VXLAN id, 1-16777215, for a topology spread over hosts (allocated when omitted and any host is named).',
      ),
  })
  .describe('A network: an L2 segment with its subnets.');

/** A router's external gateway. */
export const routerGatewaySchema = z
  .strictObject({
    network: name('The external network (one with external: true)', 'public'),
    ip: address(
      "The router's address on the external network. Default: allocated from its first subnet; given, it picks the subnet.",
    ).optional(),
    snat: z
      .boolean()
      .optional()
      .describe("Source-NAT the internal networks' traffic to the gateway address. Default true."),
  })
  .describe("The router's external gateway.");

/** A router interface given in full. */
export const routerInterfaceSchema = z
  .strictObject({
    network: name('An internal network', 'web'),
    subnet: z
      .string()
      .optional()
      .describe("Which of the network's subnets, by CIDR. Default: the first subnet of each family."),
    ip: address("The router's address on the subnet. Default: the subnet's gateway.").optional(),
  })
  .describe('A router interface: a network, optionally one subnet and the address.');

/** An extra route of a router. */
export const routeSchema = z
  .strictObject({
    destination: z
      .string()
      .describe('Destination CIDR, host bits zero.')
      .meta({ examples: ['10.50.0.0/24'] }),
    nexthop: address("Next hop: an address on one of the router's subnets, of the destination's family."),
  })
  .describe('An extra route: destination via a next hop.');

/** A router (Neutron's legacy router: one qrouter- namespace). */
export const routerSchema = z
  .strictObject({
    name: name('Router name', 'r1'),
    host: name(
      'Host the router runs on, for a topology spread over hosts; default: defaults.host',
      'host1',
    ).optional(),
    gateway: routerGatewaySchema.optional(),
    interfaces: z
      .array(z.union([name('An internal network', 'web'), routerInterfaceSchema]))
      .optional()
      .describe(
        'Internal networks the router joins: a network name (a port at each first subnet gateway) or ' +
          '{network, subnet, ip}. Not an external network; not one network twice.',
      ),
    routes: z.array(routeSchema).optional().describe('Extra routes in the router.'),
  })
  .describe(
    'A router: a qrouter- namespace joining internal networks, with SNAT and floating IPs to an external one.',
  );

/** A security-group rule. Omitted fields match anything. */
export const ruleSchema = z
  .strictObject({
    direction: z.enum(['ingress', 'egress']).describe('ingress (to the instance) or egress (from it).'),
    ethertype: z
      .enum(['IPv4', 'IPv6'])
      .optional()
      .describe(
        'Address family. Default: the family of remote_ip or of the protocol (icmp, icmpv6); else IPv4, and ' +
          'IPv6 too when the topology has an IPv6 subnet.',
      ),
    protocol: z
      .union([z.string(), z.int()])
      .optional()
      .describe('tcp, udp, icmp, icmpv6, sctp, dccp, any, or a protocol number 0-255. Default: any.'),
    port: portOrRange('Destination port').optional(),
    source_port: portOrRange('Source port').optional(),
    icmp_type: z.int().optional().describe('ICMP type, 0-255; icmp and icmpv6 only.'),
    icmp_code: z.int().optional().describe('ICMP code, 0-255; needs icmp_type.'),
    remote_ip: z
      .string()
      .optional()
      .describe('Remote address or CIDR (host bits are cleared). Not with remote_group.'),
    remote_group: name("Remote security group, its members' addresses; not with remote_ip", 'web').optional(),
  })
  .describe('A rule: traffic it admits. Everything else coming in is dropped; going out, rules admit too.');

/** A security group. */
export const securityGroupSchema = z
  .strictObject({
    name: name('Security group name', 'web'),
    rules: z.array(ruleSchema).optional().describe('Rules, kept in order. None: nothing admitted.'),
  })
  .describe("A security group: rules applied to its member instances' ports.");

/** An allowed address pair of an instance. */
export const addressPairSchema = z
  .strictObject({
    ip: z.string().describe('An address or CIDR the port may also send from.'),
    mac: z.string().optional().describe("The MAC that goes with it. Default: the port's own."),
  })
  .describe('An extra (address, MAC) the port may send from.');

/** An instance: a namespace standing in for a VM, one port each. */
export const instanceSchema = z
  .strictObject({
    name: name('Instance name', 'web1'),
    network: name('The network its one port is on', 'web'),
    host: name(
      'Host the instance runs on, for a topology spread over hosts; default: defaults.host',
      'host1',
    ).optional(),
    ip: address(
      "Fixed IP, on one of the network's subnets. Default: allocated (one address on the first subnet of each family).",
    ).optional(),
    mac: z
      .string()
      .optional()
      .describe(
        "MAC of the port, unicast. Default: fa:16:3e: and 3 bytes derived from the names (as Neutron's).",
      ),
    security_groups: z
      .array(name('A security group', 'web'))
      .optional()
      .describe('Security groups of the port. None: not filtered beyond anti-spoofing.'),
    port_security: z
      .boolean()
      .optional()
      .describe(
        'Anti-spoofing and security groups on the port. Default true; false allows no groups or pairs.',
      ),
    allowed_address_pairs: z
      .array(addressPairSchema)
      .optional()
      .describe('Extra addresses the port may send from.'),
    address: z
      .enum(['dhcp', 'static'])
      .optional()
      .describe(
        'dhcp: a DHCP client in the namespace gets the lease from dnsmasq; static: the address is set directly. ' +
          'Default dhcp when its subnet has DHCP (and is not SLAAC), else static.',
      ),
  })
  .describe('An instance: a vm- namespace standing in for a VM, with one port.');

/** A floating IP. */
export const floatingIpSchema = z
  .strictObject({
    instance: name('The instance it forwards to', 'web1'),
    address: address(
      "The floating address on the external network of the router serving the instance's subnet. Default: allocated.",
    ).optional(),
  })
  .describe("A floating IP: an external address forwarded to an instance's fixed IPv4 address.");

/** A check `verify` proves with real packets. */
export const checkSchema = z
  .strictObject({
    from: z
      .string()
      .describe('Where the probe starts: an instance name, router:NAME (its namespace) or dhcp:NETWORK.')
      .meta({ examples: ['web1', 'router:r1', 'dhcp:web'] }),
    to: z
      .string()
      .describe(
        'Where it goes: an instance name (its fixed IP), fip:INSTANCE (its floating IP) or a literal address. TCP and UDP need a destination the topology owns (a server is started there).',
      )
      .meta({ examples: ['db1', 'fip:web1', '172.24.4.20'] }),
    protocol: z.enum(['icmp', 'tcp', 'udp']).optional().describe('icmp (ping), tcp or udp. Default icmp.'),
    port: z
      .int()
      .optional()
      .describe('Destination port, 1-65535: required for tcp and udp, not allowed for icmp.'),
    expect: z
      .enum(['pass', 'block'])
      .optional()
      .describe('pass: an answer must come back; block: none may (within about 1.5 s). Default pass.'),
  })
  .describe('A check: one probe with real packets and its expected outcome.');

/** The whole topology file. */
export const topologySchema = z
  .strictObject({
    $schema: z.string().optional().describe('The JSON Schema of this file, for editors; ignored.'),
    name: z
      .string()
      .describe('Topology name: 1-32 of a-z 0-9 -, part of every ownership mark and namespace name.')
      .meta({ examples: ['demo'] }),
    backend: z
      .enum(['ovs', 'linuxbridge'])
      .optional()
      .describe('How networks are switched: ovs (Open vSwitch, default) or linuxbridge.'),
    defaults: z
      .strictObject({
        host: name('Host every router and instance runs on unless it names its own', 'host1').optional(),
      })
      .optional()
      .describe('Defaults for every resource.'),
    networks: z.array(networkSchema).optional().describe('Networks.'),
    routers: z.array(routerSchema).optional().describe('Routers.'),
    security_groups: z.array(securityGroupSchema).optional().describe('Security groups.'),
    instances: z.array(instanceSchema).optional().describe('Instances.'),
    floating_ips: z.array(floatingIpSchema).optional().describe('Floating IPs (one per instance at most).'),
    checks: z.array(checkSchema).optional().describe('What tenantnet verify proves with real packets.'),
  })
  .describe(
    'A tenantnet topology: tenant networks, routers, security groups and instances on one Linux host.',
  );

/** A topology file as written (snake_case keys), after its shape is checked. */
export type TopologyFile = z.input<typeof topologySchema>;

/** One `checks` entry as written. */
export type CheckEntry = z.input<typeof checkSchema>;
