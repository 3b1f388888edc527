// From a resolved model and what the store holds to the exact keys an apply writes: the spec, the
// meta, each host's slice that changed, the VNI reservations; per host, what changes in its slice.
// Pure, so `plan --store` prints what `apply --store` will do. Neutron: the server's diff of a port
// update and the RPC notifications it fans out per host (ml2 plugin + l2pop driver).
import { InvalidInputError } from '../errors.js';
import { canonicalJson } from '../model/canonical.js';
import type { Model } from '../model/index.js';
import { modelHosts, type Slice, sliceForHost } from '../model/slice.js';
import type { TopologyName } from '../net/ownership.js';
import { encodeValue, type HostDesired, type TopologyMeta, type VniRecord } from './codec.js';
import { VniTakenError } from './errors.js';
import { type StoredTopology, topologyRevision } from './read.js';

/** What happens to one resource of a host's slice: added, removed or changed. */
export interface ResourceChange {
  readonly kind: 'network' | 'router' | 'instance' | 'security group';
  readonly name: string;
  readonly change: '+' | '-' | '~';
}

/** What happens to one host's slice. */
export interface HostChange {
  readonly host: string;
  /** create: the host's first slice; update: its slice changed; delete: it left; none: unchanged. */
  readonly change: 'create' | 'update' | 'delete' | 'none';
  /** The generation of its slice after the apply (0 when deleted). */
  readonly generation: number;
  /** The resources of its slice that change, by kind then name. */
  readonly resources: readonly ResourceChange[];
}

/** A VNI the plan reserves: absent in the store when it was read, checked absent when committed. */
export interface NewVni {
  readonly vni: number;
  readonly key: string;
  readonly network: string;
}

/** Exactly what one guarded transaction writes for one topology (see `commitPlan`). */
export interface StorePlan {
  /** An apply (put what changed) or a destroy (delete everything of the topology). */
  readonly kind: 'apply' | 'destroy';
  readonly topology: TopologyName;
  /** The topology revision it was planned at (its meta's mod revision; 0: not in the store). */
  readonly revision: number;
  /**
   * What the transaction compares: the spec's and the meta's keys and mod revisions as read (0:
   * absent).
   */
  readonly guard: {
    readonly specKey: string;
    readonly spec: number;
    readonly metaKey: string;
    readonly meta: number;
  };
  /** The topology's generation after the apply (as before when nothing changes; 0 for a destroy). */
  readonly generation: number;
  /** Keys to put, with their canonical JSON values, in this order: spec, meta, slices, VNIs. */
  readonly puts: readonly { readonly key: string; readonly value: string }[];
  /** Keys to delete: slices of hosts that left, VNIs given up (or everything, for a destroy). */
  readonly deletes: readonly string[];
  /** VNIs reserved now: the transaction also checks each is still free. */
  readonly newVnis: readonly NewVni[];
  /** Every host with a slice before or after, by name. */
  readonly hosts: readonly HostChange[];
  /** Whether the spec (the model) itself changes. */
  readonly specChanged: boolean;
  /** Keys written or deleted: 0 means the apply writes nothing and the store revision does not move. */
  readonly changes: number;
}

/** Options of {@link planStore}. */
export interface PlanStoreOptions {
  /** Who applies (default `tenantnet`). */
  readonly appliedBy?: string;
  /** When, ISO 8601 (default: now). Only written when something changes. */
  readonly appliedAt?: string;
  /** A hash of the topology file, when there is one. */
  readonly fileHash?: string | null;
}

type Named = { readonly name: string };

function diffList(
  kind: ResourceChange['kind'],
  before: readonly Named[],
  after: readonly Named[],
): ResourceChange[] {
  const old = new Map(before.map((x) => [x.name, canonicalJson(x)]));
  const now = new Map(after.map((x) => [x.name, canonicalJson(x)]));
  const out: ResourceChange[] = [];
  for (const name of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(name);
    const b = now.get(name);
    if (a === undefined) out.push({ kind, name, change: '+' });
    else if (b === undefined) out.push({ kind, name, change: '-' });
    else if (a !== b) out.push({ kind, name, change: '~' });
  }
  return out;
}

/** The resources that change between two slices of one host (either may be absent). Pure. */
export function sliceChanges(before: Slice | null, after: Slice | null): ResourceChange[] {
  const list = (s: Slice | null, f: (s: Slice) => readonly Named[]) => (s ? f(s) : []);
  return [
    ...diffList(
      'network',
      list(before, (s) => s.networks),
      list(after, (s) => s.networks),
    ),
    ...diffList(
      'router',
      list(before, (s) => s.routers),
      list(after, (s) => s.routers),
    ),
    ...diffList(
      'security group',
      list(before, (s) => s.securityGroups),
      list(after, (s) => s.securityGroups),
    ),
    ...diffList(
      'instance',
      list(before, (s) => s.instances),
      list(after, (s) => s.instances),
    ),
  ];
}

/**
 * Plans the apply of a model over what the store holds for its topology (read by `readTopology`):
 * the spec when the model changed; each host's slice whose canonical text changed (new hosts
 * included), at the next generation; deletes for the slices of hosts that left; a VNI reservation
 * for each VNI the topology did not hold, and deletes for those it gives up; the meta whenever
 * anything changes. An unchanged model plans no key at all. Pure (the clock is read only when
 * `appliedAt` is not given and something changes).
 *
 * @throws {VniTakenError} when a VNI of the model is held by another topology
 * @throws {InvalidInputError} when the model is of another topology than the read
 */
export function planStore(model: Model, stored: StoredTopology, options: PlanStoreOptions = {}): StorePlan {
  if (model.topology !== stored.topology) {
    throw new InvalidInputError(
      `model: a model of topology ${model.topology}, but the store was read for ${stored.topology}`,
      'model',
    );
  }
  const keys = stored.keys;
  const topology = stored.topology;
  const specText = encodeValue(model);
  const specChanged = stored.spec === null || encodeValue(stored.spec.value) !== specText;
  const oldGeneration = stored.meta?.value.generation ?? 0;
  const generation = oldGeneration + 1;

  const puts: { key: string; value: string }[] = [];
  const deletes: string[] = [];
  const hosts: HostChange[] = [];
  const sliceGenerations: { host: string; generation: number }[] = [];
  const newHosts = modelHosts(model);
  for (const h of newHosts) {
    const slice = sliceForHost(model, h);
    const old = stored.slices.get(h);
    const same = old !== undefined && encodeValue(old.value.slice) === encodeValue(slice);
    if (same) {
      sliceGenerations.push({ host: h, generation: old.value.generation });
      hosts.push({ host: h, change: 'none', generation: old.value.generation, resources: [] });
      continue;
    }
    const desired: HostDesired = { generation, slice };
    puts.push({ key: keys.desired(h, topology), value: encodeValue(desired) });
    sliceGenerations.push({ host: h, generation });
    hosts.push({
      host: h,
      change: old ? 'update' : 'create',
      generation,
      resources: sliceChanges(old?.value.slice ?? null, slice),
    });
  }
  for (const [h, old] of stored.slices) {
    if (newHosts.includes(h)) continue;
    deletes.push(keys.desired(h, topology));
    hosts.push({ host: h, change: 'delete', generation: 0, resources: sliceChanges(old.value.slice, null) });
  }

  const newVnis: NewVni[] = [];
  const wanted = new Set<number>();
  for (const n of model.networks) {
    if (n.vni === null) continue;
    wanted.add(n.vni);
    const held = stored.vnis.get(n.vni);
    const record: VniRecord = { topology, network: n.name };
    if (held && held.value.topology !== topology) {
      throw new VniTakenError(
        n.vni,
        topology,
        n.name,
        `topology ${held.value.topology}, network ${held.value.network}`,
      );
    }
    if (held && held.value.network === n.name) continue;
    puts.push({ key: keys.vni(n.vni), value: encodeValue(record) });
    if (!held) newVnis.push({ vni: n.vni, key: keys.vni(n.vni), network: n.name });
  }
  for (const [vni, held] of stored.vnis) {
    if (held.value.topology === topology && !wanted.has(vni)) deletes.push(keys.vni(vni));
  }

  const changed = specChanged || puts.length > 0 || deletes.length > 0 || stored.meta === null;
  if (changed) {
    const meta: TopologyMeta = {
      generation,
      hosts: sliceGenerations.sort((a, b) => (a.host < b.host ? -1 : 1)),
      appliedBy: options.appliedBy ?? 'tenantnet',
      appliedAt: options.appliedAt ?? new Date().toISOString(),
      fileHash: options.fileHash ?? null,
    };
    puts.unshift({ key: keys.meta(topology), value: encodeValue(meta) });
    if (specChanged) puts.unshift({ key: keys.spec(topology), value: specText });
  }
  return {
    kind: 'apply',
    topology,
    revision: topologyRevision(stored),
    guard: guardOf(stored),
    generation: changed ? generation : oldGeneration,
    puts,
    deletes,
    newVnis,
    hosts: hosts.sort((a, b) => (a.host < b.host ? -1 : 1)),
    specChanged,
    changes: puts.length + deletes.length,
  };
}

/**
 * Plans the destroy of a topology in the store: delete its spec, meta, every slice and every VNI it
 * holds, guarded like an apply. A topology not in the store plans nothing. Pure.
 */
export function planDestroy(stored: StoredTopology): StorePlan {
  const keys = stored.keys;
  const topology = stored.topology;
  const deletes: string[] = [];
  if (stored.spec) deletes.push(keys.spec(topology));
  if (stored.meta) deletes.push(keys.meta(topology));
  const hosts: HostChange[] = [];
  for (const [h, old] of [...stored.slices].sort(([a], [b]) => (a < b ? -1 : 1))) {
    deletes.push(keys.desired(h, topology));
    hosts.push({ host: h, change: 'delete', generation: 0, resources: sliceChanges(old.value.slice, null) });
  }
  for (const [vni, held] of [...stored.vnis].sort(([a], [b]) => a - b)) {
    if (held.value.topology === topology) deletes.push(keys.vni(vni));
  }
  return {
    kind: 'destroy',
    topology,
    revision: topologyRevision(stored),
    guard: guardOf(stored),
    generation: 0,
    puts: [],
    deletes,
    newVnis: [],
    hosts,
    specChanged: stored.spec !== null,
    changes: deletes.length,
  };
}

function guardOf(stored: StoredTopology): StorePlan['guard'] {
  return {
    specKey: stored.keys.spec(stored.topology),
    spec: stored.spec?.modRevision ?? 0,
    metaKey: stored.keys.meta(stored.topology),
    meta: stored.meta?.modRevision ?? 0,
  };
}
