// Deterministic kernel names, after Neutron: `qrouter-`/`qdhcp-` namespaces, `qr-`/`qg-`/`tap`/`ns-`
// devices plus an 11-character id (14 in all; the kernel allows 15). Namespace names carry the
// topology in clear so one directory listing finds a topology's namespaces without entering any,
// and an optional prefix keeps simulated hosts on one kernel apart.
import { InvalidInputError } from '../errors.js';
import { type Owner, type ResourceName, resourceId, type TopologyName } from './ownership.js';
import { type DeviceName, deviceName, type NamespaceName, namespaceName } from './types.js';

/** The kinds of namespace tenantnet makes, and their Neutron-style lead. */
export const NAMESPACE_LEADS = { router: 'qrouter-', dhcp: 'qdhcp-', instance: 'vm-' } as const;

/** A kind of namespace tenantnet makes. */
export type NamespaceKind = keyof typeof NAMESPACE_LEADS;

/**
 * Device-name prefixes, after Neutron: router ports (`qr-`), gateway ports (`qg-`), taps (`tap`),
 * namespace ends of veths (`ns-`), per-network Linux bridges (`brq`), the OVS hybrid's per-port bridge
 * and veth ends (`qbr`, `qvb`, `qvo`), VXLAN devices (`vx-`).
 */
export type DeviceLead = 'qr-' | 'qg-' | 'tap' | 'ns-' | 'brq' | 'qbr' | 'qvb' | 'qvo' | 'vx-';

/** A prefix for every namespace name (simulated hosts on one kernel): 0-24 of `A-Z a-z 0-9 _ -`. */
export type NetnsPrefix = string & { readonly __brand: 'NetnsPrefix' };

/**
 * Validates a namespace-name prefix ('' for none).
 *
 * @throws {InvalidInputError} naming `where`
 */
export function netnsPrefix(value: string, where = 'netns prefix'): NetnsPrefix {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{0,24}$/.test(value)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(value)} is not a namespace prefix (0-24 of A-Z a-z 0-9 _ -)`,
      where,
    );
  }
  return value as NetnsPrefix;
}

/**
 * The namespace of a router, a network's DHCP server or an instance:
 * `<prefix>qrouter-<topology>.<name>`, `<prefix>qdhcp-<topology>.<network>`,
 * `<prefix>vm-<topology>.<instance>`. Pure.
 */
export function namespaceFor(
  kind: NamespaceKind,
  topology: TopologyName,
  name: ResourceName,
  prefix: NetnsPrefix = '' as NetnsPrefix,
): NamespaceName {
  return namespaceName(`${prefix}${NAMESPACE_LEADS[kind]}${topology}.${name}`, `${kind} namespace`);
}

/** What a namespace name says about its owner, or null when tenantnet's scheme did not make it. Pure. */
export function parseNamespace(
  name: string,
  prefix: NetnsPrefix = '' as NetnsPrefix,
): { kind: NamespaceKind; topology: TopologyName; name: ResourceName } | null {
  if (!name.startsWith(prefix)) return null;
  const rest = name.slice(prefix.length);
  for (const [kind, lead] of Object.entries(NAMESPACE_LEADS) as [NamespaceKind, string][]) {
    if (!rest.startsWith(lead)) continue;
    const m = /^([a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?)\.([a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?)$/.exec(
      rest.slice(lead.length),
    );
    if (m) return { kind, topology: m[1] as TopologyName, name: m[2] as ResourceName };
  }
  return null;
}

/** The device name `<lead><id>` for a resource (14 characters). Pure. */
export function deviceFor(lead: DeviceLead, owner: Owner): DeviceName {
  return deviceName(`${lead}${resourceId(owner)}`, `${lead} device of ${owner.kind} ${owner.name}`);
}
