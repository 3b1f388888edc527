// Instances (a namespace standing in for a VM, one port each) and floating IPs of a topology input,
// checked field by field, as Neutron's port API reads a compute port (neutron/db/db_base_plugin_v2.py,
// portsecurity_db.py, allowedaddresspairs_db.py) and its floating-IP API (l3_db.py).
import { parsePrefix } from '../net/cidr.js';
import { type ResourceName, userName } from '../net/ownership.js';
import { type Cidr, type IpAddress, type Mac, mac } from '../net/types.js';
import {
  addressField,
  asObject,
  boolField,
  choiceField,
  hostField,
  listField,
  nameField,
  onlyKeys,
  type Path,
  type Problems,
  pathText,
  type Raw,
  show,
} from './problems.js';

/** A checked instance, its references not yet resolved. */
export interface InstanceDraft {
  readonly name: ResourceName;
  readonly path: Path;
  readonly network: ResourceName;
  readonly host: ResourceName | null;
  readonly ip: IpAddress | null;
  readonly mac: Mac | null;
  readonly securityGroups: readonly { readonly name: ResourceName; readonly path: Path }[];
  readonly portSecurity: boolean;
  readonly allowedAddressPairs: readonly { readonly cidr: Cidr; readonly mac: Mac | null }[];
  readonly address: 'dhcp' | 'static' | null;
}

/** A checked floating IP, its instance not yet resolved. */
export interface FloatingIpDraft {
  readonly instance: ResourceName;
  readonly address: IpAddress | null;
  readonly path: Path;
}

const INSTANCE_KEYS = [
  'name',
  'network',
  'host',
  'ip',
  'mac',
  'securityGroups',
  'portSecurity',
  'allowedAddressPairs',
  'address',
] as const;
const PAIR_KEYS = ['ip', 'mac'] as const;
const FIP_KEYS = ['instance', 'address'] as const;

/** An optional MAC field: unicast, not all zero; null when absent or (with a problem) invalid. */
function macField(p: Problems, obj: Raw, key: string, path: Path): Mac | null {
  if (obj[key] === undefined) return null;
  return p.check([...path, key], (w) => mac(obj[key] as string, w)) ?? null;
}

function parseInstance(p: Problems, raw: unknown, path: Path): InstanceDraft | undefined {
  const obj = asObject(p, raw, path, 'an instance');
  if (!obj) return undefined;
  onlyKeys(p, obj, path, INSTANCE_KEYS);
  const name = nameField(p, obj, 'name', path, 'an instance');
  const network = nameField(p, obj, 'network', path, 'an instance');
  const host = hostField(p, obj, path);
  const ip = addressField(p, obj, 'ip', path);
  const portMac = macField(p, obj, 'mac', path);
  const portSecurity = boolField(p, obj, 'portSecurity', path, true);
  const address = choiceField(p, obj, 'address', path, ['dhcp', 'static'] as const) ?? null;

  const securityGroups: { name: ResourceName; path: Path }[] = [];
  listField(p, obj, 'securityGroups', path).forEach((g, k) => {
    const gp = [...path, 'securityGroups', k];
    const n = p.check(gp, (w) => userName(g as string, w));
    if (!n) return;
    if (securityGroups.some((s) => s.name === n)) p.add(gp, `security group ${show(n)} is listed twice`);
    else securityGroups.push({ name: n, path: gp });
  });
  if (!portSecurity && securityGroups.length > 0) {
    p.add(
      [...path, 'securityGroups'],
      'security groups need port security; with portSecurity: false give none',
    );
  }

  const allowedAddressPairs: { cidr: Cidr; mac: Mac | null }[] = [];
  listField(p, obj, 'allowedAddressPairs', path).forEach((a, k) => {
    const ap = [...path, 'allowedAddressPairs', k];
    const o = asObject(p, a, ap, 'an allowed address pair');
    if (!o) return;
    onlyKeys(p, o, ap, PAIR_KEYS);
    if (o.ip === undefined) p.add(ap, 'an allowed address pair needs an ip (an address or CIDR)');
    const cidr = o.ip === undefined ? undefined : p.check([...ap, 'ip'], (w) => parsePrefix(o.ip, w));
    const m = macField(p, o, 'mac', ap);
    if (cidr) allowedAddressPairs.push({ cidr, mac: m });
  });
  if (!portSecurity && allowedAddressPairs.length > 0) {
    p.add(
      [...path, 'allowedAddressPairs'],
      'allowed address pairs need port security; with portSecurity: false give none',
    );
  }

  if (!name || !network) return undefined;
  return {
    name,
    path,
    network,
    host,
    ip,
    mac: portMac,
    securityGroups,
    portSecurity,
    allowedAddressPairs,
    address,
  };
}

/**
 * Checks the instances of a topology input field by field: names (unique), network, host, IP, MAC,
 * security groups (no repeats; none without port security), allowed address pairs (address or CIDR,
 * MAC), address mode. Records every problem; returns the instances by name, in input order.
 */
export function parseInstances(p: Problems, input: Raw): Map<ResourceName, InstanceDraft> {
  const out = new Map<ResourceName, InstanceDraft>();
  listField(p, input, 'instances', []).forEach((raw, i) => {
    const d = parseInstance(p, raw, ['instances', i]);
    if (!d) return;
    const first = out.get(d.name);
    if (first) {
      p.add(
        [...d.path, 'name'],
        `instance name ${show(d.name)} is used twice (also ${pathText(first.path)})`,
      );
      return;
    }
    out.set(d.name, d);
  });
  return out;
}

/**
 * Checks the floating IPs of a topology input field by field: an instance name and an optional
 * address. Records every problem; returns them in input order.
 */
export function parseFloatingIps(p: Problems, input: Raw): FloatingIpDraft[] {
  const out: FloatingIpDraft[] = [];
  listField(p, input, 'floatingIps', []).forEach((raw, i) => {
    const path: Path = ['floatingIps', i];
    const obj = asObject(p, raw, path, 'a floating IP');
    if (!obj) return;
    onlyKeys(p, obj, path, FIP_KEYS);
    const instance = nameField(p, obj, 'instance', path, 'a floating IP');
    const address = addressField(p, obj, 'address', path);
    if (instance) out.push({ instance, address, path });
  });
  return out;
}
