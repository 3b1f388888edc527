import { InvalidInputError } from '../errors.js';
import { existingNamespace } from '../net/namespace.js';
import {
  type Cidr,
  cidr,
  type DeviceName,
  deviceName,
  type NamespaceName,
  routeScope,
} from '../net/types.js';
import { ipExecutor } from './batch.js';
import { ObjectNotFoundError } from './errors.js';

/** One address as read back from the kernel. */
export interface AddressInfo {
  readonly dev: DeviceName;
  readonly cidr: Cidr;
  readonly family: 4 | 6;
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

/** The common arguments: a device in a namespace (null/absent: root). */
export interface OnDevice {
  readonly namespace?: string | null;
  readonly dev: string;
}

function place(a: OnDevice): { ns: NamespaceName | null; dev: DeviceName } {
  const dev = deviceName(a.dev, 'dev');
  return { ns: existingNamespace(a.namespace), dev };
}

/**
 * Adds an address. An IPv4 address gets its broadcast computed from the prefix (a /32 is its own).
 *
 * @throws {AddressAlreadyExistsError} when it is already there; {@link DeviceNotFoundError}
 */
export async function addAddress(a: OnDevice & { readonly cidr: string; readonly scope?: string }) {
  const c = cidr(a.cidr, 'cidr');
  const scope = a.scope === undefined ? undefined : routeScope(a.scope);
  const { ns, dev } = place(a);
  await ipExecutor().apply(ns, [{ op: 'addr.add', cidr: c, dev, ...(scope ? { scope } : {}) }]);
}

/**
 * Deletes an address; an absent address is success.
 *
 * @returns true if it was there
 * @throws {DeviceNotFoundError} when the device is missing
 */
export async function deleteAddress(a: OnDevice & { readonly cidr: string }): Promise<boolean> {
  const c = cidr(a.cidr, 'cidr');
  const { ns, dev } = place(a);
  try {
    await ipExecutor().apply(ns, [{ op: 'addr.del', cidr: c, dev }]);
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  }
}

/** Removes every address of one family (or both) from a device. */
export async function flushAddresses(a: OnDevice & { readonly family?: 4 | 6 }): Promise<void> {
  if (a.family !== undefined && a.family !== 4 && a.family !== 6) {
    throw new InvalidInputError(`family: ${JSON.stringify(a.family)} is not 4 or 6`, 'family');
  }
  const { ns, dev } = place(a);
  await ipExecutor().apply(ns, [{ op: 'addr.flush', dev, ...(a.family ? { family: a.family } : {}) }]);
}

/** Filters for {@link listAddresses}. */
export interface AddressFilter {
  readonly namespace?: string | null;
  readonly dev?: string;
  readonly family?: 4 | 6;
  readonly scope?: string;
  /** true: only configured (permanent) ones; false: only dynamic ones. */
  readonly permanent?: boolean;
  readonly tentative?: boolean;
  readonly dadfailed?: boolean;
}

/** Lists addresses, filtered. @throws {DeviceNotFoundError} when `dev` is given and missing */
export async function listAddresses(f: AddressFilter = {}): Promise<AddressInfo[]> {
  const dev = f.dev === undefined ? undefined : deviceName(f.dev, 'dev');
  const ns = existingNamespace(f.namespace);
  const [r] = await ipExecutor().apply(ns, [{ op: 'link.show', ...(dev ? { name: dev } : {}) }]);
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
