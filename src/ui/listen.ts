// Where the live page listens: `--listen HOST:PORT`, an IP literal (no name a resolver could turn into
// something else), loopback by default; a non-loopback address only when named, with a warning. The
// authority the browser must then send (`Host`, `Origin`) is exactly this address: no DNS rebinding.
import { BlockList, isIP } from 'node:net';
import { InvalidInputError } from '../errors.js';

/** The default `--listen`: loopback only. */
export const DEFAULT_LISTEN = '127.0.0.1:8470';

/** A checked listen address. */
export interface ListenAddress {
  /** The IP literal to bind (IPv6 without brackets). */
  readonly host: string;
  /** The port; 0 lets the kernel choose one. */
  readonly port: number;
  /** True for 127.0.0.0/8 and ::1. */
  readonly loopback: boolean;
}

function fail(value: string, why: string): never {
  throw new InvalidInputError(`--listen: ${JSON.stringify(value)} ${why}`, '--listen');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for an IPv4 address in 127.0.0.0/8 or the IPv6 loopback, in any spelling (`::ffff:127.0.0.1` too). */
export function isLoopback(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1]! : ip;
  if (isIP(v4) === 4) return LOOPBACK.check(v4, 'ipv4');
  return isIP(ip) === 6 && LOOPBACK.check(ip, 'ipv6');
}

/**
 * `--listen`: `HOST:PORT` or `[IPV6]:PORT`, HOST an IP literal or `localhost` (127.0.0.1), PORT 0-65535
 * (0: any free port). An unspecified address (`0.0.0.0`, `::`) is refused: the page answers only
 * requests addressed to the one address it listens on, which a wildcard is not.
 *
 * @throws {InvalidInputError} naming `--listen`
 */
export function parseListen(value: string = DEFAULT_LISTEN): ListenAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (!m) fail(value, 'is not HOST:PORT or [IPV6]:PORT');
  const port = Number(m[3]);
  if (port > 65535) fail(value, 'has a port above 65535');
  const named = m[1] ?? m[2]!;
  const host = named.toLowerCase() === 'localhost' ? '127.0.0.1' : named;
  const family = isIP(host);
  if (family === 0) fail(value, 'does not name an IP address (a name could resolve anywhere)');
  if (m[1] !== undefined && family !== 6) fail(value, 'has brackets around an address that is not IPv6');
  if (m[2] !== undefined && family === 6) fail(value, 'needs brackets around an IPv6 address: [::1]:PORT');
  if (/^0+(\.0+){3}$/.test(host) || (family === 6 && /^[0:]+$/.test(host))) {
    fail(value, 'is an unspecified address: name the one address to listen on');
  }
  return { host, port, loopback: isLoopback(host) };
}

/** The authority a browser sends for this address and port (`127.0.0.1:8470`, `[::1]:8470`). */
export function authorityOf(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
