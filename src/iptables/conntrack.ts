// Deleting and listing connection tracking entries by address and zone, through one executor
// (Neutron's ip_conntrack.IpConntrackManager and ip_lib's flush of an address's entries).
import { InvalidInputError } from '../errors.js';
import { run } from '../exec/run.js';
import { optionalNamespace, vanishedError } from '../net/namespace.js';
import { familyOf, type IpFamily, ipAddress } from '../net/types.js';
import { FAMILIES } from './names.js';

/** Which entries a conntrack command concerns: operations as data. */
export interface ConntrackFilter {
  /** The family (`conntrack -f ipv4|ipv6`). */
  readonly family: IpFamily;
  /** Only entries of this zone (`-w`). */
  readonly zone?: number;
  /** Only entries whose original source is this address (`-s`). */
  readonly src?: string;
  /** Only entries whose original destination is this address (`-d`). */
  readonly dst?: string;
  /**
   * Only entries of this layer-4 protocol (`-p`): a name conntrack knows (`tcp`, `udp`, `udplite`,
   * `icmp`, `icmpv6`, `sctp`, `dccp`, `gre`).
   */
  readonly protocol?: string;
  /** Only entries whose original destination port is this one (`--dport`; needs `protocol`). */
  readonly dport?: number;
  /** Only entries whose reply goes to this address (`-q`, `--reply-dst`): a flow NATed to it. */
  readonly replyDst?: string;
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

/** What the conntrack helpers need from the system. */
export interface ConntrackExecutor {
  /**
   * Deletes the entries the filter selects (`conntrack -D`); none matching is fine.
   *
   * @returns how many were deleted
   * @throws {NamespaceNotFoundError} when the namespace does not exist
   */
  delete(namespace: string | null, filter: ConntrackFilter): Promise<number>;
  /**
   * Lists the entries the filter selects (`conntrack -L`).
   *
   * @throws {NamespaceNotFoundError} when the namespace does not exist
   */
  list(namespace: string | null, filter: ConntrackFilter): Promise<ConntrackEntry[]>;
}

/** The `conntrack` arguments that select what a filter describes. Pure. */
export function conntrackArgs(filter: ConntrackFilter): string[] {
  return [
    '-f',
    filter.family === 4 ? 'ipv4' : 'ipv6',
    ...(filter.src !== undefined ? ['-s', filter.src] : []),
    ...(filter.dst !== undefined ? ['-d', filter.dst] : []),
    ...(filter.replyDst !== undefined ? ['-q', filter.replyDst] : []),
    ...(filter.protocol !== undefined ? ['-p', filter.protocol] : []),
    ...(filter.dport !== undefined ? ['--dport', String(filter.dport)] : []),
    ...(filter.zone !== undefined ? ['-w', String(filter.zone)] : []),
  ];
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

/** Options for {@link KernelConntrackExecutor}. */
export interface KernelConntrackOptions {
  /** Per-command timeout; default 30 s. */
  readonly timeoutMs?: number;
}

/** The real executor: the `conntrack` tool through `run`; exit 1 (nothing matched) is success. */
export class KernelConntrackExecutor implements ConntrackExecutor {
  private readonly timeoutMs: number;

  constructor(opts: KernelConntrackOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private async conntrack(namespace: string | null, args: readonly string[]) {
    try {
      return await run(['conntrack', ...args], { namespace, extraOkCodes: [1], timeoutMs: this.timeoutMs });
    } catch (e) {
      throw vanishedError(e, namespace) ?? e;
    }
  }

  /** {@inheritDoc ConntrackExecutor.delete} */
  async delete(namespace: string | null, filter: ConntrackFilter): Promise<number> {
    const r = await this.conntrack(namespace, ['-D', ...conntrackArgs(filter)]);
    return Number(/(\d+) flow entries have been deleted/.exec(r.stderr)?.[1] ?? 0);
  }

  /** {@inheritDoc ConntrackExecutor.list} */
  async list(namespace: string | null, filter: ConntrackFilter): Promise<ConntrackEntry[]> {
    return parseConntrack((await this.conntrack(namespace, ['-L', ...conntrackArgs(filter)])).stdout);
  }
}

/** The default executor: the real `conntrack`. */
export const kernelConntrackExecutor: ConntrackExecutor = new KernelConntrackExecutor();

/** Options shared by the conntrack helpers. */
export interface ConntrackOptions {
  /** Network namespace; null or absent: the root namespace. Never `''` or a path. */
  readonly namespace?: string | null;
  /** Restrict to this conntrack zone (0-65535; 0 is the default zone). */
  readonly zone?: number;
  /** How to reach conntrack (default the real tool; unit tests pass a fake). */
  readonly executor?: ConntrackExecutor;
}

function checkZone(zone: unknown): number {
  if (typeof zone !== 'number' || !Number.isInteger(zone) || zone < 0 || zone > 65535) {
    throw new InvalidInputError(`conntrack zone: ${JSON.stringify(zone)} is not an integer 0-65535`, 'zone');
  }
  return zone;
}

// Validates the options shared by every helper (a missing namespace is the executor's to report).
function context(opts: ConntrackOptions): { ns: string | null; executor: ConntrackExecutor; zone?: number } {
  if (typeof opts !== 'object' || opts === null) {
    throw new InvalidInputError('conntrack options: not an object', 'options');
  }
  const zone = opts.zone === undefined ? undefined : checkZone(opts.zone);
  return {
    ns: optionalNamespace(opts.namespace, 'namespace'),
    executor: opts.executor ?? kernelConntrackExecutor,
    ...(zone !== undefined ? { zone } : {}),
  };
}

/**
 * Deletes the entries of connections to `ip` (`-d`) and of connections whose reply goes to it
 * (`-q`, reply destination: flows source-NATed to it), as Neutron does when an address goes away. Nothing matching
 * is fine.
 *
 * Equivalent to: `conntrack -D -f FAMILY -d IP [-w ZONE]` then `conntrack -D -f FAMILY -q IP [-w ZONE]`.
 *
 * @returns the number of entries deleted
 * @throws {InvalidInputError} on a bad address, zone or namespace (before anything runs)
 * @throws {NamespaceNotFoundError} when the namespace is gone
 */
export async function deleteConntrackByAddress(ip: string, opts: ConntrackOptions = {}): Promise<number> {
  const addr = ipAddress(ip, 'address');
  const { ns, executor, zone } = context(opts);
  const family = familyOf(addr);
  const z = zone !== undefined ? { zone } : {};
  return (
    (await executor.delete(ns, { family, dst: addr, ...z })) +
    (await executor.delete(ns, { family, replyDst: addr, ...z }))
  );
}

/**
 * Deletes every entry of a conntrack zone (both families).
 *
 * Equivalent to: `conntrack -D -f ipv4 -w ZONE` and `conntrack -D -f ipv6 -w ZONE`.
 *
 * @returns the number of entries deleted
 * @throws {InvalidInputError} on a bad zone or namespace (before anything runs)
 * @throws {NamespaceNotFoundError} when the namespace is gone
 */
export async function deleteConntrackZone(
  zone: number,
  opts: Omit<ConntrackOptions, 'zone'> = {},
): Promise<number> {
  checkZone(zone);
  const { ns, executor } = context(opts);
  let n = 0;
  for (const family of FAMILIES) n += await executor.delete(ns, { family, zone });
  return n;
}

/**
 * Lists the entries of a conntrack zone (both families).
 *
 * Equivalent to: `conntrack -L -f ipv4 -w ZONE` and `conntrack -L -f ipv6 -w ZONE`.
 *
 * @throws {InvalidInputError} on a bad zone or namespace
 * @throws {NamespaceNotFoundError} when the namespace is gone
 */
export async function listConntrackZone(
  zone: number,
  opts: Omit<ConntrackOptions, 'zone'> = {},
): Promise<ConntrackEntry[]> {
  checkZone(zone);
  const { ns, executor } = context(opts);
  const out: ConntrackEntry[] = [];
  for (const family of FAMILIES) out.push(...(await executor.list(ns, { family, zone })));
  return out;
}
