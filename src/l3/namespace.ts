// A router's namespace as a plan (pure): `netns add` when it is missing, `lo` up and marked with the
// router's owner, and the sysctls a router needs, each set only when it differs from what was read.
// Neutron: namespaces.py RouterNamespace.create (ip_forward, arp_ignore, arp_announce, IPv6
// forwarding) and ip_lib's namespace creation (promote_secondaries).

import { linkMark } from '../interface/layout.js';
import { createNamespaceOps } from '../ip/namespaces.js';
import type { NamespaceState } from '../ip/observe.js';
import type { IpOp } from '../ip/ops.js';
import { sysctlOps, sysctlSpec } from '../ip/sysctl.js';
import { ownerMark } from '../net/ownership.js';
import { deviceName } from '../net/types.js';
import type { RouterSpec } from './desired.js';
import { RouterNamespaceConflictError } from './errors.js';

const IPV6_FORWARDING = 'net.ipv6.conf.all.forwarding';

/**
 * The sysctls every router namespace holds. `arp_notify` makes the kernel send a gratuitous ARP for
 * every address of a device when the device comes up or its MAC is set — how a floating IP is
 * announced (see the plan), with no `arping` process that would wait a second per address.
 */
export const ROUTER_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_forward': '1',
  'net.ipv4.conf.all.arp_ignore': '1',
  'net.ipv4.conf.all.arp_announce': '2',
  'net.ipv4.conf.all.arp_notify': '1',
  'net.ipv4.conf.all.promote_secondaries': '1',
};

/** The keys read from a router namespace (one line of its batch). */
export const ROUTER_SYSCTL_KEYS: readonly string[] = [...Object.keys(ROUTER_SYSCTLS), IPV6_FORWARDING];

/** The sysctls a router wants: {@link ROUTER_SYSCTLS}, and IPv6 forwarding with an IPv6 subnet. Pure. */
export function routerSysctls(spec: Pick<RouterSpec, 'ipv6'>): Record<string, string> {
  return spec.ipv6 ? { ...ROUTER_SYSCTLS, [IPV6_FORWARDING]: '1' } : { ...ROUTER_SYSCTLS };
}

/** What the router's namespace needs: `host` ops (`netns add`) and ops inside it. */
export interface NamespacePlan {
  readonly host: IpOp[];
  readonly inside: IpOp[];
  /** True when the namespace is created. */
  readonly created: boolean;
}

/**
 * Plans a router's namespace from what was read: created when missing; `lo` up and marked
 * (`tenantnet:<topology>.router.<name>`, the namespace's owner mark) when it is not; each sysctl that
 * differs set (all of them for a new namespace). Pure.
 *
 * Equivalent to: `ip netns add NS; ip -n NS link set lo up alias tenantnet:…; ip netns exec NS sysctl -w …`
 *
 * @param sysctls the keys as read ({@link ROUTER_SYSCTL_KEYS}; null when the namespace is missing)
 * @throws {RouterNamespaceConflictError} when the namespace is marked by another owner
 */
export function planRouterNamespace(
  spec: Pick<RouterSpec, 'owner' | 'namespace' | 'ipv6'>,
  state: NamespaceState | null,
  sysctls: Readonly<Record<string, string>> | null,
): NamespacePlan {
  const ns = spec.namespace;
  const mark = linkMark(spec.owner);
  const lo = state?.links.find((l) => l.name === 'lo');
  if (lo?.owner && lo.owner !== ownerMark(spec.owner)) {
    throw new RouterNamespaceConflictError(ns, `tenantnet:${lo.owner}`);
  }
  const inside: IpOp[] = [];
  if (!lo?.up || lo.owner === null) {
    inside.push({ op: 'link.set', name: deviceName('lo'), set: { up: true, alias: mark.alias } });
  }
  const want = routerSysctls(spec);
  const differ: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) if (state === null || sysctls?.[k] !== v) differ[k] = v;
  inside.push(...sysctlOps(sysctlSpec(ns, differ)));
  return {
    host: state === null ? createNamespaceOps(ns, { promoteSecondaries: false }).root : [],
    inside,
    created: state === null,
  };
}
