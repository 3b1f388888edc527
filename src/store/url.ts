// The store's address as users give it, `etcd://host:port[,host:port…]`, checked before anything
// connects (the role of etcdctl's --endpoints parsing; Neutron reads its DB URL the same way).
import { isIP } from 'node:net';
import { InvalidInputError } from '../errors.js';
import { lineText } from '../net/text.js';

/** A parsed store URL: the etcd members to talk to. */
export interface StoreUrl {
  /** The URL as given (trimmed of nothing: it was valid as given). */
  readonly text: string;
  /** The gRPC endpoints, `http://host:port` (an IPv6 host in brackets), in the order given. */
  readonly endpoints: readonly string[];
}

/** etcd's client port, used when a member gives none. */
export const DEFAULT_ETCD_PORT = 2379;

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function fail(where: string, value: string, why: string): never {
  throw new InvalidInputError(`${where}: ${JSON.stringify(value)} ${why}`, where);
}

function member(text: string, where: string, url: string): string {
  let host: string;
  let port: string | undefined;
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    port = v6[2];
    if (isIP(host) !== 6 || host.includes('%'))
      fail(where, url, `has "${text}": not an IPv6 address in brackets`);
  } else {
    const parts = text.split(':');
    if (parts.length > 2) fail(where, url, `has "${text}": an IPv6 address goes in brackets, [fd00::1]:2379`);
    host = parts[0]!;
    port = parts[1];
    if (isIP(host) !== 4 && !HOSTNAME.test(host)) {
      fail(where, url, `has "${text}": "${host}" is not a host name or IPv4 address`);
    }
  }
  let n = DEFAULT_ETCD_PORT;
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      fail(where, url, `has "${text}": the port must be 1-65535`);
    }
    n = Number(port);
  }
  return `http://${v6 ? `[${host}]` : host}:${n}`;
}

/**
 * Parses a store URL: `etcd://host:port[,host:port…]` (the port defaults to 2379; an IPv6 host goes
 * in brackets; a trailing `/` is allowed). No user, path, query or fragment; at most 16 members, each
 * once. TLS is not supported yet (`etcds://` is refused, so nothing is sent in the clear by mistake).
 *
 * @throws {InvalidInputError} naming `where` and what is wrong
 */
export function parseStoreUrl(value: unknown, where = 'store URL'): StoreUrl {
  const text = lineText(value, where);
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)\/?$/i.exec(text);
  if (!m) fail(where, text, 'is not a store URL (etcd://host:port[,host:port…])');
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'etcd') {
    fail(where, text, `has scheme "${m[1]}": only etcd:// is supported (plain gRPC; TLS is not yet)`);
  }
  const list = m[2]!;
  if (list.includes('@')) fail(where, text, 'carries a user name or password: not supported in the URL');
  if (list === '') fail(where, text, 'names no etcd member');
  const members = list.split(',');
  if (members.length > 16) fail(where, text, `names ${members.length} members; at most 16`);
  const endpoints = members.map((x) => {
    if (x === '') fail(where, text, 'has an empty member between commas');
    return member(x, where, text);
  });
  if (new Set(endpoints).size !== endpoints.length) fail(where, text, 'names a member twice');
  return { text, endpoints };
}
