// Addresses on a device: add, delete, flush, list, and the init_l3 planner (Neutron: ip_lib.IpAddrCommand, interface.init_l3).
import { InvalidInputError } from '../errors.js';
import { optionalNamespace } from '../net/namespace.js';
import {
  type Cidr,
  cidr,
  type DeviceName,
  deviceName,
  type IpFamily,
  type RouteScope,
  routeScope,
  splitCidr,
} from '../net/types.js';
import { defined } from './defined.js';
import { ObjectNotFoundError } from './errors.js';
import { executorOf, type Via } from './executor.js';
import type { IpOp } from './ops.js';

/** One address as read back from the kernel. */
export interface AddressInfo {
  readonly dev: DeviceName;
  readonly cidr: Cidr;
  readonly family: IpFamily;
  /** `global`, `link`, `host`, … */
  readonly scope: string;
  /** Learned (SLAAC, DHCP) rather than configured: it has a finite valid lifetime. */
  readonly dynamic: boolean;
  /** IPv6 duplicate address detection still running. */
  readonly tentative: boolean;
  /** IPv6 duplicate address detection found a duplicate. */
  readonly dadfailed: boolean;
  /** IPv4 broadcast address, when the kernel has one. */
  readonly broadcast: string | null;
}

/** The common arguments: a device in a namespace (null/absent: root), and the executor. */
export interface OnDevice extends Via {
  readonly namespace?: string | null;
  readonly dev: string;
}

/** A validated address on a device. */
export interface AddressSpec {
  readonly dev: DeviceName;
  readonly cidr: Cidr;
  readonly scope?: RouteScope;
}

/** Validates an address argument (not its namespace). @throws {InvalidInputError} */
export function addressSpec(a: {
  readonly dev: string;
  readonly cidr: string;
  readonly scope?: string;
}): AddressSpec {
  return defined({
    cidr: cidr(a.cidr, 'cidr'),
    dev: deviceName(a.dev, 'dev'),
    scope: a.scope === undefined ? undefined : routeScope(a.scope),
  });
}

/** The op that adds an address (IPv4 broadcast computed when the line is rendered). Pure. */
export function addAddressOps(s: AddressSpec): IpOp[] {
  return [{ op: 'addr.add', ...s }];
}

/** The op that deletes an address. Pure. */
export function deleteAddressOps(s: AddressSpec): IpOp[] {
  return [{ op: 'addr.del', cidr: s.cidr, dev: s.dev }];
}

/**
 * Adds an address. An IPv4 address gets its broadcast computed from the prefix (a /32 is its own).
 *
 * Equivalent to: `ip [-n NS] addr add CIDR [brd B] [scope S] dev DEV`
 *
 * @throws {AddressAlreadyExistsError} when it is already there; {@link DeviceNotFoundError}
 */
export async function addAddress(a: OnDevice & { readonly cidr: string; readonly scope?: string }) {
  const s = addressSpec(a);
  const ns = optionalNamespace(a.namespace);
  await executorOf(a).apply(ns, addAddressOps(s));
}

/**
 * Deletes an address; an absent address is success.
 *
 * Equivalent to: `ip [-n NS] addr del CIDR dev DEV`
 *
 * @returns true if it was there
 * @throws {DeviceNotFoundError} when the device is missing
 */
export async function deleteAddress(a: OnDevice & { readonly cidr: string }): Promise<boolean> {
  const s = addressSpec(a);
  const ns = optionalNamespace(a.namespace);
  try {
    await executorOf(a).apply(ns, deleteAddressOps(s));
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  }
}

/** The op that removes every address of one family (or both) from a device. Pure. */
export function flushAddressesOps(dev: DeviceName, family?: IpFamily): IpOp[] {
  return [{ op: 'addr.flush', ...defined({ dev, family }) }];
}

/**
 * Removes every address of one family (or both) from a device.
 *
 * Equivalent to: `ip [-n NS] addr flush dev DEV [to 0.0.0.0/0 | to ::/0]`
 */
export async function flushAddresses(a: OnDevice & { readonly family?: IpFamily }): Promise<void> {
  if (a.family !== undefined && a.family !== 4 && a.family !== 6) {
    throw new InvalidInputError(`family: ${JSON.stringify(a.family)} is not 4 or 6`, 'family');
  }
  const dev = deviceName(a.dev, 'dev');
  const ns = optionalNamespace(a.namespace);
  await executorOf(a).apply(ns, flushAddressesOps(dev, a.family));
}

/** Filters for {@link listAddresses}. */
export interface AddressFilter extends Via {
  readonly namespace?: string | null;
  readonly dev?: string;
  readonly family?: IpFamily;
  readonly scope?: string;
  /** true: only configured (permanent) ones; false: only dynamic ones. */
  readonly permanent?: boolean;
  readonly tentative?: boolean;
  readonly dadfailed?: boolean;
}

/**
 * Lists addresses, filtered.
 *
 * Equivalent to: `ip [-n NS] -j addr show [dev DEV]`
 *
 * @throws {DeviceNotFoundError} when `dev` is given and missing
 */
export async function listAddresses(f: AddressFilter = {}): Promise<AddressInfo[]> {
  const dev = f.dev === undefined ? undefined : deviceName(f.dev, 'dev');
  const ns = optionalNamespace(f.namespace);
  const [r] = await executorOf(f).apply(ns, [{ op: 'link.show', ...defined({ name: dev }) }]);
  return parseAddresses(r?.output).filter(
    (x) =>
      (f.family === undefined || x.family === f.family) &&
      (f.scope === undefined || x.scope === f.scope) &&
      (f.permanent === undefined || x.dynamic !== f.permanent) &&
      (f.tentative === undefined || x.tentative === f.tentative) &&
      (f.dadfailed === undefined || x.dadfailed === f.dadfailed),
  );
}

/** Turns `ip -j addr show` output into {@link AddressInfo}s. Pure. */
export function parseAddresses(output: unknown): AddressInfo[] {
  if (!Array.isArray(output)) return [];
  const out: AddressInfo[] = [];
  for (const link of output as Record<string, unknown>[]) {
    const infos = (link.addr_info as Record<string, unknown>[] | undefined) ?? [];
    for (const i of infos) {
      if (i.family !== 'inet' && i.family !== 'inet6') continue;
      out.push({
        dev: link.ifname as DeviceName,
        cidr: `${i.local}/${i.prefixlen}` as Cidr,
        family: i.family === 'inet' ? 4 : 6,
        scope: String(i.scope ?? 'global'),
        dynamic:
          i.dynamic === true || (typeof i.valid_life_time === 'number' && i.valid_life_time !== 4294967295),
        tentative: i.tentative === true,
        dadfailed: i.dadfailed === true,
        broadcast: typeof i.broadcast === 'string' ? i.broadcast : null,
      });
    }
  }
  return out;
}

/**
 * A comparison key for a CIDR: IPv6 spellings of one address (`fd00:0::1`, `FD00::1`) are one key.
 * The WHATWG URL parser writes IPv6 hosts in their one compressed lower-case form.
 */
function cidrKey(c: Cidr): string {
  const { address, prefixLength } = splitCidr(c);
  return address.includes(':') ? `${new URL(`http://[${address}]/`).hostname}/${prefixLength}` : c;
}

/**
 * The ops that make `dev` carry exactly `want` among its configured global addresses, as Neutron's
 * init_l3 does: missing ones are added, unwanted ones deleted; link-local, host-scoped and dynamic
 * (SLAAC, DHCP) addresses are left alone. `have` is what {@link listAddresses} or observeNamespace
 * read (other devices' addresses are ignored). Pure; returns [] when the device has converged.
 *
 * @throws {InvalidInputError} for a malformed wanted CIDR or device name
 */
export function planAddresses(dev: string, want: readonly string[], have: readonly AddressInfo[]): IpOp[] {
  const d = deviceName(dev, 'dev');
  const wanted = new Map(
    want.map((c, i) => {
      const v = cidr(c, `want[${i}]`);
      return [cidrKey(v), v] as const;
    }),
  );
  const current = new Map(
    have
      .filter((a) => a.dev === d && a.scope === 'global' && !a.dynamic)
      .map((a) => [cidrKey(a.cidr), a.cidr] as const),
  );
  const ops: IpOp[] = [];
  for (const [k, c] of current) if (!wanted.has(k)) ops.push({ op: 'addr.del', cidr: c, dev: d });
  for (const [k, c] of wanted) if (!current.has(k)) ops.push({ op: 'addr.add', cidr: c, dev: d });
  return ops;
}
