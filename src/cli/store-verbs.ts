// The `--store` forms of plan, apply, destroy and status: the topology goes into etcd in one guarded
// transaction and each host's agent converges its slice; these verbs read and write the store only,
// never the local kernel. Neutron: the server API plus `openstack network agent list`.
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInputError } from '../errors.js';
import { topologyName } from '../net/index.js';
import {
  commitPlan,
  decodeMeta,
  decodeSpec,
  decodeStatus,
  destroyTopology,
  type HostStatus,
  readAgents,
  type Store,
  type StorePlan,
} from '../store/index.js';
import { loadTopology } from '../topology/index.js';
import type { Output } from './output.js';
import { buildAgainstStore, hostsJson, hostsText, hostsWithoutAgent, warnNoAgent } from './store.js';

/** `plan FILE --store`: the keys an apply would write, per host, at the revision read. */
export async function planWithStore(store: Store, file: string, out: Output): Promise<number> {
  const b = await buildAgainstStore(store, file);
  const missing = hostsWithoutAgent(b.plan, b.agents);
  warnNoAgent(out, missing);
  out.result(
    {
      topology: b.model.topology,
      revision: b.plan.revision,
      changes: b.plan.changes,
      hosts: hostsJson(b.plan),
      hostsWithoutAgent: missing,
    },
    (r) =>
      r.changes === 0
        ? `${r.topology}: nothing to do (the store matches the file) at revision ${r.revision}`
        : [
            `${r.topology}: ${r.changes} key(s) to write at revision ${r.revision} (apply --expect-revision ${r.revision})`,
            ...hostsText(b.plan),
          ].join('\n'),
  );
  return 0;
}

/** One host's answer to an apply, as `--wait` prints it. */
interface HostResult {
  readonly host: string;
  readonly generation: number;
  readonly state: 'converged' | 'failed' | 'no agent' | 'waiting';
  readonly observedGeneration: number | null;
  readonly failures: HostStatus['failures'];
}

async function hostResults(store: Store, topology: string, plan: StorePlan): Promise<HostResult[]> {
  const agents = await readAgents(store);
  const out: HostResult[] = [];
  for (const h of plan.hosts) {
    if (h.change === 'delete') continue;
    const got = await store.get(store.keys.status(h.host, topology));
    const s = got.entry ? decodeStatus(got.entry.key, got.entry.value) : null;
    const reached = s !== null && s.observedGeneration >= h.generation;
    out.push({
      host: h.host,
      generation: h.generation,
      observedGeneration: s?.observedGeneration ?? null,
      failures: reached ? s.failures : [],
      state: !agents.has(h.host)
        ? 'no agent'
        : !reached
          ? 'waiting'
          : s.failures.length > 0
            ? 'failed'
            : 'converged',
    });
  }
  return out;
}

/** Options of {@link applyWithStore}. */
export interface StoreApplyOptions {
  readonly expectRevision?: number;
  /** Seconds to wait for every host (undefined: do not wait). */
  readonly waitSeconds?: number;
}

/** `apply FILE --store`: one guarded transaction; with --wait, until every host reports. */
export async function applyWithStore(
  store: Store,
  file: string,
  opts: StoreApplyOptions,
  out: Output,
): Promise<number> {
  const b = await buildAgainstStore(store, file);
  warnNoAgent(out, hostsWithoutAgent(b.plan, b.agents));
  const committed = await commitPlan(store, b.plan, {
    ...(opts.expectRevision !== undefined ? { expectRevision: opts.expectRevision } : {}),
  });
  const topology = b.model.topology;
  let results: HostResult[] = [];
  let ok = true;
  if (opts.waitSeconds !== undefined) {
    const deadline = Date.now() + opts.waitSeconds * 1000;
    out.progress(`waiting up to ${opts.waitSeconds} s for every host`);
    for (;;) {
      results = await hostResults(store, topology, b.plan);
      const pending = results.some((r) => r.state === 'waiting');
      if (!pending || Date.now() >= deadline) break;
      await sleep(200);
    }
    ok = results.every((r) => r.state === 'converged');
  }
  out.result(
    {
      topology,
      revision: committed.revision,
      changes: committed.changes,
      generation: b.plan.generation,
      hosts: hostsJson(b.plan),
      ...(opts.waitSeconds !== undefined ? { results } : {}),
    },
    (r) =>
      [
        r.changes === 0
          ? `${topology}: nothing to do (the store matches the file)`
          : `${topology}: applied generation ${r.generation}, ${r.changes} key(s) at revision ${r.revision}`,
        ...(opts.waitSeconds === undefined ? hostsText(b.plan) : []),
        ...results.map(
          (h) =>
            `  ${h.host}: ${h.state}${h.state === 'waiting' ? ' (timed out)' : ''} (generation ${h.observedGeneration ?? '-'}/${h.generation})${h.failures.map((f) => `\n    ! ${f.resource}: ${f.error}`).join('')}`,
        ),
      ].join('\n'),
  );
  return ok ? 0 : 1;
}

/**
 * An `--expect-revision` value.
 *
 * @throws {InvalidInputError} for anything but a positive integer
 */
export function expectRevision(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[0-9]{1,15}$/.test(v) || !Number.isSafeInteger(n)) {
    throw new InvalidInputError(
      `--expect-revision: ${JSON.stringify(v)} is not a revision`,
      '--expect-revision',
    );
  }
  return n;
}

/** `destroy FILE --store`: spec, meta, slices and VNIs deleted in one guarded transaction. */
export async function destroyWithStore(store: Store, file: string, out: Output): Promise<number> {
  const loaded = await loadTopology(file);
  const name = topologyName(String((loaded.input as { name?: unknown }).name ?? ''), 'name');
  const r = await destroyTopology(store, name);
  out.result(
    { topology: name, changes: r.plan.changes, revision: r.committed?.revision ?? r.plan.revision },
    (x) =>
      x.changes === 0
        ? `${name}: nothing to do (not in the store)`
        : `${name}: removed from the store (${x.changes} key(s)); agents tear it down`,
  );
  return 0;
}

/** One host as `status --store` shows it. */
interface HostView {
  readonly host: string;
  readonly up: boolean;
  /** When its status was last written (down: roughly when it went). */
  readonly since: string | null;
  readonly generation: number;
  readonly observedGeneration: number | null;
  readonly failures: HostStatus['failures'];
  readonly dhcp: HostStatus['dhcp'];
  readonly portsUp: number;
  readonly state: string | null;
}

/** `status [FILE] --store`: per host up/down, generation, failures, dnsmasq PIDs, ports up; drift. */
export async function statusWithStore(store: Store, file: string | undefined, out: Output): Promise<number> {
  let names: string[];
  if (file !== undefined) {
    const loaded = await loadTopology(file);
    names = [topologyName(String((loaded.input as { name?: unknown }).name ?? ''), 'name')];
  } else {
    const keys = await store.list(store.keys.topologies(), { keysOnly: true });
    names = [
      ...new Set(
        keys.entries.flatMap((e) => {
          const k = store.keys.parse(e.key);
          return k?.kind === 'meta' ? [k.topology] : [];
        }),
      ),
    ].sort();
  }
  const agents = await readAgents(store);
  const topologies: unknown[] = [];
  const text: string[] = [];
  let healthy = true;
  for (const t of names) {
    const [metaGot, specGot] = await Promise.all([
      store.get(store.keys.meta(t)),
      store.get(store.keys.spec(t)),
    ]);
    if (!metaGot.entry || !specGot.entry) {
      topologies.push({ topology: t, present: false });
      text.push(`topology ${t}: not in the store`);
      healthy = false;
      continue;
    }
    const meta = decodeMeta(metaGot.entry.key, metaGot.entry.value);
    const spec = decodeSpec(specGot.entry.key, specGot.entry.value, t);
    const l2pop = await store.list(store.keys.l2popOfTopology(t), { keysOnly: true });
    const ports = new Map<string, number>();
    for (const e of l2pop.entries) {
      const k = store.keys.parse(e.key);
      if (k?.kind === 'l2pop') ports.set(k.host, (ports.get(k.host) ?? 0) + 1);
    }
    const hosts: HostView[] = [];
    for (const h of meta.hosts) {
      const got = await store.get(store.keys.status(h.host, t));
      const s = got.entry ? decodeStatus(got.entry.key, got.entry.value) : null;
      const a = agents.get(h.host);
      hosts.push({
        host: h.host,
        up: a !== undefined,
        since: a ? a.startedAt : (s?.at ?? null),
        generation: h.generation,
        observedGeneration: s?.observedGeneration ?? null,
        failures: s?.failures ?? [],
        dhcp: s?.dhcp ?? [],
        portsUp: ports.get(h.host) ?? 0,
        state: a?.state ?? null,
      });
    }
    const down = new Set(hosts.filter((h) => !h.up).map((h) => h.host));
    const routers = spec.routers.map((r) => ({
      name: r.name,
      host: r.host,
      up: r.host !== null && !down.has(r.host),
    }));
    const drift = hosts
      .filter((h) => (h.observedGeneration ?? 0) < h.generation)
      .map((h) => `${h.host}: at generation ${h.observedGeneration ?? '-'}, wanted ${h.generation}`);
    const ok = down.size === 0 && drift.length === 0 && hosts.every((h) => h.failures.length === 0);
    healthy &&= ok;
    topologies.push({ topology: t, generation: meta.generation, healthy: ok, hosts, routers, drift });
    text.push(`topology ${t} generation ${meta.generation}: ${ok ? 'healthy' : 'NOT healthy'}`);
    for (const h of hosts) {
      text.push(
        `  ${h.up ? 'up  ' : 'DOWN'} ${h.host}${h.up ? '' : ` since ${h.since ?? '?'}`} generation ${h.observedGeneration ?? '-'}/${h.generation} ports up ${h.portsUp}${h.dhcp.length ? ` dnsmasq ${h.dhcp.map((d) => `${d.network}:${d.pid}`).join(' ')}` : ''}`,
      );
      for (const f of h.failures) text.push(`        ! ${f.resource}: ${f.error}`);
    }
    for (const r of routers) {
      if (!r.up)
        text.push(`  router ${r.name} on ${r.host}: DOWN (host down; routers are not highly available)`);
    }
    for (const d of drift) text.push(`  drift: ${d}`);
  }
  out.result({ healthy, topologies }, () => (text.length ? text.join('\n') : 'no topology in the store'));
  return healthy ? 0 : 1;
}

/** A `--wait` value: seconds (default 30 when given bare). */
export function waitSeconds(v: string | boolean | undefined): number | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return 30;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 86400) {
    throw new InvalidInputError(
      `--wait: ${JSON.stringify(v)} is not a number of seconds (1-86400)`,
      '--wait',
    );
  }
  return n;
}
