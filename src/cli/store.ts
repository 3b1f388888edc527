// What the `--store` forms of the topology verbs share: the `--store`/`--store-prefix` options, the
// store opened from them, a topology file built against what the store holds (allocations sticky,
// other topologies' VNIs skipped, MTUs from the live agents' underlay; problems as FILE:LINE:COL),
// and the hosts' liveness. Neutron: the server side of `openstack … create` plus `network agent list`.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { TenantnetError } from '../errors.js';
import type { Model } from '../model/index.js';
import { OverlayBackendError } from '../overlay/index.js';
import {
  type AgentRecord,
  planStore,
  readAgents,
  readTopology,
  reservedVnis,
  Store,
  type StoredTopology,
  type StorePlan,
} from '../store/index.js';
import { buildTopology, loadTopology } from '../topology/index.js';
import type { Output } from './output.js';

/** The options every `--store` verb takes. */
export interface StoreCliOptions {
  store?: string;
  storePrefix?: string;
}

/** Adds `--store URL` and `--store-prefix P` to a verb. */
export function withStoreOptions<A extends unknown[], O extends OptionValues>(c: Command<A, O>) {
  return c
    .option('--store <url>', 'the etcd store of many hosts (etcd://host:port[,host:port…])')
    .option('--store-prefix <prefix>', 'the key prefix in the store (default /tenantnet/v1/)');
}

/**
 * Opens the store the options name (validated before anything is sent; connects on the first call).
 *
 * @throws {InvalidInputError} for a malformed URL or prefix (exit 2)
 */
export function openStore(o: { store: string; storePrefix?: string | undefined }): Promise<Store> {
  return Store.open({
    url: o.store,
    ...(o.storePrefix !== undefined ? { prefix: o.storePrefix } : {}),
    limits: { maxTxnOps: 1024, maxRequestBytes: 1_572_864 },
  });
}

/** Runs `fn` with the store open, closing it afterwards. */
export async function withStore<T>(
  o: { store: string; storePrefix?: string | undefined },
  fn: (s: Store) => Promise<T>,
): Promise<T> {
  const s = await openStore(o);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

/** A topology file built against the store, and the keys an apply would write. */
export interface StoreBuilt {
  readonly model: Model;
  readonly stored: StoredTopology;
  readonly plan: StorePlan;
  readonly agents: ReadonlyMap<string, AgentRecord>;
}

/**
 * Loads a topology file and plans it against the store (reads only): the stored spec keeps every
 * allocation, other topologies' VNIs are skipped, each host's MTU comes from its live agent.
 *
 * @throws {TopologyError} file problems as FILE:LINE:COL (exit 2)
 * @throws {OverlayBackendError} for `backend: ovs` (many hosts need linuxbridge)
 * @throws {StoreUnavailableError} and the other store errors
 */
export async function buildAgainstStore(store: Store, file: string): Promise<StoreBuilt> {
  const loaded = await loadTopology(file);
  // The file alone first: its problems are the user's, with positions, whatever the store holds.
  const alone = buildTopology(loaded);
  if (alone.model.backend !== 'linuxbridge') throw new OverlayBackendError(alone.model.backend);
  const agents = await readAgents(store);
  const stored = await readTopology(store, alone.model.topology);
  const { model } = buildTopology(loaded, {
    ...(stored.spec ? { previous: stored.spec.value } : {}),
    reservedVnis: reservedVnis(stored),
    underlay: new Map([...agents].map(([h, a]) => [h, { mtu: a.underlayMtu, family: a.underlayFamily }])),
  });
  if (model.instances.some((i) => i.host === null) || model.routers.some((r) => r.host === null)) {
    throw new TenantnetError(
      `${file}: every instance and router needs a host on many hosts (set host: on each, or defaults: {host: …})`,
    );
  }
  const text = await readFile(file);
  const plan = planStore(model, stored, {
    appliedBy: `${userInfo().username}@${hostname()}`,
    appliedAt: new Date().toISOString(),
    fileHash: createHash('sha256').update(text).digest('hex'),
  });
  return { model, stored, plan, agents };
}

/** The hosts of a plan that have no live agent (they converge when their agent starts). */
export function hostsWithoutAgent(plan: StorePlan, agents: ReadonlyMap<string, unknown>): string[] {
  return plan.hosts.filter((h) => h.change !== 'delete' && !agents.has(h.host)).map((h) => h.host);
}

/** The per-host part of a plan, as JSON. */
export function hostsJson(plan: StorePlan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const h of plan.hosts) {
    out[h.host] = {
      change: h.change,
      generation: h.generation,
      resources: h.resources.map((r) => `${r.change} ${r.kind} ${r.name}`),
    };
  }
  return out;
}

/** The per-host part of a plan, as text lines. */
export function hostsText(plan: StorePlan): string[] {
  const out: string[] = [];
  for (const h of plan.hosts) {
    if (h.change === 'none') continue;
    out.push(`  ${h.host}: ${h.change}`);
    for (const r of h.resources) out.push(`    ${r.change} ${r.kind} ${r.name}`);
  }
  return out;
}

/** Warns about hosts without a live agent. */
export function warnNoAgent(out: Output, hosts: readonly string[]): void {
  for (const h of hosts) out.warn(`host ${h} has no live agent: it converges when its agent starts`);
}
