// l2pop on one host: which of its ports it publishes (instances, router `qr-`/`qg-` ports with their
// gateway and floating addresses), which remote ports each of its VXLAN devices must know, and the
// FDB/neighbour pass over its owned devices (one `bridge -batch` and one `ip -batch` in the host
// place). Neutron: the l2pop mech driver (fdb entries on port ACTIVE) and the linuxbridge agent's
// fdb_add/fdb_remove, recomputed as a whole each pass instead of applied event by event.
import type { BridgeExecutor } from '../ip/bridge-batch.js';
import type { IpExecutor } from '../ip/executor.js';
import { type FdbEntry, type FdbOp, parseFdb } from '../ip/fdb-ops.js';
import type { LinkInfo } from '../ip/links.js';
import { type NeighbourInfo, parseNeighbours } from '../ip/neighbours.js';
import type { IpOp } from '../ip/ops.js';
import { type FdbDesired, type FdbPlan, planFdb, type RemotePort } from '../ip/plan-fdb.js';
import type { Model, Port } from '../model/types.js';
import type { DeviceName, IpAddress, Mac, NamespaceName } from '../net/types.js';
import { isOwnedVxlan, vxlanDevice } from './names.js';

/** A port this host publishes: where its l2pop key goes and what it says. */
export interface PublishedPort {
  readonly topology: string;
  readonly network: string;
  /** The model's port name (`vm_web1`, `qr_r1_web`, `qg_r1`). */
  readonly port: string;
  readonly record: {
    readonly mac: Mac;
    readonly ips: readonly IpAddress[];
    readonly vtep: IpAddress;
    readonly vni: number;
  };
}

/** A port published by some host, as read from the store (its key's parts, record and mod revision). */
export interface PortEntry {
  readonly topology: string;
  readonly network: string;
  readonly host: string;
  readonly port: string;
  readonly record: { readonly mac: string; readonly ips: readonly string[]; readonly vtep: string };
  readonly modRevision: number;
}

/**
 * The ports a host publishes for one slice (a model placed on it): its instances' ports and its
 * routers' interface and gateway ports (a gateway port with every floating IP it answers for), on
 * networks that have a VNI. Sorted by network and port. Pure.
 */
export function publishedPorts(slice: Model, vtep: IpAddress): PublishedPort[] {
  const vnis = new Map(slice.networks.map((n) => [n.name, n.vni]));
  const out: PublishedPort[] = [];
  const add = (p: Port, extra: readonly IpAddress[] = []) => {
    const vni = vnis.get(p.network);
    if (vni === null || vni === undefined) return;
    out.push({
      topology: slice.topology,
      network: p.network,
      port: p.name,
      record: { mac: p.mac, ips: [...p.fixedIps.map((f) => f.address), ...extra], vtep, vni },
    });
  };
  for (const i of slice.instances) add(i.port);
  for (const r of slice.routers) {
    for (const itf of r.interfaces) add(itf.port);
    if (r.gateway)
      add(
        r.gateway.port,
        r.floatingIps.map((f) => f.address),
      );
  }
  return out.sort((a, b) => (a.network + a.port < b.network + b.port ? -1 : 1));
}

/**
 * What each local VXLAN device must know: for every network of the slices with a VNI, the ports
 * other hosts published on it (never this host's own). Pure.
 *
 * @param slices this host's slices
 * @param entries every l2pop entry of those networks (any host)
 * @param host this host
 */
export function fdbDesired(
  slices: readonly Model[],
  entries: readonly PortEntry[],
  host: string,
): FdbDesired[] {
  const out: FdbDesired[] = [];
  for (const s of slices) {
    for (const n of s.networks) {
      if (n.vni === null) continue;
      const remotes: RemotePort[] = entries
        .filter((e) => e.topology === s.topology && e.network === n.name && e.host !== host)
        .map((e) => ({ mac: e.record.mac, vtep: e.record.vtep, ips: e.record.ips, revision: e.modRevision }));
      out.push({ dev: vxlanDevice(n), remotes });
    }
  }
  return out;
}

/** The FDB and neighbours of the host's owned VXLAN devices. */
export interface FdbState {
  /** Every VXLAN device tenantnet made for a network, by name. */
  readonly owned: readonly DeviceName[];
  readonly fdb: readonly FdbEntry[];
  readonly neighbours: readonly NeighbourInfo[];
}

/** Where the FDB pass reads and writes: the host namespace's `bridge -batch` and `ip -batch`. */
export interface FdbExecutors {
  readonly ip: IpExecutor;
  readonly bridge: BridgeExecutor;
  readonly namespace: NamespaceName | null;
}

/**
 * Reads the FDB and permanent-candidate neighbours of the owned VXLAN devices among `links` (one
 * `bridge -batch` round and one `ip -batch` round; devices tenantnet does not own are not read).
 * Given device names instead of links, they are taken as the owned ones (read before).
 *
 * Equivalent to: `bridge -j fdb show dev D` and `ip -j neigh show dev D`, for each owned device D
 */
export async function observeFdb(
  x: FdbExecutors,
  links: readonly LinkInfo[] | readonly DeviceName[],
): Promise<FdbState> {
  // Links as read (owned ones picked here), or the owned devices' names as known from a read before.
  const owned = links.flatMap((l) => (typeof l === 'string' ? [l] : isOwnedVxlan(l) ? [l.name] : []));
  if (owned.length === 0) return { owned, fdb: [], neighbours: [] };
  const fdbOps: FdbOp[] = owned.map((dev) => ({ op: 'fdb.show', dev }));
  const neighOps: IpOp[] = owned.map((dev) => ({ op: 'neigh.show', dev }));
  const [fdbRes, neighRes] = await Promise.all([
    x.bridge.apply(x.namespace, fdbOps),
    x.ip.apply(x.namespace, neighOps),
  ]);
  const fdb = fdbRes.flatMap((r, i) => parseFdb(r.output, owned[i]));
  const neighbours = neighRes.flatMap((r, i) => parseNeighbours(r.output, owned[i]));
  return { owned, fdb, neighbours };
}

/**
 * Plans the FDB pass (pure): exactly the desired entries on the owned devices, nothing on others
 * (see `planFdb` in ip/). Desired entries for devices that do not exist (yet) are not planned.
 */
export function planL2pop(desired: readonly FdbDesired[], state: FdbState): FdbPlan {
  const owned = new Set<string>(state.owned);
  return planFdb(
    desired.filter((d) => owned.has(d.dev)),
    { fdb: state.fdb, neighbours: state.neighbours },
    state.owned,
  );
}

/**
 * Applies an FDB plan: one `bridge -batch` round, then one `ip -batch` round, in the host place.
 *
 * @returns the number of operations sent (0: nothing to do)
 */
export async function applyL2pop(x: FdbExecutors, plan: FdbPlan): Promise<number> {
  if (plan.fdb.length > 0) await x.bridge.apply(x.namespace, plan.fdb);
  if (plan.neighbours.length > 0) await x.ip.apply(x.namespace, plan.neighbours);
  return plan.fdb.length + plan.neighbours.length;
}
