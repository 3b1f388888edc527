// Reading what the store holds for one topology, all at one revision: its spec and meta, the slice of
// every host it names, and every VNI reservation (its own and other topologies'). What `plan --store`
// diffs against and `apply --store` guards with. Neutron reads the same from its DB in one session.
import type { Model } from '../model/index.js';
import { modelHosts } from '../model/slice.js';
import { type TopologyName, topologyName } from '../net/ownership.js';
import type { Store } from './client.js';
import {
  decodeDesired,
  decodeMeta,
  decodeSpec,
  decodeVni,
  type HostDesired,
  type TopologyMeta,
  type VniRecord,
} from './codec.js';
import { StoreValueError } from './errors.js';
import type { StoreKeys } from './keys.js';

/** A decoded value with the revision it was last written at. */
export interface Stored<T> {
  readonly value: T;
  readonly modRevision: number;
}

/** What the store holds for one topology, read at one revision. */
export interface StoredTopology {
  /** The key layout it was read with (so a plan needs no connection). */
  readonly keys: StoreKeys;
  readonly topology: TopologyName;
  /** The store revision every read was made at. */
  readonly revision: number;
  readonly spec: Stored<Model> | null;
  readonly meta: Stored<TopologyMeta> | null;
  /** The slice of every host the meta or the spec names, by host (absent ones are not in the map). */
  readonly slices: ReadonlyMap<string, Stored<HostDesired>>;
  /** Every VNI reservation in the store, every topology's, by VNI. */
  readonly vnis: ReadonlyMap<number, Stored<VniRecord>>;
}

/**
 * The topology's revision: the mod revision of its meta, which every apply that changes anything
 * writes (0: the topology is not in the store). What `--expect-revision` binds an apply to. Pure.
 */
export function topologyRevision(stored: StoredTopology): number {
  return stored.meta?.modRevision ?? 0;
}

/**
 * The VNIs other topologies hold, each with who holds it (`topology blue, network web`): what
 * `buildModel`'s `reservedVnis` takes so that allocation skips them. Pure.
 */
export function reservedVnis(stored: StoredTopology): Map<number, string> {
  const out = new Map<number, string>();
  for (const [vni, r] of stored.vnis) {
    if (r.value.topology !== stored.topology)
      out.set(vni, `topology ${r.value.topology}, network ${r.value.network}`);
  }
  return out;
}

/**
 * Reads a topology from the store at one revision: spec and meta (one range), every VNI reservation
 * (paginated), and the slice of every host its meta or spec names. Every value is decoded without
 * trusting it.
 *
 * @throws {StoreValueError} naming a key whose value is not what tenantnet writes
 * @throws {StoreUnavailableError} when etcd does not answer within the deadline
 */
export async function readTopology(store: Store, topology: string): Promise<StoredTopology> {
  const topo = topologyName(topology);
  const keys = store.keys;
  const own = await store.list(keys.topology(topo));
  const revision = own.revision;
  let spec: Stored<Model> | null = null;
  let meta: Stored<TopologyMeta> | null = null;
  for (const e of own.entries) {
    if (e.key === keys.spec(topo))
      spec = { value: decodeSpec(e.key, e.value, topo), modRevision: e.modRevision };
    if (e.key === keys.meta(topo)) meta = { value: decodeMeta(e.key, e.value), modRevision: e.modRevision };
  }

  const vnis = new Map<number, Stored<VniRecord>>();
  for (const e of (await store.list(keys.vnis(), { revision })).entries) {
    const k = keys.parse(e.key);
    if (k?.kind !== 'vni') continue;
    vnis.set(k.vni, { value: decodeVni(e.key, e.value), modRevision: e.modRevision });
  }

  const hosts = new Set<string>([
    ...(meta?.value.hosts.map((h) => h.host) ?? []),
    ...(spec ? modelHosts(spec.value) : []),
  ]);
  const slices = new Map<string, Stored<HostDesired>>();
  const read = await Promise.all(
    [...hosts].sort().map(async (h) => {
      let key: string;
      try {
        key = keys.desired(h, topo);
      } catch {
        throw new StoreValueError(
          meta ? keys.meta(topo) : keys.spec(topo),
          `names host ${JSON.stringify(h)}, not a host name`,
        );
      }
      return { h, key, got: await store.get(key, revision) };
    }),
  );
  for (const { h, key, got } of read) {
    if (got.entry)
      slices.set(h, {
        value: decodeDesired(key, got.entry.value, h, topo),
        modRevision: got.entry.modRevision,
      });
  }
  return { keys, topology: topo, revision, spec, meta, slices, vnis };
}
