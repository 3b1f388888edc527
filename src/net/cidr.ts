// CIDR arithmetic in one place (canonical text, containment, overlap, host ranges, the probe that
// allocation walks), as Neutron does it with netaddr in neutron/ipam/utils.py and subnet_alloc.py.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { InvalidInputError } from '../errors.js';
import type { Cidr, IpAddress, IpFamily, Mac } from './types.js';

/** The number of bits in an address of each family. */
const BITS = { 4: 32, 6: 128 } as const;

/** An address as a number: its family and value (0 ≤ value < 2^bits). */
interface Numeric {
  readonly family: IpFamily;
  readonly value: bigint;
}

function fail(where: string, value: unknown, why: string): never {
  const shown = JSON.stringify(value) ?? String(value);
  throw new InvalidInputError(
    `${where}: ${shown.length > 80 ? `${shown.slice(0, 79)}…` : shown} ${why}`,
    where,
  );
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string') fail(where, value, 'is not a string');
  return value;
}

function parseNumeric(value: string, where: string): Numeric {
  if (value.includes('%')) {
    fail(where, value, 'carries a zone id (%…); zone ids are not allowed here');
  }
  // node:net's isIP is inet_pton: strict (no `10.1`, `0x0a.0.0.1` or `010.0.0.1`, which ipaddr.js
  // would read as something else).
  const family = isIP(value);
  if (family === 4) {
    const octets = ipaddr.IPv4.parse(value).octets;
    return { family: 4, value: octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n) };
  }
  if (family === 6) {
    // ipaddr.js 2.5 reads `::1.2.3.4` as `::ffff:1.2.3.4`; give it the dotted tail as two hex groups.
    const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(value);
    const hex = dotted
      ? `${value.slice(0, dotted.index)}${((Number(dotted[1]) << 8) | Number(dotted[2])).toString(16)}:${((Number(dotted[3]) << 8) | Number(dotted[4])).toString(16)}`
      : value;
    const parts = ipaddr.IPv6.parse(hex).parts;
    return { family: 6, value: parts.reduce((acc, p) => (acc << 16n) | BigInt(p), 0n) };
  }
  return fail(where, value, 'is not an IPv4 or IPv6 address');
}

function format({ family, value }: Numeric): IpAddress {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 0xffn)).join('.') as IpAddress;
  }
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  const v4 = Number(value & 0xffffffffn);
  const dotted = [24, 16, 8, 0].map((s) => (v4 >>> s) & 0xff).join('.');
  // inet_ntop (what `ip` prints) writes an embedded IPv4 address for ::ffff:a.b.c.d and ::a.b.c.d.
  if (words.slice(0, 5).every((w) => w === 0)) {
    if (words[5] === 0xffff) return `::ffff:${dotted}` as IpAddress;
    if (words[5] === 0 && words[6] !== 0) return `::${dotted}` as IpAddress;
  }
  return new ipaddr.IPv6(words).toRFC5952String() as IpAddress;
}

function mask(family: IpFamily, prefixLength: number): bigint {
  const bits = BigInt(BITS[family]);
  const all = (1n << bits) - 1n;
  return all ^ ((1n << (bits - BigInt(prefixLength))) - 1n);
}

/** A CIDR as numbers: family, the address given, its prefix length. */
interface NumericCidr extends Numeric {
  readonly prefixLength: number;
}

function parseCidrText(value: string, where: string): NumericCidr {
  const slash = value.lastIndexOf('/');
  if (slash < 0) fail(where, value, 'is not a CIDR (address/prefix-length, as 10.0.0.0/24)');
  const len = value.slice(slash + 1);
  const address = parseNumeric(value.slice(0, slash), where);
  const max = BITS[address.family];
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) {
    fail(where, value, `has no valid prefix length (0-${max} for IPv${address.family})`);
  }
  return { ...address, prefixLength: Number(len) };
}

function cidrText(n: NumericCidr): Cidr {
  return `${format(n)}/${n.prefixLength}` as Cidr;
}

// Trusted values (branded) are parsed again here; a string cast to the brand without a check fails
// the same way input does.
function num(a: IpAddress): Numeric {
  return parseNumeric(a, 'address');
}

function numCidr(c: Cidr): NumericCidr {
  return parseCidrText(c, 'CIDR');
}

/**
 * Validates an IPv4 or IPv6 address and returns its canonical text: IPv4 dotted decimal, IPv6 as
 * inet_ntop and `ip` print it (RFC 5952: lower case, the longest run of zero groups as `::`).
 * Zone ids (`fe80::1%eth0`) and non-standard IPv4 forms (`10.1`, `010.0.0.1`) are refused.
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function parseAddress(value: unknown, where = 'address'): IpAddress {
  return format(parseNumeric(text(value, where), where));
}

/**
 * Validates a subnet CIDR: an address and prefix length whose host bits are zero (`10.0.0.0/24`).
 * Returns the canonical text. A CIDR with host bits set is refused with the subnet it probably meant
 * (`10.0.0.5/24` → "did you mean 10.0.0.0/24?").
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function parseSubnetCidr(value: unknown, where = 'CIDR'): Cidr {
  const n = parseCidrText(text(value, where), where);
  const net = n.value & mask(n.family, n.prefixLength);
  if (net !== n.value) {
    const meant = cidrText({ ...n, value: net });
    fail(where, value, `has host bits set; did you mean ${meant}?`);
  }
  return cidrText(n);
}

/**
 * Validates an interface CIDR: an address with the prefix length of its subnet (`10.0.0.5/24`; host
 * bits allowed). Returns the canonical text.
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function parseInterfaceCidr(value: unknown, where = 'CIDR'): Cidr {
  return cidrText(parseCidrText(text(value, where), where));
}

/**
 * Validates a match prefix (what a firewall rule or an allowed address pair matches): a CIDR or a bare
 * address. Returns the canonical network CIDR: host bits cleared (`10.0.0.1/8` → `10.0.0.0/8`, as
 * Neutron normalises remote_ip_prefix) and a bare address as a host route (`10.0.0.1` →
 * `10.0.0.1/32`, `fd00::1` → `fd00::1/128`).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function parsePrefix(value: unknown, where = 'prefix'): Cidr {
  const v = text(value, where);
  if (!v.includes('/')) {
    const a = parseNumeric(v, where);
    return cidrText({ ...a, prefixLength: BITS[a.family] });
  }
  const n = parseCidrText(v, where);
  return cidrText({ ...n, value: n.value & mask(n.family, n.prefixLength) });
}

/** 4 or 6: the family of an address. Pure. */
export function addressFamily(address: IpAddress): IpFamily {
  return address.includes(':') ? 6 : 4;
}

/** 4 or 6: the family of a CIDR. Pure. */
export function cidrFamily(cidr: Cidr): IpFamily {
  return cidr.includes(':') ? 6 : 4;
}

/** The prefix length of a CIDR (`24` for `10.0.0.0/24`). Pure. */
export function prefixLength(cidr: Cidr): number {
  return Number(cidr.slice(cidr.lastIndexOf('/') + 1));
}

/** The address part of a CIDR, canonical (`10.0.0.5` for `10.0.0.5/24`). Pure. */
export function cidrAddress(cidr: Cidr): IpAddress {
  return format(numCidr(cidr));
}

/**
 * The canonical subnet of an interface CIDR: host bits cleared (`10.0.0.5/24` → `10.0.0.0/24`). Pure.
 */
export function subnetOf(cidr: Cidr): Cidr {
  const n = numCidr(cidr);
  return cidrText({ ...n, value: n.value & mask(n.family, n.prefixLength) });
}

/** The address with a prefix length: the CIDR an interface carries (`10.0.0.1` + 24 → `10.0.0.1/24`). Pure. */
export function withPrefix(address: IpAddress, prefix: number): Cidr {
  const a = num(address);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > BITS[a.family]) {
    fail('prefix length', prefix, `is not a prefix length for IPv${a.family} (0-${BITS[a.family]})`);
  }
  return cidrText({ ...a, prefixLength: prefix });
}

/** The network address of a CIDR (host bits zero): `10.0.0.0` for `10.0.0.5/24`. Pure. */
export function networkAddress(cidr: Cidr): IpAddress {
  const n = numCidr(cidr);
  return format({ family: n.family, value: n.value & mask(n.family, n.prefixLength) });
}

/**
 * The IPv4 broadcast address of a CIDR (host bits all ones): `10.0.0.255` for `10.0.0.0/24`. Null for
 * IPv6 (which has none) and for /31 and /32 (RFC 3021: both addresses of a /31 are hosts). Pure.
 */
export function broadcastAddress(cidr: Cidr): IpAddress | null {
  const n = numCidr(cidr);
  if (n.family === 6 || n.prefixLength >= 31) return null;
  return format({ family: 4, value: n.value | (~mask(4, n.prefixLength) & 0xffffffffn) });
}

/** The number of addresses a CIDR spans, 2^(bits − prefix length), as a BigInt. Pure. */
export function addressCount(cidr: Cidr): bigint {
  const n = numCidr(cidr);
  return 1n << BigInt(BITS[n.family] - n.prefixLength);
}

/** The first and last usable host of a CIDR, as numbers. */
function hostBounds(cidr: Cidr): { family: IpFamily; first: bigint; last: bigint } {
  const n = numCidr(cidr);
  const net = n.value & mask(n.family, n.prefixLength);
  const top = net + (1n << BigInt(BITS[n.family] - n.prefixLength)) - 1n;
  if (n.family === 4) {
    // /31: both addresses are hosts (RFC 3021); /32: the one address.
    return n.prefixLength >= 31
      ? { family: 4, first: net, last: top }
      : { family: 4, first: net + 1n, last: top - 1n };
  }
  // IPv6 has no broadcast; the network address is the subnet-router anycast address, no host's.
  return n.prefixLength === 128
    ? { family: 6, first: net, last: net }
    : { family: 6, first: net + 1n, last: top };
}

/**
 * The first usable host address: IPv4 the one after the network address (except /31 and /32, where
 * every address is a host), IPv6 the one after the subnet-router anycast address (except /128). This is
 * the default gateway of a subnet, as in Neutron. Pure.
 */
export function firstHost(cidr: Cidr): IpAddress {
  const b = hostBounds(cidr);
  return format({ family: b.family, value: b.first });
}

/**
 * The last usable host address: IPv4 the one before the broadcast address (except /31 and /32), IPv6
 * the last address of the subnet. Pure.
 */
export function lastHost(cidr: Cidr): IpAddress {
  const b = hostBounds(cidr);
  return format({ family: b.family, value: b.last });
}

/** The number of usable host addresses (from {@link firstHost} to {@link lastHost}), as a BigInt. Pure. */
export function hostCount(cidr: Cidr): bigint {
  const b = hostBounds(cidr);
  return b.last - b.first + 1n;
}

/**
 * The n-th usable host of a subnet, counting from 0 at {@link firstHost}; a negative n counts back
 * from {@link lastHost} (−1 is the last). Null when the subnet has no such host. Pure.
 */
export function nthHost(cidr: Cidr, n: bigint | number): IpAddress | null {
  const b = hostBounds(cidr);
  const i = BigInt(n);
  const value = i >= 0n ? b.first + i : b.last + 1n + i;
  if (value < b.first || value > b.last) return null;
  return format({ family: b.family, value });
}

/** True when the address is of the CIDR's family and inside it (network and broadcast included). Pure. */
export function containsAddress(cidr: Cidr, address: IpAddress): boolean {
  const n = numCidr(cidr);
  const a = num(address);
  if (a.family !== n.family) return false;
  const m = mask(n.family, n.prefixLength);
  return (a.value & m) === (n.value & m);
}

/** True when the address is a usable host of the subnet (inside it, not network or broadcast). Pure. */
export function isHostOf(cidr: Cidr, address: IpAddress): boolean {
  const b = hostBounds(cidr);
  const a = num(address);
  return a.family === b.family && a.value >= b.first && a.value <= b.last;
}

/** True when every address of `inner` is inside `outer` (same family). Pure. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  const o = numCidr(outer);
  const i = numCidr(inner);
  if (o.family !== i.family || i.prefixLength < o.prefixLength) return false;
  const m = mask(o.family, o.prefixLength);
  return (i.value & m) === (o.value & m);
}

/** True when two CIDRs share at least one address (same family; one then contains the other). Pure. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return containsCidr(a, b) || containsCidr(b, a);
}

/** The address as a BigInt (`10.0.0.1` → 167772161n). Pure. */
export function addressToBigInt(address: IpAddress): bigint {
  return num(address).value;
}

/**
 * The address of a family with the given numeric value (167772161n, 4 → `10.0.0.1`). Pure.
 *
 * @throws {InvalidInputError} when the value is negative or too large for the family
 */
export function bigIntToAddress(value: bigint, family: IpFamily): IpAddress {
  if (value < 0n || value >= 1n << BigInt(BITS[family])) {
    fail('address value', value.toString(), `is not an IPv${family} address value`);
  }
  return format({ family, value });
}

/** Orders addresses numerically, IPv4 before IPv6 (a comparator for `sort`). Pure. */
export function compareAddresses(a: IpAddress, b: IpAddress): number {
  const x = num(a);
  const y = num(b);
  if (x.family !== y.family) return x.family - y.family;
  return x.value < y.value ? -1 : x.value > y.value ? 1 : 0;
}

/**
 * Every usable host of a subnet exactly once, starting at host number `start` (taken modulo the
 * number of hosts, so a hash can be the start) and wrapping round: the probe an allocator walks until
 * it finds a free address. Lazy, so a /64 costs only the steps taken. Pure.
 */
export function* hostsFrom(cidr: Cidr, start: bigint): Generator<IpAddress> {
  const b = hostBounds(cidr);
  const count = b.last - b.first + 1n;
  const offset = ((start % count) + count) % count;
  for (let i = 0n; i < count; i++) {
    yield format({ family: b.family, value: b.first + ((offset + i) % count) });
  }
}

/**
 * The host number of an address inside a subnet (its offset from {@link firstHost}), for starting a
 * probe just after a given address. Null when the address is not a usable host. Pure.
 */
export function hostIndex(cidr: Cidr, address: IpAddress): bigint | null {
  const b = hostBounds(cidr);
  const a = num(address);
  if (a.family !== b.family || a.value < b.first || a.value > b.last) return null;
  return a.value - b.first;
}

/**
 * The modified EUI-64 address of a MAC on an IPv6 /64 (what SLAAC gives a host, RFC 4291 appendix A):
 * the prefix, then the MAC with the universal/local bit flipped and `ff:fe` in the middle. Pure.
 *
 * @throws {InvalidInputError} when the CIDR is not an IPv6 /64
 */
export function eui64Address(cidr: Cidr, macAddress: Mac): IpAddress {
  const n = numCidr(cidr);
  if (n.family !== 6 || n.prefixLength !== 64) fail('CIDR', cidr, 'is not an IPv6 /64 (EUI-64 needs one)');
  const bytes = macAddress.split(':').map((h) => Number.parseInt(h, 16));
  bytes[0] = bytes[0]! ^ 0x02;
  const iid = [...bytes.slice(0, 3), 0xff, 0xfe, ...bytes.slice(3)].reduce(
    (acc, b) => (acc << 8n) | BigInt(b),
    0n,
  );
  return format({ family: 6, value: (n.value & mask(6, 64)) | iid });
}
