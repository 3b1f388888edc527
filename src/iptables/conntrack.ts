import { isIP, isIPv6 } from 'node:net';
import { InvalidInputError } from '../errors.js';
import { run } from '../exec/run.js';
import { vanishedError } from '../net/namespace.js';

/** Options shared by the conntrack helpers. */
export interface ConntrackOptions {
  /** Network namespace; null or absent: the root namespace. */
  readonly namespace?: string | null;
  /** Restrict to this conntrack zone (0-65535; 0 is the default zone). */
  readonly zone?: number;
}

/** One connection tracking entry, as much as tenantnet needs of it. */
export interface ConntrackEntry {
  /** Protocol name (`tcp`, `udp`, `icmp`, …). */
  readonly protocol: string;
  /** Original direction source address. */
  readonly src: string;
  /** Original direction destination address. */
  readonly dst: string;
  /** Original direction ports (absent for ICMP). */
  readonly sport?: number;
  /** Original direction destination port. */
  readonly dport?: number;
  /** The zone, when not the default zone 0. */
  readonly zone?: number;
  /** The line as conntrack printed it. */
  readonly raw: string;
}

function checkZone(zone: number): number {
  if (!Number.isInteger(zone) || zone < 0 || zone > 65535) {
    throw new InvalidInputError(`conntrack zone: ${zone} is not an integer 0-65535`, 'zone');
  }
  return zone;
}

function checkAddress(ip: string): string {
  if (isIP(ip) === 0) {
    throw new InvalidInputError(`conntrack address: "${ip}" is not an IP address`, 'address');
  }
  return ip;
}

function deletedCount(stderr: string): number {
  return Number(/(\d+) flow entries have been deleted/.exec(stderr)?.[1] ?? 0);
}

// One conntrack command; exit 1 (no entry matched) is success; a vanished namespace is
// NamespaceNotFoundError, as for iptables and ipset.
async function conntrack(args: readonly string[], namespace: string | null) {
  try {
    return await run(['conntrack', ...args], { namespace, extraOkCodes: [1], timeoutMs: 30_000 });
  } catch (e) {
    throw vanishedError(e, namespace) ?? e;
  }
}

async function del(args: readonly string[], opts: ConntrackOptions): Promise<number> {
  const zone = opts.zone !== undefined ? ['-w', String(checkZone(opts.zone))] : [];
  const r = await conntrack(['-D', ...args, ...zone], opts.namespace ?? null);
  return deletedCount(r.stderr);
}

/**
 * Deletes the entries of connections to `ip` (`-d`) and of connections whose reply comes from it
 * (`-q`, which covers NATed flows), as Neutron does when an address goes away. Nothing matching
 * is fine.
 *
 * @returns the number of entries deleted
 * @throws {InvalidInputError} on a bad address or zone (before anything runs)
 * @throws {NamespaceNotFoundError} when the namespace is gone
 */
export async function deleteConntrackByAddress(ip: string, opts: ConntrackOptions = {}): Promise<number> {
  checkAddress(ip);
  const fam = isIPv6(ip) ? ['-f', 'ipv6'] : [];
  return (await del([...fam, '-d', ip], opts)) + (await del([...fam, '-q', ip], opts));
}

/**
 * Deletes every entry of a conntrack zone (both families).
 *
 * @returns the number of entries deleted
 */
export async function deleteConntrackZone(
  zone: number,
  opts: Omit<ConntrackOptions, 'zone'> = {},
): Promise<number> {
  checkZone(zone);
  const v4 = await del([], { ...opts, zone });
  return v4 + (await del(['-f', 'ipv6'], { ...opts, zone }));
}

/**
 * Parses `conntrack -L` lines (original direction only). Pure.
 */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('conntrack v')) continue;
    const words = t.split(/\s+/);
    const protocol = words[0] === 'ipv4' || words[0] === 'ipv6' ? words[2] : words[0];
    const field = (k: string) => words.find((w) => w.startsWith(`${k}=`))?.slice(k.length + 1);
    const src = field('src');
    const dst = field('dst');
    if (!protocol || !src || !dst) continue;
    const sport = field('sport');
    const dport = field('dport');
    const zone = field('zone');
    out.push({
      protocol,
      src,
      dst,
      ...(sport ? { sport: Number(sport) } : {}),
      ...(dport ? { dport: Number(dport) } : {}),
      ...(zone ? { zone: Number(zone) } : {}),
      raw: t,
    });
  }
  return out;
}

/**
 * Lists the entries of a conntrack zone (both families).
 *
 * @throws {InvalidInputError} on a bad zone
 * @throws {NamespaceNotFoundError} when the namespace is gone
 */
export async function listConntrackZone(
  zone: number,
  opts: Omit<ConntrackOptions, 'zone'> = {},
): Promise<ConntrackEntry[]> {
  checkZone(zone);
  const out: ConntrackEntry[] = [];
  for (const fam of ['ipv4', 'ipv6']) {
    const r = await conntrack(['-L', '-f', fam, '-w', String(zone)], opts.namespace ?? null);
    out.push(...parseConntrack(r.stdout));
  }
  return out;
}
