// CIDR canonical forms for iptables rules and ipset members (to move to net/cidr.ts; Neutron: netaddr).
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidInputError } from '../errors.js';
import type { IpFamily } from '../net/types.js';

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToV4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function v6ToBig(ip: string): bigint {
  const full = expandV6(ip);
  return full.split(':').reduce((acc, h) => (acc << 16n) | BigInt(`0x${h}`), 0n);
}

function expandV6(ip: string): string {
  let s = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)?.[1];
  if (v4) {
    const n = v4ToInt(v4);
    s = `${s.slice(0, -v4.length)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...zeros, ...t].map((x) => x.padStart(4, '0')).join(':');
}

function bigToV6(n: bigint): string {
  const parts: string[] = [];
  for (let i = 7; i >= 0; i--) parts.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  // RFC 5952: the first longest run of two or more zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/**
 * The canonical form iptables-save prints for an address or CIDR given to `-s`/`-d`: host bits
 * cleared, an explicit prefix length (`/32`, `/128` for a bare address), IPv6 compressed and
 * lower-case. Returns null for a match-all prefix (`/0`), which iptables drops. Pure.
 *
 * @throws {InvalidInputError} when the value is not an address of the family
 */
export function canonicalCidr(value: string, family: IpFamily, where = 'address'): string | null {
  const [ip = '', len, extra] = value.split('/');
  const max = family === 4 ? 32 : 128;
  const ok = family === 4 ? isIPv4(ip) : isIPv6(ip);
  const bits = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : Number.NaN;
  if (!ok || extra !== undefined || !(bits >= 0 && bits <= max)) {
    throw new InvalidInputError(`${where}: "${value}" is not an ${family} address or CIDR`, where);
  }
  if (bits === 0) return null;
  if (family === 4) {
    const mask = bits === 32 ? 0xffffffff : (0xffffffff - (2 ** (32 - bits) - 1)) >>> 0;
    return `${intToV4((v4ToInt(ip) & mask) >>> 0)}/${bits}`;
  }
  const mask = ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - bits)) - 1n);
  return `${bigToV6(v6ToBig(ip) & mask)}/${bits}`;
}

/** True when `value` is an address or CIDR of `family` (a bare address counts). Pure. */
export function isCidr(value: string, family: IpFamily): boolean {
  try {
    canonicalCidr(value, family);
    return true;
  } catch {
    return false;
  }
}
