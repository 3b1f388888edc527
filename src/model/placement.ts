// Placement on many hosts: every instance and router on a named host once any is (no scheduler, no
// guessing), which hosts each network is present on, and the MTU a network can carry over the VXLAN
// overlay between them. Neutron: the port binding's host (binding:host_id) and the ML2 type driver's
// MTU (physnet MTU minus the tunnel overhead, neutron/plugins/ml2/drivers/type_tunnel.py).
import { InvalidInputError } from '../errors.js';
import type { ResourceName } from '../net/ownership.js';
import { type IpFamily, type Mtu, mtu } from '../net/types.js';
import type { InstanceDraft } from './instances.js';
import type { NetworkDraft } from './networks.js';
import { type Path, type Problems, pathText } from './problems.js';
import type { RouterDraft } from './routers.js';

/** What a host's agent reports of its underlay: the link MTU under the overlay and its IP family. */
export interface HostUnderlay {
  /** The underlay link's MTU (68-65535). */
  readonly mtu: number;
  /** 4 (default) or 6: VXLAN costs 50 bytes over IPv4, 70 over IPv6. */
  readonly family?: IpFamily;
}

/** The MTU assumed for a host whose underlay is not known yet (its agent has not reported). */
export const DEFAULT_UNDERLAY: Required<HostUnderlay> = { mtu: 1500, family: 4 };

/** The default MTU of a network on one host. */
export const SINGLE_HOST_MTU = 1500 as Mtu;

/** Bytes VXLAN adds to every frame, per underlay family (outer IP + UDP + VXLAN + inner Ethernet). */
export const VXLAN_OVERHEAD: Readonly<Record<IpFamily, number>> = { 4: 50, 6: 70 };

/**
 * Validates the underlay option of `buildModel`: host name → `{ mtu, family? }`.
 *
 * @throws {InvalidInputError} naming the host and the field
 */
export function checkUnderlay(
  underlay: ReadonlyMap<string, HostUnderlay> | undefined,
): ReadonlyMap<string, Required<HostUnderlay>> {
  const out = new Map<string, Required<HostUnderlay>>();
  if (underlay === undefined) return out;
  if (!(underlay instanceof Map)) {
    throw new InvalidInputError('underlay: must be a Map of host name to { mtu, family }', 'underlay');
  }
  for (const [host, u] of underlay) {
    const where = `underlay ${JSON.stringify(host)}`;
    if (typeof u !== 'object' || u === null) {
      throw new InvalidInputError(`${where}: not an object { mtu, family }`, where);
    }
    const family = u.family ?? 4;
    if (family !== 4 && family !== 6) {
      throw new InvalidInputError(`${where} family: ${JSON.stringify(u.family)} is not 4 or 6`, where);
    }
    out.set(host, { mtu: mtu(u.mtu, `${where} mtu`), family });
  }
  return out;
}

/** A placed resource: where it is in the input, its kind and name, and its host (or null). */
interface Placed {
  readonly path: Path;
  readonly what: string;
  readonly host: ResourceName | null;
}

/**
 * Whether the topology is placed on hosts (any router or instance names one, or `defaults.host` is
 * set). When it is, every instance and router needs a host: a problem for each one without one, at
 * its `host` path. Records every problem; returns whether the topology spans hosts.
 */
export function checkPlacement(
  p: Problems,
  defaultHost: ResourceName | null,
  routers: Iterable<RouterDraft>,
  instances: Iterable<InstanceDraft>,
): boolean {
  const placed: Placed[] = [
    ...[...routers].map((r) => ({ path: r.path, what: `router ${r.name}`, host: r.host })),
    ...[...instances].map((i) => ({ path: i.path, what: `instance ${i.name}`, host: i.host })),
  ];
  if (defaultHost !== null) return true;
  const named = placed.find((x) => x.host !== null);
  if (!named) return false;
  for (const x of placed) {
    if (x.host !== null) continue;
    p.add(
      [...x.path, 'host'],
      `${x.what} has no host, but ${pathText(named.path)} is placed on host ${named.host}: on many hosts every instance and router needs host: (or set defaults.host)`,
    );
  }
  return true;
}

/**
 * The hosts each network is present on: those with an instance on it, or a router with an interface
 * or its gateway on it. Sorted by name; a network nothing uses is on no host. Pure.
 */
export function networkHosts(
  defaultHost: ResourceName | null,
  routers: Iterable<RouterDraft>,
  instances: Iterable<InstanceDraft>,
): Map<ResourceName, ResourceName[]> {
  const on = new Map<ResourceName, Set<ResourceName>>();
  const add = (network: ResourceName, host: ResourceName | null) => {
    if (host === null) return;
    const set = on.get(network) ?? new Set<ResourceName>();
    on.set(network, set);
    set.add(host);
  };
  for (const r of routers) {
    const host = r.host ?? defaultHost;
    for (const i of r.interfaces) add(i.network, host);
    if (r.gateway) add(r.gateway.network, host);
  }
  for (const i of instances) add(i.network, i.host ?? defaultHost);
  return new Map([...on].map(([n, hosts]) => [n, [...hosts].sort()]));
}

/**
 * The MTU of every network. Given: kept, and on many hosts refused (a problem at its `mtu`, naming
 * the host) when above what a host with a known underlay carries. Not given: 1500 on one host; on
 * many, the smallest underlay MTU among the network's hosts minus the VXLAN overhead (hosts whose
 * underlay is not known count as 1500 over IPv4, so 1450). Records every problem.
 */
export function networkMtus(
  p: Problems,
  networks: Iterable<NetworkDraft>,
  multiHost: boolean,
  presence: ReadonlyMap<ResourceName, readonly ResourceName[]>,
  underlay: ReadonlyMap<string, Required<HostUnderlay>>,
): Map<ResourceName, Mtu> {
  const out = new Map<ResourceName, Mtu>();
  for (const n of networks) {
    if (!multiHost) {
      out.set(n.name, n.mtu ?? SINGLE_HOST_MTU);
      continue;
    }
    const hosts = presence.get(n.name) ?? [];
    const limits = (hosts.length > 0 ? hosts : [null]).map((h) => {
      const known = h === null ? undefined : underlay.get(h);
      const u = known ?? DEFAULT_UNDERLAY;
      return { host: h, known: known !== undefined, u, limit: u.mtu - VXLAN_OVERHEAD[u.family] };
    });
    if (n.mtu !== null) {
      const over = limits.find((l) => l.known && n.mtu! > l.limit);
      if (over) {
        p.add(
          [...n.path, 'mtu'],
          `MTU ${n.mtu} is more than host ${over.host} carries: its underlay MTU ${over.u.mtu} minus ${VXLAN_OVERHEAD[over.u.family]} (VXLAN over IPv${over.u.family}) is ${over.limit}`,
        );
      }
      out.set(n.name, n.mtu);
      continue;
    }
    const least = limits.reduce((a, b) => (b.limit < a.limit ? b : a));
    const v6 = n.subnets.some((s) => s.family === 6);
    if (least.limit < (v6 ? 1280 : 68)) {
      p.add(
        n.path,
        `the overlay MTU on host ${least.host} would be ${least.limit} (underlay ${least.u.mtu} minus ${VXLAN_OVERHEAD[least.u.family]}), below ${v6 ? '1280, the IPv6 minimum' : '68'}; raise the underlay MTU or set mtu:`,
      );
      out.set(n.name, SINGLE_HOST_MTU);
      continue;
    }
    out.set(n.name, least.limit as Mtu);
  }
  return out;
}
