// Host cleanup: everything carrying tenantnet's marks that no recorded topology wants — namespaces of
// the name scheme (with the `lo` mark), switch rows and host links by their owner marks, dnsmasq and
// its files by their directory under the state directory, firewall chains and sets with the
// topology or by a prefix no known topology has — removed as a destroy of each topology found that way, and nothing else.
// Neutron: neutron-netns-cleanup and neutron-ovs-cleanup in one.
import { posix } from 'node:path';
import { clientScriptPath } from '../instance/script.js';
import { parseNamespace } from '../net/naming.js';
import { parseOwnerMark, type TopologyName, topologyName } from '../net/ownership.js';
import { type ApplyEvent, applyChanges } from '../reconcile/apply.js';
import type { Executors } from '../reconcile/executors.js';
import { DEFAULT_APPLY_LOCK_WAIT_MS, takeApplyLock } from '../reconcile/lock.js';
import { Observation } from '../reconcile/observation.js';
import type { Change } from '../reconcile/step.js';
import { planDestroy, untilLinksGone } from './apply.js';
import { planOrphanFirewalls } from './orphans.js';
import type { DeploymentOptions } from './plan.js';
import { forgetTopology, recordedTopologies, topologiesDir } from './record.js';

/** Options of {@link cleanupHost}. */
export interface CleanupOptions extends DeploymentOptions {
  /** Plan only: report what would be removed, change nothing. */
  readonly dryRun?: boolean;
  readonly onProgress?: (event: ApplyEvent) => void;
  readonly lockWaitMs?: number;
}

/** What cleanup found (and, unless a dry run, removed). */
export interface CleanupResult {
  /** Topologies with marks on the host and no record: everything of theirs goes. */
  readonly topologies: readonly string[];
  /** Topologies with a record (left alone). */
  readonly kept: readonly string[];
  /** One line per change (what was, or would be, removed). */
  readonly removed: readonly string[];
  /** State-changing operations sent (0 on a dry run). */
  readonly changes: number;
  readonly ok: boolean;
  readonly dryRun: boolean;
}

function topologyOf(text: string | null | undefined): TopologyName | null {
  if (!text) return null;
  try {
    return topologyName(text);
  } catch {
    return null;
  }
}

/** One trace of a topology on the host: what carries its mark, and where. */
export interface Trace {
  readonly topology: TopologyName;
  /** `namespace NAME`, `dnsmasq directory DIR`, `OVS port NAME on BRIDGE`, `link NAME`, `record DIR`. */
  readonly what: string;
}

/**
 * Everything on this host that carries a topology's mark: namespaces of the name scheme, dnsmasq
 * directories, switch rows, host-place links, records under the state directory. Read-only.
 */
export async function tracesOnHost(obs: Observation): Promise<Trace[]> {
  const x = obs.executors;
  const prefix = x.host.netnsPrefix;
  const out: Trace[] = [];
  const add = (t: TopologyName | null, what: string) => {
    if (t) out.push({ topology: t, what });
  };
  const [namespaces, dhcpDirs, rows, host, records] = await Promise.all([
    obs.namespaces(),
    x.files.list(posix.join(x.host.stateDir, 'dhcp')),
    obs.ovs({ ownerPrefix: '' }).catch(() => null),
    obs.namespace('host'),
    x.files.list(topologiesDir(x.host.stateDir)),
  ]);
  for (const n of namespaces) add(parseNamespace(n, prefix)?.topology ?? null, `namespace ${n}`);
  for (const d of dhcpDirs) add(parseNamespace(d, prefix)?.topology ?? null, `dnsmasq directory ${d}`);
  for (const b of rows?.bridges ?? []) {
    for (const p of b.ports)
      add(topologyOf(parseOwnerMark(p.owner)?.topology), `OVS port ${p.name} on ${b.name}`);
    if (b.owner) add(topologyOf(parseOwnerMark(b.owner)?.topology), `OVS bridge ${b.name}`);
  }
  for (const l of host?.links ?? [])
    add(topologyOf(l.owner ? parseOwnerMark(l.owner)?.topology : null), `link ${l.name}`);
  for (const r of records) add(topologyOf(r), `record ${r}`);
  return out;
}

/** Topologies whose marks are on this host ({@link tracesOnHost}), sorted. */
export async function topologiesOnHost(obs: Observation): Promise<TopologyName[]> {
  return [...new Set((await tracesOnHost(obs)).map((t) => t.topology))].sort();
}

/**
 * Removes everything any tenantnet topology left on this host that no recorded topology wants
 * (stale leftovers of crashed runs included): every topology found by its marks
 * ({@link topologiesOnHost}) and not recorded under the state directory is destroyed, its record
 * directory removed; when no topology is recorded any more, the instances' DHCP client script goes
 * too. Foreign namespaces, switch ports, links and rules carry no mark of tenantnet's and are never
 * touched; neither are recorded topologies.
 */
export async function cleanupHost(executors: Executors, opts: CleanupOptions = {}): Promise<CleanupResult> {
  const x = executors;
  const lock = opts.dryRun
    ? null
    : await takeApplyLock(x.host.stateDir, opts.lockWaitMs ?? DEFAULT_APPLY_LOCK_WAIT_MS);
  try {
    const work = async (): Promise<CleanupResult> => {
      const kept = await recordedTopologies(x.files, x.host.stateDir);
      const found = (await topologiesOnHost(new Observation(x))).filter((t) => !kept.includes(t));
      const changes: Change[] = [];
      for (const t of found) changes.push(...(await planDestroy(t, x, opts)).changes);
      changes.push(...(await planOrphanFirewalls(new Observation(x), [...kept, ...found])));
      const script = clientScriptPath(x.host.stateDir);
      const removeScript = kept.length === 0 && (await x.files.read(script)) !== null;
      const removed = changes.map((c) => c.summary);
      if (removeScript) removed.push(`- DHCP client script ${script}`);
      if (opts.dryRun) {
        return { topologies: found, kept, removed, changes: 0, ok: true, dryRun: true };
      }
      const result =
        changes.length === 0
          ? null
          : await applyChanges(changes, x, {
              ...(lock ? { lock } : {}),
              ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
            });
      if (result === null || result.ok) {
        for (const t of found) {
          if (!(await untilLinksGone(x, t))) {
            // Host ends of veths whose namespace is held past its deletion: removed by name.
            const again = (await planDestroy(t, x, opts)).changes;
            if (again.length > 0) await applyChanges(again, x, { ...(lock ? { lock } : {}) });
            await untilLinksGone(x, t);
          }
          await forgetTopology(x.files, x.host.stateDir, t);
        }
      }
      if (removeScript) await x.files.removeTree(posix.dirname(script));
      return {
        topologies: found,
        kept,
        removed,
        changes: (result?.changes ?? 0) + (removeScript ? 1 : 0),
        ok: result?.ok ?? true,
        dryRun: false,
      };
    };
    return lock ? await lock.within(work) : await work();
  } finally {
    lock?.release();
  }
}
