// The DHCP layer's own door: a DhcpNetwork built by hand (without the model builder) is checked here
// field by field, and the conflicts dnsmasq would silently mishandle — an address outside its subnet
// or used twice, a MAC twice, a hostname twice — are refused naming the port, before anything runs.
// Neutron: the DHCP agent trusts the server's IPAM; tenantnet has no server, so the layer checks.
import { InvalidInputError } from '../errors.js';
import { plugNetwork, plugPort } from '../interface/layout.js';
import type { Ipv6Mode } from '../model/types.js';
import {
  addressFamily,
  cidrFamily,
  isHostOf,
  overlaps,
  parseAddress,
  parseSubnetCidr,
  prefixLength,
} from '../net/cidr.js';
import { resourceName } from '../net/ownership.js';
import { requireString } from '../net/text.js';
import type { IpAddress, Mac } from '../net/types.js';
import type { DhcpFixedIp, DhcpHost, DhcpNetwork, DhcpPortInfo, DhcpSubnet } from './types.js';

/** Neutron's default DNS domain (dns_domain). */
export const DEFAULT_DOMAIN = 'openstacklocal';
/** Neutron's default lease time (dhcp_lease_duration), seconds. */
export const DEFAULT_LEASE_TIME = 86400;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const MODES: readonly string[] = ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'];

/** A DhcpNetwork with every default filled in and every value checked. */
export interface ValidDhcpNetwork extends DhcpNetwork {
  readonly domain: string;
  readonly upstreamServers: readonly IpAddress[];
  readonly leaseTime: number | 'infinite';
}

function fail(where: string, message: string): never {
  throw new InvalidInputError(`${where}: ${message}`, where);
}

function list(value: unknown, where: string): readonly unknown[] {
  if (!Array.isArray(value)) fail(where, 'not a list');
  return value;
}

function object(value: unknown, where: string, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, `not ${what}`);
  return value as Record<string, unknown>;
}

function shortId(value: unknown, where: string): string {
  const v = requireString(value, where);
  if (!ID.test(v)) fail(where, `${JSON.stringify(v)} is not an id (1-64 of A-Z a-z 0-9 _ -)`);
  return v;
}

/**
 * Validates a DNS name (the domain): dot-separated labels of `A-Z a-z 0-9 -` (1-63 each, not starting
 * or ending with `-`), at most 253 characters; a trailing dot is dropped.
 *
 * @throws {InvalidInputError} naming `where`
 */
export function dnsDomain(value: unknown, where = 'domain'): string {
  const v = requireString(value, where).replace(/\.$/, '');
  if (v.length === 0 || v.length > 253 || !v.split('.').every((l) => LABEL.test(l))) {
    fail(where, `${JSON.stringify(v)} is not a DNS domain (labels of A-Z a-z 0-9 -, 1-63 each)`);
  }
  return v.toLowerCase();
}

/**
 * Validates a hostname DHCP hands out: one DNS label (`A-Z a-z 0-9 -`, 1-63, not starting or ending
 * with `-`), lower-cased.
 *
 * @throws {InvalidInputError} naming `where`
 */
export function hostname(value: unknown, where = 'hostname'): string {
  const v = requireString(value, where);
  if (!LABEL.test(v))
    fail(where, `${JSON.stringify(v)} is not a hostname (one DNS label: A-Z a-z 0-9 -, 1-63)`);
  return v.toLowerCase();
}

function subnet(value: unknown, where: string): DhcpSubnet {
  const s = object(value, where, 'a subnet');
  const cidr = parseSubnetCidr(s.cidr, `${where}.cidr`);
  const family = cidrFamily(cidr);
  const gateway =
    s.gateway === null || s.gateway === undefined ? null : parseAddress(s.gateway, `${where}.gateway`);
  if (gateway !== null && !isHostOf(cidr, gateway)) {
    fail(`${where}.gateway`, `${gateway} is not a host address of ${cidr}`);
  }
  if (typeof s.dhcp !== 'boolean') fail(`${where}.dhcp`, 'not a boolean');
  const dns = list(s.dns ?? [], `${where}.dns`).map((d, i) => {
    const a = parseAddress(d, `${where}.dns[${i}]`);
    if (addressFamily(a) !== family) fail(`${where}.dns[${i}]`, `${a} is not an IPv${family} address`);
    return a;
  });
  let ipv6Mode: Ipv6Mode | null = null;
  if (family === 6) {
    const m = s.ipv6Mode ?? 'dhcpv6-stateful';
    if (!MODES.includes(m as string))
      fail(`${where}.ipv6Mode`, `${JSON.stringify(m)} is not ${MODES.join(', ')}`);
    ipv6Mode = m as Ipv6Mode;
  } else if (s.ipv6Mode !== null && s.ipv6Mode !== undefined) {
    fail(`${where}.ipv6Mode`, 'only IPv6 subnets have an address mode');
  }
  return {
    name: resourceName(s.name as string, `${where}.name`),
    id: shortId(s.id, `${where}.id`),
    cidr,
    gateway,
    dhcp: s.dhcp,
    dns,
    ipv6Mode,
  };
}

/** Who holds what: every address and MAC of the network, by the port that uses it. */
class Holders {
  private readonly addresses = new Map<string, string>();
  private readonly macs = new Map<string, string>();
  private readonly hostnames = new Map<string, string>();

  constructor(private readonly subnets: ReadonlyMap<string, DhcpSubnet>) {}

  fixedIps(value: unknown, port: string, where: string): DhcpFixedIp[] {
    const seen = new Set<string>();
    return list(value, where).map((v, i) => {
      const w = `${where}[${i}]`;
      const f = object(v, w, 'a fixed IP ({ subnet, address })');
      const name = requireString(f.subnet, `${w}.subnet`);
      const s = this.subnets.get(name);
      if (!s) fail(`${w}.subnet`, `port ${port}: no subnet ${JSON.stringify(name)} on this network`);
      const address = parseAddress(f.address, `${w}.address`);
      if (!isHostOf(s.cidr, address)) {
        fail(
          `${w}.address`,
          `port ${port}: ${address} is outside its subnet ${s.cidr} (or not a host address of it)`,
        );
      }
      if (seen.has(name)) fail(`${w}.subnet`, `port ${port}: two addresses on subnet ${name}`);
      seen.add(name);
      const holder = this.addresses.get(address);
      if (holder !== undefined) fail(`${w}.address`, `port ${port}: ${address} is already used by ${holder}`);
      this.addresses.set(address, `port ${port}`);
      return { subnet: s.name, address };
    });
  }

  mac(value: Mac, port: string, where: string): void {
    const holder = this.macs.get(value);
    if (holder !== undefined) fail(where, `port ${port}: MAC ${value} is already used by ${holder}`);
    this.macs.set(value, `port ${port}`);
  }

  hostname(value: string, port: string, where: string): void {
    const holder = this.hostnames.get(value);
    if (holder !== undefined) fail(where, `port ${port}: hostname ${value} is already used by ${holder}`);
    this.hostnames.set(value, `port ${port}`);
  }
}

/**
 * Validates what one network's DHCP server serves and fills in the defaults (domain
 * `openstacklocal`, no upstream servers, 86400 s leases). Every field is checked, and a port is
 * refused — the error names it — when an address is outside its subnet, already used by another
 * port (or the DHCP port), on a subnet the network does not have; when a MAC or hostname is used
 * twice; and the network is refused for a malformed or overlapping CIDR or a gateway outside its
 * subnet. Pure.
 *
 * @throws {InvalidInputError} naming the field (`dhcp.hosts[2].fixedIps[0].address`), before anything runs
 */
export function dhcpNetwork(value: DhcpNetwork, where = 'dhcp'): ValidDhcpNetwork {
  // What this function returned is frozen and known: observe and plan take it again at no cost.
  if (typeof value === 'object' && value !== null && CHECKED.has(value)) return value as ValidDhcpNetwork;
  const v = object(value, where, 'a DHCP network ({ network, port, hosts })');
  const n = object(v.network, `${where}.network`, 'a network');
  const base = plugNetwork(n as never, `${where}.network`);
  const subnets = list(n.subnets, `${where}.network.subnets`).map((s, i) =>
    subnet(s, `${where}.network.subnets[${i}]`),
  );
  const byName = new Map<string, DhcpSubnet>();
  subnets.forEach((s, i) => {
    const w = `${where}.network.subnets[${i}]`;
    if (byName.has(s.name)) fail(`${w}.name`, `subnet ${s.name} is given twice`);
    const other = subnets.slice(0, i).find((o) => overlaps(o.cidr, s.cidr));
    if (other) fail(`${w}.cidr`, `${s.cidr} overlaps ${other.cidr} (subnet ${other.name})`);
    byName.set(s.name, s);
  });
  const holders = new Holders(byName);

  const p = object(v.port, `${where}.port`, 'the DHCP port');
  const portBase = plugPort(p as never, `${where}.port`);
  const portName = `${portBase.owner.name} (the DHCP port)`;
  holders.mac(portBase.mac, portName, `${where}.port.mac`);
  const port: DhcpPortInfo = {
    ...portBase,
    fixedIps: holders.fixedIps(p.fixedIps, portName, `${where}.port.fixedIps`),
  };

  const ids = new Set<string>();
  const hosts = list(v.hosts, `${where}.hosts`).map((h, i): DhcpHost => {
    const w = `${where}.hosts[${i}]`;
    const o = object(h, w, 'a port ({ owner, id, mac, hostname, fixedIps })');
    const b = plugPort(o as never, w);
    const name = b.owner.name;
    if (ids.has(b.id)) fail(`${w}.id`, `port ${name}: id ${b.id} is already used by another port`);
    ids.add(b.id);
    holders.mac(b.mac, name, `${w}.mac`);
    const hn = hostname(o.hostname, `${w}.hostname`);
    holders.hostname(hn, name, `${w}.hostname`);
    return { ...b, hostname: hn, fixedIps: holders.fixedIps(o.fixedIps, name, `${w}.fixedIps`) };
  });

  const leaseTime = v.leaseTime ?? DEFAULT_LEASE_TIME;
  if (
    leaseTime !== 'infinite' &&
    !(
      typeof leaseTime === 'number' &&
      Number.isInteger(leaseTime) &&
      leaseTime >= 120 &&
      leaseTime <= 2 ** 31 - 1
    )
  ) {
    fail(
      `${where}.leaseTime`,
      `${JSON.stringify(leaseTime)} is not a lease time (120 s or more, or "infinite")`,
    );
  }
  return deepFreeze({
    network: { ...base, subnets },
    port,
    hosts,
    domain: v.domain === undefined ? DEFAULT_DOMAIN : dnsDomain(v.domain, `${where}.domain`),
    upstreamServers: list(v.upstreamServers ?? [], `${where}.upstreamServers`).map((s, i) =>
      parseAddress(s, `${where}.upstreamServers[${i}]`),
    ),
    leaseTime: leaseTime as number | 'infinite',
  });
}

/** Networks {@link dhcpNetwork} returned (deeply frozen, so they stay valid). */
const CHECKED = new WeakSet<object>();

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o))
    if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) deepFreeze(v);
  CHECKED.add(Object.freeze(o));
  return o;
}

/**
 * Whether dnsmasq serves a range on a subnet: DHCP on, and not IPv6 SLAAC or a prefix shorter than
 * /64 (Neutron skips those). Pure.
 */
export function isServed(s: DhcpSubnet): boolean {
  return s.dhcp && s.ipv6Mode !== 'slaac' && !(cidrFamily(s.cidr) === 6 && prefixLength(s.cidr) < 64);
}

/** The subnets dnsmasq serves a range on ({@link isServed}), in the network's order. Pure. */
export function servedSubnets(net: DhcpNetwork): DhcpSubnet[] {
  return net.network.subnets.filter(isServed);
}
