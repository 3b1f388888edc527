// The pieces of a one-shot DHCP client for a namespace standing in for a VM: busybox udhcpc's event
// script (which has no default), its argv, a plan step running it, and a run that returns the lease.
// Neutron has no client (VMs bring their own); this is what an instance with `address: dhcp` runs.

import { InvalidInputError } from '../errors.js';
import { ProcessError } from '../exec/process-error.js';
import { type ProcessRunner, processRunner } from '../exec/runner.js';
import { parseAddress } from '../net/cidr.js';
import { optionalNamespace } from '../net/namespace.js';
import { argWord, lineText } from '../net/text.js';
import { deviceName, type IpAddress, type NamespaceName } from '../net/types.js';
import type { CommandStep } from '../reconcile/step.js';
import { DhcpNoLeaseError } from './errors.js';

/** Options of {@link udhcpcScript}. */
export interface UdhcpcScriptOptions {
  /**
   * Also write the name servers and search domain handed out, resolv.conf style, to this file
   * (absolute; replaced atomically). Default: none.
   */
  readonly resolvFile?: string;
}

function absolutePath(value: unknown, where: string): string {
  const v = lineText(value, where);
  if (!v.startsWith('/') || v.includes("'") || v.endsWith('/')) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not an absolute file path (no "'")`,
      where,
    );
  }
  return v;
}

/** The line prefix the script prints the lease with. */
export const LEASE_PREFIX = 'tenantnet-lease ';

/**
 * The event script busybox udhcpc runs (`-s`): on `deconfig` it clears the device's IPv4 addresses
 * and brings it up; on `bound`/`renew` it sets the address with its prefix length, the MTU handed
 * out, the default route via the first router, optionally a resolv file, and prints the lease as
 * `tenantnet-lease KEY=VALUE` lines (ip, mask, router, dns, domain, mtu, hostname, lease, serverid)
 * for {@link parseLease}. Write it with mode 0755. Pure.
 *
 * Equivalent to: `ip addr add IP/MASK dev IF; ip link set dev IF mtu MTU; ip route replace default via ROUTER dev IF`
 *
 * @throws {InvalidInputError} for a resolv file that is not an absolute path
 */
export function udhcpcScript(opts: UdhcpcScriptOptions = {}): string {
  const resolv =
    opts.resolvFile === undefined ? null : absolutePath(opts.resolvFile, 'udhcpcScript.resolvFile');
  const lines = [
    '#!/bin/sh',
    '# tenantnet: event script for busybox udhcpc (generated). Configures "$interface" from the lease',
    '# and prints the lease as "tenantnet-lease KEY=VALUE" lines.',
    'case "$1" in',
    'deconfig)',
    '  ip -4 addr flush dev "$interface" scope global',
    '  ip link set dev "$interface" up',
    '  ;;',
    'bound|renew)',
    '  [ "$1" = bound ] && ip -4 addr flush dev "$interface" scope global',
    '  ip addr replace "$ip/$mask" dev "$interface" || exit 1',
    '  [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"',
    '  for r in $router; do ip route replace default via "$r" dev "$interface"; break; done',
    ...(resolv === null
      ? []
      : [
          `  { [ -n "$domain" ] && echo "search $domain"; for d in $dns; do echo "nameserver $d"; done; } > '${resolv}.tmp' && mv '${resolv}.tmp' '${resolv}'`,
        ]),
    '  for k in ip mask router dns domain mtu hostname lease serverid; do',
    '    eval "v=\\$$k"',
    `    echo "${LEASE_PREFIX}$k=$v"`,
    '  done',
    '  ;;',
    'esac',
    'exit 0',
    '',
  ];
  return lines.join('\n');
}

/** Options of {@link dhcpClientArgv}. */
export interface DhcpClientOptions {
  /** The event script (absolute path; see {@link udhcpcScript}). */
  readonly script: string;
  /** Discover packets sent before giving up (default 3). */
  readonly tries?: number;
  /** Seconds between them (default 1). */
  readonly timeoutSeconds?: number;
}

/**
 * The argv of a one-shot busybox udhcpc on `device`: foreground, quit once bound, exit with an error
 * when no lease comes (`-n`), asking for the MTU too. Pure.
 *
 * Equivalent to: `busybox udhcpc -i DEV -n -q -f -t 3 -T 1 -s SCRIPT -O mtu`
 *
 * @throws {InvalidInputError} for a bad device, script path, or count
 */
export function dhcpClientArgv(device: string, opts: DhcpClientOptions): string[] {
  // A device name may start with '-', which udhcpc's getopt could take for an option.
  const dev = deviceName(argWord(device, 'device'), 'device');
  const script = absolutePath(opts.script, 'script');
  const count = (v: number | undefined, d: number, where: string) => {
    const n = v ?? d;
    if (!Number.isInteger(n) || n < 1 || n > 60)
      throw new InvalidInputError(`${where}: ${n} is not 1-60`, where);
    return String(n);
  };
  return [
    'busybox',
    'udhcpc',
    '-i',
    dev,
    '-n',
    '-q',
    '-f',
    '-t',
    count(opts.tries, 3, 'tries'),
    '-T',
    count(opts.timeoutSeconds, 1, 'timeoutSeconds'),
    '-s',
    script,
    '-O',
    'mtu',
  ];
}

/**
 * The client as a plan step: a one-shot command in the instance's namespace, phase `l3` (after its
 * device is plugged and up). Pure.
 *
 * @throws {InvalidInputError} as {@link dhcpClientArgv}, or for a bad namespace
 */
export function dhcpClientStep(namespace: string, device: string, opts: DhcpClientOptions): CommandStep {
  const ns = optionalNamespace(namespace, 'namespace');
  if (ns === null) throw new InvalidInputError('namespace: a DHCP client runs in a namespace', 'namespace');
  return { via: 'command', phase: 'l3', place: ns, argv: dhcpClientArgv(device, opts) };
}

/** A lease as the client's script printed it. */
export interface DhcpLease {
  readonly address: IpAddress;
  readonly prefixLength: number;
  readonly routers: readonly IpAddress[];
  readonly dns: readonly IpAddress[];
  readonly domain: string | null;
  readonly mtu: number | null;
  readonly hostname: string | null;
  /** Seconds. */
  readonly leaseTime: number | null;
  readonly server: IpAddress | null;
}

/**
 * The lease in the client's output (the last `tenantnet-lease` block), or null when there is none.
 * Pure.
 */
export function parseLease(stdout: string): DhcpLease | null {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(LEASE_PREFIX)) continue;
    const rest = line.slice(LEASE_PREFIX.length);
    const eq = rest.indexOf('=');
    if (eq > 0) kv.set(rest.slice(0, eq), rest.slice(eq + 1).trim());
  }
  const ip = kv.get('ip');
  if (!ip) return null;
  const words = (k: string) => (kv.get(k) ?? '').split(/\s+/).filter((w) => w !== '');
  const num = (k: string) => {
    const n = Number(kv.get(k));
    return kv.get(k) && Number.isInteger(n) ? n : null;
  };
  const text = (k: string) => kv.get(k) || null;
  return {
    address: parseAddress(ip, 'lease ip'),
    prefixLength: num('mask') ?? 32,
    routers: words('router').map((r) => parseAddress(r, 'lease router')),
    dns: words('dns').map((d) => parseAddress(d, 'lease dns')),
    domain: text('domain'),
    mtu: num('mtu'),
    hostname: text('hostname'),
    leaseTime: num('lease'),
    server: text('serverid') ? parseAddress(kv.get('serverid'), 'lease serverid') : null,
  };
}

/** Options of {@link runDhcpClient}. */
export interface RunDhcpClientOptions extends DhcpClientOptions {
  /** The process table (default the real one). */
  readonly runner?: ProcessRunner;
}

/**
 * Runs the one-shot client in a namespace and returns the lease it got (the device is configured by
 * the script by then).
 *
 * Equivalent to: `ip netns exec NS busybox udhcpc -i DEV -n -q -f -t 3 -T 1 -s SCRIPT -O mtu`
 *
 * @throws {InvalidInputError} for bad arguments, before anything runs
 * @throws {DhcpNoLeaseError} when no lease came
 * @throws {NamespaceNotFoundError} when the namespace does not exist
 */
export async function runDhcpClient(
  namespace: string | null,
  device: string,
  opts: RunDhcpClientOptions,
): Promise<DhcpLease> {
  const ns: NamespaceName | null = optionalNamespace(namespace, 'namespace');
  const argv = dhcpClientArgv(device, opts);
  const runner = opts.runner ?? processRunner;
  let stdout: string;
  try {
    stdout = (await runner.run(argv, { namespace: ns, timeoutMs: 120_000 })).stdout;
  } catch (e) {
    if (e instanceof ProcessError && e.exitCode === 1) {
      throw new DhcpNoLeaseError(device, ns, e.stderr.trim().split('\n').pop() ?? '');
    }
    throw e;
  }
  const lease = parseLease(stdout);
  if (!lease) throw new DhcpNoLeaseError(device, ns, 'the client printed no lease');
  return lease;
}
