// Networks and subnets of a topology input, checked and given their defaults (gateway, DHCP, MTU),
// as Neutron's network and subnet API validates them (neutron/db/db_base_plugin_v2.py,
// ipam/utils.py): canonical CIDRs, a gateway on its subnet, no overlapping subnets in one network.
import {
  broadcastAddress,
  cidrFamily,
  containsAddress,
  firstHost,
  hostCount,
  isHostOf,
  networkAddress,
  overlaps,
  parseAddress,
  parseSubnetCidr,
  prefixLength,
} from '../net/cidr.js';
import type { ResourceName } from '../net/ownership.js';
import { type Cidr, type IpAddress, type IpFamily, intIn, type Mtu, mtu } from '../net/types.js';
import { subnetName } from './names.js';
import {
  asObject,
  boolField,
  choiceField,
  listField,
  nameField,
  onlyKeys,
  type Path,
  type Problems,
  pathText,
  type Raw,
  show,
} from './problems.js';
import type { Ipv6Mode } from './types.js';

/** A checked subnet, before allocation. */
export interface SubnetDraft {
  readonly name: ResourceName;
  readonly network: ResourceName;
  /** Where the subnet's fields are in the input (`networks[0]` for the `cidr` shorthand). */
  readonly path: Path;
  readonly cidr: Cidr;
  readonly family: IpFamily;
  readonly prefixLength: number;
  readonly gateway: IpAddress | null;
  readonly dhcp: boolean;
  /** Name servers as given; null: the DHCP port's address (filled in after allocation). */
  readonly dns: readonly IpAddress[] | null;
  readonly ipv6Mode: Ipv6Mode | null;
  /** IPv6 SLAAC or DHCPv6-stateless: hosts take the EUI-64 address of their MAC. */
  readonly auto: boolean;
}

/** A checked network, before allocation. */
export interface NetworkDraft {
  readonly name: ResourceName;
  readonly path: Path;
  readonly subnets: readonly SubnetDraft[];
  /** As given; null: the default (1500 on one host, from the underlay on many: `build.ts`). */
  readonly mtu: Mtu | null;
  readonly external: boolean;
  /** As given; allocation fills it in for a topology spread over hosts. */
  readonly vni: number | null;
  /**
   * False when a subnet of the network has a problem (already reported): whatever refers to the
   * network is then not checked further, so one mistake is reported once.
   */
  readonly complete: boolean;
}

const NETWORK_KEYS = ['name', 'cidr', 'gateway', 'dhcp', 'dns', 'subnets', 'mtu', 'external', 'vni'] as const;
const SUBNET_KEYS = ['cidr', 'gateway', 'dhcp', 'dns', 'ipv6Mode'] as const;
const IPV6_MODES: readonly Ipv6Mode[] = ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'];

/** The default MTU of a network on one host. */
export const DEFAULT_MTU = 1500 as Mtu;

/**
 * Why an address cannot be a host of a subnet (outside it, its network or broadcast address), or null
 * when it can.
 */
export function notAHost(cidr: Cidr, address: IpAddress): string | null {
  if (isHostOf(cidr, address)) return null;
  if (cidrFamily(cidr) !== (address.includes(':') ? 6 : 4)) {
    return `${address} is IPv${address.includes(':') ? 6 : 4} but ${cidr} is IPv${cidrFamily(cidr)}`;
  }
  if (!containsAddress(cidr, address)) return `${address} is not in ${cidr}`;
  if (address === networkAddress(cidr)) {
    return cidrFamily(cidr) === 6
      ? `${address} is the subnet-router anycast address of ${cidr}, not a host address`
      : `${address} is the network address of ${cidr}, not a host address`;
  }
  if (address === broadcastAddress(cidr)) return `${address} is the broadcast address of ${cidr}`;
  return `${address} is not a host address of ${cidr}`;
}

function parseSubnet(p: Problems, obj: Raw, path: Path): Omit<SubnetDraft, 'name' | 'network'> | undefined {
  if (obj.cidr === undefined) {
    p.add(path, 'a subnet needs a cidr (as 10.0.0.0/24)');
    return undefined;
  }
  const cidr = p.check([...path, 'cidr'], (w) => parseSubnetCidr(obj.cidr, w));
  const dhcp = boolField(p, obj, 'dhcp', path, true);
  const mode = choiceField(p, obj, 'ipv6Mode', path, IPV6_MODES);
  const dnsRaw = obj.dns === undefined ? null : listField(p, obj, 'dns', path);
  if (!cidr) return undefined;
  const family = cidrFamily(cidr);

  let gateway: IpAddress | null;
  if (obj.gateway === undefined) {
    // Neutron's default: the first host. A /32 or /128 has one address, which its one host needs.
    gateway = hostCount(cidr) >= 2n ? firstHost(cidr) : null;
  } else if (obj.gateway === null) {
    gateway = null;
  } else {
    gateway = p.check([...path, 'gateway'], (w) => parseAddress(obj.gateway, w)) ?? null;
    const why = gateway && notAHost(cidr, gateway);
    if (why) p.add([...path, 'gateway'], `the gateway must be a host of its subnet: ${why}`);
    if (!gateway || why) return undefined;
  }

  const dns: IpAddress[] = [];
  (dnsRaw ?? []).forEach((d, k) => {
    const a = p.check([...path, 'dns', k], (w) => parseAddress(d, w));
    if (!a) return;
    if ((a.includes(':') ? 6 : 4) !== family) {
      p.add([...path, 'dns', k], `name server ${a} is not IPv${family}, as the subnet ${cidr} is`);
    } else if (dns.includes(a)) {
      p.add([...path, 'dns', k], `name server ${a} is listed twice`);
    } else dns.push(a);
  });

  let ipv6Mode: Ipv6Mode | null = null;
  if (family === 4 && mode !== undefined) {
    p.add([...path, 'ipv6Mode'], `ipv6Mode is for IPv6 subnets; ${cidr} is IPv4`);
  } else if (family === 6) {
    ipv6Mode = mode ?? 'dhcpv6-stateful';
    if (ipv6Mode !== 'dhcpv6-stateful' && prefixLength(cidr) !== 64) {
      p.add(
        [...path, 'ipv6Mode'],
        `${ipv6Mode} addresses are EUI-64, which needs a /64 subnet; ${cidr} is not one (use dhcpv6-stateful)`,
      );
      return undefined;
    }
  }
  return {
    path,
    cidr,
    family,
    prefixLength: prefixLength(cidr),
    gateway,
    dhcp,
    dns: dnsRaw === null ? null : dns,
    ipv6Mode,
    auto: ipv6Mode === 'slaac' || ipv6Mode === 'dhcpv6-stateless',
  };
}

function parseNetwork(p: Problems, raw: unknown, path: Path): NetworkDraft | undefined {
  const obj = asObject(p, raw, path, 'a network');
  if (!obj) return undefined;
  onlyKeys(p, obj, path, NETWORK_KEYS);
  const name = nameField(p, obj, 'name', path, 'a network');

  const subnets: Omit<SubnetDraft, 'name' | 'network'>[] = [];
  let entries = 0;
  if (obj.subnets !== undefined) {
    if (obj.cidr !== undefined) p.add([...path, 'cidr'], 'give cidr (one subnet) or subnets, not both');
    for (const key of ['gateway', 'dhcp', 'dns'] as const) {
      if (obj[key] !== undefined) p.add([...path, key], `with a subnets list, ${key} belongs in each subnet`);
    }
    const list = listField(p, obj, 'subnets', path);
    if (Array.isArray(obj.subnets) && list.length === 0)
      p.add([...path, 'subnets'], 'a network needs a subnet');
    list.forEach((s, j) => {
      entries++;
      const sp = [...path, 'subnets', j];
      const so = asObject(p, s, sp, 'a subnet');
      if (!so) return;
      onlyKeys(p, so, sp, SUBNET_KEYS);
      const d = parseSubnet(p, so, sp);
      if (d) subnets.push(d);
    });
  } else if (obj.cidr !== undefined) {
    entries++;
    const d = parseSubnet(p, obj, path);
    if (d) subnets.push(d);
  } else {
    p.add(path, 'a network needs a subnet: give cidr (as 10.0.0.0/24) or subnets');
  }

  // Two subnets of one network would put one address on the segment twice.
  let complete = entries > 0 && subnets.length === entries;
  subnets.forEach((s, j) => {
    const other = subnets.slice(0, j).find((o) => overlaps(o.cidr, s.cidr));
    if (other) {
      complete = false;
      p.add(
        [...s.path, 'cidr'],
        `${s.cidr} overlaps ${other.cidr} (${pathText(other.path)}) of the same network`,
      );
    }
  });

  const external = boolField(p, obj, 'external', path, false);
  let netMtu: Mtu | null = null;
  if (obj.mtu !== undefined) {
    const m = p.check([...path, 'mtu'], (w) => mtu(obj.mtu as number, w));
    if (m !== undefined) {
      netMtu = m;
      const v6 = subnets.find((s) => s.family === 6);
      if (v6 && m < 1280) {
        p.add([...path, 'mtu'], `MTU ${m} is below 1280, the IPv6 minimum, and subnet ${v6.cidr} is IPv6`);
      }
    }
  }
  const vni =
    obj.vni === undefined
      ? null
      : (p.check([...path, 'vni'], (w) => intIn(obj.vni as number, 1, 16777215, w)) ?? null);

  if (!name) return undefined;
  return {
    name,
    path,
    subnets: subnets.map((s) => ({ ...s, name: subnetName(name, s.cidr), network: name })),
    mtu: netMtu,
    external,
    vni,
    complete,
  };
}

/** The first subnet of each family, in the network's subnet order. */
export function firstPerFamily(network: NetworkDraft): SubnetDraft[] {
  const seen = new Set<IpFamily>();
  return network.subnets.filter((s) => !seen.has(s.family) && seen.add(s.family));
}

/** The network's CIDRs for messages: `10.0.0.0/24, fd00::/64`. */
export function cidrList(network: NetworkDraft): string {
  return network.subnets.map((s) => s.cidr).join(', ');
}

/**
 * Checks the networks of a topology input: names (unique), subnets (canonical CIDR, gateway on the
 * subnet, name servers of the subnet's family, IPv6 modes, no overlap inside one network), MTU
 * (68-65535, 1280 with IPv6), VNI (1-16777215, unique). Records every problem; returns the networks
 * good enough to resolve, by name, in input order.
 */
export function parseNetworks(p: Problems, input: Raw): Map<ResourceName, NetworkDraft> {
  const out = new Map<ResourceName, NetworkDraft>();
  const vnis = new Map<number, Path>();
  listField(p, input, 'networks', []).forEach((raw, i) => {
    const path: Path = ['networks', i];
    const n = parseNetwork(p, raw, path);
    if (!n) return;
    const first = out.get(n.name);
    if (first) {
      p.add([...path, 'name'], `network name ${show(n.name)} is used twice (also ${pathText(first.path)})`);
      return;
    }
    if (n.vni !== null) {
      const other = vnis.get(n.vni);
      if (other) p.add([...path, 'vni'], `VNI ${n.vni} is used twice (also ${pathText(other)})`);
      else vnis.set(n.vni, path);
    }
    out.set(n.name, n);
  });
  return out;
}
