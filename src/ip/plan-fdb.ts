// l2pop as a pure plan: the FDB and permanent neighbour entries the VXLAN devices a host owns must
// hold for the remote ports of their networks, diffed against what the kernel holds. The whole set is
// recomputed each time, so a stale entry cannot survive; devices the host does not own are never
// touched. Neutron: the l2pop mech driver's fdb_add/fdb_remove and the Linux bridge agent's
// add_fdb_entries/remove_fdb_entries, without the one-event-at-a-time drift.
import { InvalidInputError } from '../errors.js';
import { parseAddress } from '../net/cidr.js';
import { type DeviceName, deviceName, type IpAddress, ipAddress, type Mac, mac } from '../net/types.js';
import { type FdbEntry, type FdbOp, FLOOD_MAC } from './fdb-ops.js';
import type { NeighbourInfo } from './neighbours.js';
import type { IpOp } from './ops.js';

/** A port on another host, as its agent published it (l2pop). */
export interface RemotePort {
  readonly mac: string;
  /** The VTEP of the host it is on. */
  readonly vtep: string;
  /** Every address that answers on this MAC (fixed IPs; a gateway port's floating IPs too). */
  readonly ips: readonly string[];
  /** When it was published (etcd mod revision): the newest wins when a MAC or IP is published twice. */
  readonly revision: number;
}

/** What one VXLAN device should know: every remote port of its network. */
export interface FdbDesired {
  readonly dev: string;
  readonly remotes: readonly RemotePort[];
}

/** What the kernel holds, as read from the owned devices (`bridge -j fdb show dev D`, `ip -j neigh show dev D`). */
export interface FdbObserved {
  readonly fdb: readonly FdbEntry[];
  readonly neighbours: readonly NeighbourInfo[];
}

/** The operations that make the owned devices hold exactly the desired entries. */
export interface FdbPlan {
  /**
   * One `bridge -batch` for the namespace: clears of a MAC with several destinations, then appends
   * and replaces (new flood destinations before old ones go, so flooding never stops), then deletes.
   */
  readonly fdb: FdbOp[];
  /** One `ip -batch` for the namespace: replaces first, then deletes. */
  readonly neighbours: IpOp[];
}

interface Want {
  readonly dev: DeviceName;
  /** VTEPs to flood to. */
  readonly flood: Set<IpAddress>;
  /** MAC → VTEP. */
  readonly macs: Map<Mac, IpAddress>;
  /** IP → MAC. */
  readonly ips: Map<IpAddress, Mac>;
}

/** The wanted entries of one device, validated; newest publication wins per MAC and per IP. */
function wanted(d: FdbDesired, i: number): Want {
  const where = `desired[${i}]`;
  const dev = deviceName(d.dev, `${where}.dev`);
  if (!Array.isArray(d.remotes))
    throw new InvalidInputError(`${where}.remotes: not a list`, `${where}.remotes`);
  const ports = d.remotes.map((r, k) => {
    const at = `${where}.remotes[${k}]`;
    if (!Array.isArray(r?.ips)) throw new InvalidInputError(`${at}.ips: not a list`, `${at}.ips`);
    if (!Number.isSafeInteger(r.revision))
      throw new InvalidInputError(`${at}.revision: not an integer`, `${at}.revision`);
    return {
      mac: mac(r.mac, `${at}.mac`),
      vtep: parseAddress(r.vtep, `${at}.vtep`),
      ips: (r.ips as readonly unknown[]).map((a, j) => parseAddress(a, `${at}.ips[${j}]`)),
      revision: r.revision,
    };
  });
  // Oldest first, so the newest publication of a MAC or an IP is the one that stays.
  ports.sort((a, b) => a.revision - b.revision);
  const macs = new Map<Mac, IpAddress>();
  const ips = new Map<IpAddress, Mac>();
  for (const p of ports) {
    macs.set(p.mac, p.vtep);
    for (const a of p.ips) ips.set(a, p.mac);
  }
  return { dev, flood: new Set(macs.values()), macs, ips };
}

/** One spelling per address (`fd00:0::1` is `fd00::1`), as the kernel prints it. */
function norm(a: string): string {
  try {
    return parseAddress(a);
  } catch {
    return a.toLowerCase(); // a MAC, or text the kernel would not print: compared as it is
  }
}

/**
 * Plans the FDB and neighbour entries of the VXLAN devices a host owns (pure). For each owned device:
 * - `00:00:00:00:00:00 dst VTEP self permanent` for every remote host with a port on the network
 *   (appended: a flood list holds several), the others deleted;
 * - `MAC dst VTEP self permanent` for every remote port (replaced when missing or moved), the others
 *   deleted; a MAC published by two hosts goes to the newest publication;
 * - `IP lladdr MAC nud permanent` for every remote address (replaced when missing, different or not
 *   permanent), other permanent entries deleted; learned (non-permanent) entries are left to age.
 * Only entries of the device itself (`self` with a `dst`) count: the bridge's own entries of a port
 * are not l2pop's. An owned device missing from `desired` is emptied of such entries; entries on
 * devices not in `ownedDevices` are neither read for deletion nor written (desired entries for them
 * are not planned). Applying the plan and observing again plans nothing.
 *
 * @throws {InvalidInputError} for a malformed desired entry (a device name, MAC, VTEP or address)
 */
export function planFdb(
  desired: readonly FdbDesired[],
  observed: FdbObserved,
  ownedDevices: Iterable<string>,
): FdbPlan {
  const owned = new Set<string>([...ownedDevices].map((d, i) => deviceName(d, `ownedDevices[${i}]`)));
  const wants = new Map<string, Want>();
  desired.forEach((d, i) => {
    const w = wanted(d, i);
    if (wants.has(w.dev))
      throw new InvalidInputError(`desired[${i}].dev: ${w.dev} is listed twice`, `desired[${i}].dev`);
    wants.set(w.dev, w);
  });

  const clears: FdbOp[] = [];
  const adds: FdbOp[] = [];
  const dels: FdbOp[] = [];
  const neighAdds: IpOp[] = [];
  const neighDels: IpOp[] = [];
  for (const devName of [...owned].sort()) {
    const dev = devName as DeviceName;
    const want = wants.get(dev) ?? { dev, flood: new Set(), macs: new Map(), ips: new Map() };
    const mine = observed.fdb.filter((e) => e.dev === dev && e.flags.includes('self') && e.dst !== null);

    const floodHave = new Set(mine.filter((e) => e.mac === FLOOD_MAC).map((e) => norm(e.dst!)));
    for (const vtep of [...want.flood].sort()) {
      if (!floodHave.has(vtep)) adds.push({ op: 'fdb.append', entry: { mac: FLOOD_MAC, dev, dst: vtep } });
    }
    for (const dst of [...floodHave].sort()) {
      if (!want.flood.has(dst as IpAddress))
        dels.push({ op: 'fdb.del', mac: FLOOD_MAC, dev, dst: dst as IpAddress });
    }

    const unicast = new Map<string, FdbEntry[]>();
    for (const e of mine) {
      if (e.mac === FLOOD_MAC) continue;
      unicast.set(e.mac.toLowerCase(), [...(unicast.get(e.mac.toLowerCase()) ?? []), e]);
    }
    for (const [m, vtep] of [...want.macs].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const have = unicast.get(m) ?? [];
      const right = have.length === 1 && norm(have[0]!.dst!) === vtep && have[0]!.state === 'permanent';
      if (right) continue;
      // `replace` changes only the first of several destinations: clear them all first.
      if (have.length > 1) clears.push({ op: 'fdb.del', mac: m, dev });
      adds.push({ op: 'fdb.replace', entry: { mac: m, dev, dst: vtep } });
    }
    for (const m of [...unicast.keys()].sort()) {
      if (!want.macs.has(m as Mac)) dels.push({ op: 'fdb.del', mac: m as Mac, dev });
    }

    const neigh = observed.neighbours.filter((n) => n.dev === dev);
    const byIp = new Map(neigh.map((n) => [norm(n.address), n]));
    for (const [a, m] of [...want.ips].sort(([x], [y]) => (x < y ? -1 : 1))) {
      const have = byIp.get(a);
      if (have && have.mac !== null && have.mac.toLowerCase() === m && have.state.includes('permanent'))
        continue;
      neighAdds.push({ op: 'neigh.replace', address: a, mac: m, dev, permanent: true });
    }
    for (const n of neigh) {
      if (n.state.includes('permanent') && !want.ips.has(norm(n.address) as IpAddress)) {
        neighDels.push({ op: 'neigh.del', address: ipAddress(n.address, 'observed neighbour'), dev });
      }
    }
  }
  return { fdb: [...clears, ...adds, ...dels], neighbours: [...neighAdds, ...neighDels] };
}
