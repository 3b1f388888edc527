// The branded values every layer shares (names, addresses, CIDRs, MACs, MTUs, tables, groups, IpFamily), each with its validator (Neutron: ip_lib's values).
import { isIP } from 'node:net';
import { InvalidInputError } from '../errors.js';

/** A network namespace name that is safe on the `ip` command line and as a `/run/netns` file name. */
export type NamespaceName = string & { readonly __brand: 'NamespaceName' };
/** A network device name the kernel accepts: 1-15 characters, no `/`, `:` or whitespace. */
export type DeviceName = string & { readonly __brand: 'DeviceName' };
/** An IPv4 or IPv6 address without a prefix length. */
export type IpAddress = string & { readonly __brand: 'IpAddress' };
/** An address with a prefix length (`10.0.0.1/24`, `fd00::1/64`). The host bits may be set. */
export type Cidr = string & { readonly __brand: 'Cidr' };
/** A unicast Ethernet MAC address, lower case, colon separated. */
export type Mac = string & { readonly __brand: 'Mac' };
/** A link MTU: 68-65535 (the IPv4 minimum up to the netlink field's limit). */
export type Mtu = number & { readonly __brand: 'Mtu' };
/** A routing table: a number 1-4294967295 or one of the names `main`, `local`, `default`. */
export type TableId = (number | 'main' | 'local' | 'default') & { readonly __brand: 'TableId' };
/**
 * A link group number (1-2147483647: the kernel keeps 32 bits, but `ip` parses a group as a signed
 * int and refuses larger ones; 0 is the kernel's `default` group and owns nothing).
 */
export type LinkGroup = number & { readonly __brand: 'LinkGroup' };
/** An IP version: 4 or 6 (Neutron's `ip_version`). Layers map it to tool names themselves. */
export type IpFamily = 4 | 6;

const DEVICE = /^[A-Za-z0-9_.-]{1,15}$/;
const NAMESPACE = /^[A-Za-z0-9_.-]{1,128}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function fail(where: string, value: unknown, why: string): never {
  throw new InvalidInputError(`${where}: ${JSON.stringify(value)} ${why}`, where);
}

function str(value: unknown, where: string): string {
  if (typeof value !== 'string') fail(where, value, 'is not a string');
  return value;
}

/**
 * Validates a namespace name: 1-128 of `A-Z a-z 0-9 _ . -`, not `.` or `..`.
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function namespaceName(value: string, where = 'namespace'): NamespaceName {
  const v = str(value, where);
  if (!NAMESPACE.test(v) || v === '.' || v === '..') {
    fail(where, v, 'is not a valid namespace name (1-128 of A-Z a-z 0-9 _ . -)');
  }
  return v as NamespaceName;
}

/**
 * Validates a device name: 1-15 of `A-Z a-z 0-9 _ . -`. Longer names are refused, never truncated.
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function deviceName(value: string, where = 'device name'): DeviceName {
  const v = str(value, where);
  if (v.length > 15) fail(where, v, `is ${v.length} characters; the kernel allows at most 15`);
  if (!DEVICE.test(v) || v === '.' || v === '..') {
    fail(where, v, 'is not a valid device name (1-15 of A-Z a-z 0-9 _ . -)');
  }
  return v as DeviceName;
}

/** Prefixes of derived device names, after Neutron: router ports, gateway ports, DHCP/VM taps, namespace ends. */
export type DevicePrefix = 'qr-' | 'qg-' | 'tap' | 'ns-';

/**
 * The device name for a port: `prefix` plus the first 11 characters of `id` (14 in all). Only
 * derived names are cut; the id must itself be valid device-name text.
 *
 * @throws {InvalidInputError} when the id is empty or has characters a device name cannot carry
 */
export function derivedDeviceName(prefix: DevicePrefix, id: string, where = 'port id'): DeviceName {
  const v = str(id, where);
  if (!/^[A-Za-z0-9_.-]+$/.test(v)) fail(where, v, 'cannot form a device name (A-Z a-z 0-9 _ . - only)');
  return deviceName(prefix + v.slice(0, 11), where);
}

/**
 * Validates an IPv4 or IPv6 address (no prefix length).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function ipAddress(value: string, where = 'address'): IpAddress {
  const v = str(value, where);
  if (isIP(v) === 0 || v.includes('%')) fail(where, v, 'is not an IPv4 or IPv6 address');
  return v.toLowerCase() as IpAddress;
}

/**
 * Validates an address with a prefix length (`/0-32` for IPv4, `/0-128` for IPv6).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function cidr(value: string, where = 'CIDR'): Cidr {
  const v = str(value, where);
  const m = /^([^/]+)\/(\d{1,3})$/.exec(v);
  const family = m ? isIP(m[1]!) : 0;
  if (!m || family === 0 || m[1]!.includes('%')) fail(where, v, 'is not an address/prefix-length');
  const max = family === 4 ? 32 : 128;
  if (Number(m[2]) > max) fail(where, v, `has a prefix length above ${max}`);
  return `${m[1]!.toLowerCase()}/${Number(m[2])}` as Cidr;
}

/**
 * Validates an IP family: the number 4 or 6.
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function ipFamily(value: unknown, where = 'family'): IpFamily {
  if (value !== 4 && value !== 6) fail(where, value, 'is not an IP family (4 or 6)');
  return value;
}

/** 4 or 6: the family of an address or CIDR. */
export function familyOf(value: IpAddress | Cidr): IpFamily {
  return value.includes(':') ? 6 : 4;
}

/** Splits a CIDR into its address and prefix length. */
export function splitCidr(value: Cidr): { address: IpAddress; prefixLength: number } {
  const [a, p] = value.split('/') as [string, string];
  return { address: a as IpAddress, prefixLength: Number(p) };
}

/**
 * The IPv4 broadcast address of a CIDR (host bits all ones); a /31 or /32 has none of its own,
 * so the address itself is returned, as the kernel and Neutron do.
 */
export function ipv4Broadcast(value: Cidr): IpAddress {
  const { address, prefixLength } = splitCidr(value);
  if (prefixLength >= 31) return address;
  const n = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const host = 2 ** (32 - prefixLength) - 1;
  const b = n - (n % (host + 1)) + host;
  return [24, 16, 8, 0].map((s) => Math.floor(b / 2 ** s) % 256).join('.') as IpAddress;
}

/**
 * Validates a unicast MAC address (`aa:bb:cc:dd:ee:ff`, any case; returned in lower case).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function mac(value: string, where = 'MAC address'): Mac {
  const v = str(value, where).toLowerCase();
  if (!MAC.test(v)) fail(where, value, 'is not a MAC address (six hex pairs separated by colons)');
  if ((Number.parseInt(v.slice(0, 2), 16) & 1) === 1) fail(where, value, 'is a multicast MAC address');
  if (v === '00:00:00:00:00:00') fail(where, value, 'is the all-zero MAC address');
  return v as Mac;
}

/**
 * Validates an MTU: an integer 68-65535.
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function mtu(value: number, where = 'MTU'): Mtu {
  if (!Number.isInteger(value) || value < 68 || value > 65535) fail(where, value, 'is not an MTU (68-65535)');
  return value as Mtu;
}

/**
 * Validates a routing table: `main`, `local`, `default`, or an integer 1-4294967295 (253, 254
 * and 255 are returned as their names, so one table has one spelling).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function tableId(value: number | string, where = 'table'): TableId {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (n === 'main' || n === 254) return 'main' as TableId;
  if (n === 'local' || n === 255) return 'local' as TableId;
  if (n === 'default' || n === 253) return 'default' as TableId;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 0xffffffff) {
    fail(where, value, 'is not a routing table (main, local, default or 1-4294967295)');
  }
  return n as TableId;
}

/**
 * Validates a link group number (1-2147483647, what `ip link … group N` accepts).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function linkGroup(value: number, where = 'link group'): LinkGroup {
  if (!Number.isInteger(value) || value < 1 || value > 0x7fffffff) {
    fail(where, value, 'is not a link group (1-2147483647)');
  }
  return value as LinkGroup;
}

/** Route or address scope, as `ip` spells it. */
export type RouteScope = 'global' | 'link' | 'host';

/**
 * Validates a route or address scope: `global`, `link` or `host`.
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function routeScope(value: string, where = 'scope'): RouteScope {
  if (value !== 'global' && value !== 'link' && value !== 'host') {
    fail(where, value, 'is not global, link or host');
  }
  return value;
}

/**
 * Validates an integer in `[min, max]` (metrics, priorities, VNIs, ports).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function intIn(value: number, min: number, max: number, where: string): number {
  if (!Number.isInteger(value) || value < min || value > max)
    fail(where, value, `is not an integer ${min}-${max}`);
  return value;
}

/**
 * Validates a free-text token for the `ip` command line (owner marks): 1-200 of
 * `A-Z a-z 0-9 _ . : -`, so it can never split into two arguments or start a comment.
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function token(value: string, where: string): string {
  const v = str(value, where);
  if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(v))
    fail(where, v, 'is not a valid token (1-200 of A-Z a-z 0-9 _ . : -)');
  return v;
}
