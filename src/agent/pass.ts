// One reconcile pass of the agent: for every slice the host's deployment (the same planners and
// engine as `tenantnet apply`) plus its overlay (VXLAN devices); topologies whose slice is gone torn
// down; then the FDB/neighbour pass over the owned VXLAN devices; then what the host publishes
// (its ports' l2pop keys) and its status. Neutron: the linuxbridge agent's rpc_loop iteration
// (scan_devices, treat_devices_added_updated, the l2pop fdb handlers) plus the DHCP and L3 agents'
// sync_state for this host.
import { readFile } from 'node:fs/promises';
import { applyDeployment, destroyDeployment, firstFailure, recordedTopologies } from '../deploy/index.js';
import { dhcpPaths } from '../dhcp/config.js';
import type { BridgeExecutor } from '../ip/bridge-batch.js';
import type { Slice } from '../model/slice.js';
import { namespaceFor } from '../net/naming.js';
import type { TopologyName } from '../net/ownership.js';
import type { DeviceName, IpAddress } from '../net/types.js';
import {
  applyL2pop,
  fdbDesired,
  observeFdb,
  overlayDriver,
  type PortEntry,
  type PublishedPort,
  planL2pop,
  publishedPorts,
} from '../overlay/index.js';
import { applyChanges } from '../reconcile/apply.js';
import type { Executors } from '../reconcile/executors.js';
import { Observation } from '../reconcile/observation.js';

/** One failed resource of a pass. */
export interface PassFailure {
  readonly resource: string;
  readonly error: string;
}

/** What a pass did for one topology. */
export interface TopologyOutcome {
  /** State-changing operations sent (0: the host already matched). */
  readonly changes: number;
  readonly failures: readonly PassFailure[];
  /** dnsmasq PIDs by network (live ones only). */
  readonly dhcp: readonly { readonly network: string; readonly pid: number }[];
  /** What was changed, one line per change (`+ instance web3: …`), for the log. */
  readonly done: readonly string[];
  /** The ports to publish (only when nothing failed: a port is published once plugged and up). */
  readonly published: readonly PublishedPort[] | null;
}

/** What a pass did. */
export interface PassResult {
  readonly topologies: ReadonlyMap<string, TopologyOutcome>;
  /** Topologies torn down because their slice is gone. */
  readonly removed: readonly string[];
  /** FDB and neighbour operations sent. */
  readonly fdbChanges: number;
  readonly fdbFailure: string | null;
  /** The owned VXLAN devices the FDB pass found (what the next FDB-only pass reads). */
  readonly owned: readonly DeviceName[];
}

/** What a pass needs. */
export interface PassContext {
  readonly host: string;
  readonly vtep: IpAddress;
  readonly executors: Executors;
  readonly bridge: BridgeExecutor;
  /** Restarts the host place's `bridge -batch` (after a failure that may come from a stale index). */
  readonly resetBridge?: () => Promise<void>;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Live dnsmasq PIDs of a slice's DHCP networks (their pidfiles, checked with signal 0). */
async function dhcpPids(slice: Slice, x: Executors): Promise<{ network: string; pid: number }[]> {
  const out: { network: string; pid: number }[] = [];
  for (const n of slice.networks) {
    if (!n.dhcp || !n.dhcpPort) continue;
    const ns = namespaceFor('dhcp', slice.topology, n.owner.name, x.host.netnsPrefix);
    const text = await readFile(dhcpPaths(x.host.stateDir, ns).pid, 'utf8').catch(() => '');
    const pid = Number.parseInt(text.trim(), 10);
    if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) out.push({ network: n.name, pid });
  }
  return out;
}

/** The deployment and overlay of one slice. */
async function applySlice(slice: Slice, ctx: PassContext): Promise<TopologyOutcome> {
  const x = ctx.executors;
  const failures: PassFailure[] = [];
  const done: string[] = [];
  let changes = 0;
  try {
    const driver = overlayDriver(slice.backend);
    const r = await applyDeployment(slice, x);
    changes += r.changes;
    done.push(...r.planned.map((c) => c.summary));
    if (!r.ok) failures.push({ resource: slice.topology, error: firstFailure(r) ?? 'a change was skipped' });
    const obs = new Observation(x);
    const planned = driver.plan(
      { topology: slice.topology, networks: slice.networks, host: { vtep: ctx.vtep } },
      await driver.observe(obs),
      slice.topology,
    );
    if (planned.length > 0) {
      const o = await applyChanges(planned, x);
      changes += o.changes;
      done.push(...planned.map((c) => c.summary));
      for (const c of o.outcomes) {
        if (c.status === 'failed') {
          failures.push({
            resource: `${c.change.resource.kind} ${c.change.resource.name}`,
            error: message(c.error),
          });
        }
      }
    }
  } catch (e) {
    failures.push({ resource: slice.topology, error: message(e) });
  }
  const dhcp = await dhcpPids(slice, x).catch(() => []);
  return {
    changes,
    done,
    failures,
    dhcp,
    published: failures.length === 0 ? publishedPorts(slice, ctx.vtep) : null,
  };
}

/** Tears down a topology this host applied whose slice is gone (deployment, then overlay). */
async function removeTopology(topology: TopologyName, ctx: PassContext): Promise<void> {
  const x = ctx.executors;
  const driver = overlayDriver('linuxbridge');
  const planned = driver.plan(null, await driver.observe(new Observation(x)), topology);
  if (planned.length > 0) await applyChanges(planned, x);
  await destroyDeployment(topology, x);
}

/**
 * Runs one pass over the host's slices (see the file header). Never throws for a resource that
 * fails: failures are in the result, and what was built stays.
 *
 * @param slices every slice of the host, by topology (only ones read and decoded)
 * @param keep topologies whose slice could not be read (garbage): left as they are, not torn down
 * @param entries every l2pop entry of the host's networks (any host)
 * @param only the topologies to apply (or tear down) in this pass, when only their slices changed;
 *   default every one (the others are left as they are and absent from the result)
 */
export async function runPass(
  slices: ReadonlyMap<string, Slice>,
  keep: ReadonlySet<string>,
  entries: readonly PortEntry[],
  ctx: PassContext,
  only?: ReadonlySet<string>,
): Promise<PassResult> {
  const x = ctx.executors;
  const topologies = new Map<string, TopologyOutcome>();
  const removed: string[] = [];
  for (const t of await recordedTopologies(x.files, x.host.stateDir)) {
    if (slices.has(t) || keep.has(t) || (only && !only.has(t))) continue;
    try {
      await removeTopology(t, ctx);
      removed.push(t);
    } catch (e) {
      topologies.set(t, {
        changes: 0,
        done: [],
        failures: [{ resource: t, error: `removal: ${message(e)}` }],
        dhcp: [],
        published: null,
      });
    }
  }
  for (const [t, slice] of [...slices].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (only && !only.has(t)) continue;
    topologies.set(t, await applySlice(slice, ctx));
  }

  const fdb = await runFdbPass(slices, entries, ctx);
  return { topologies, removed, fdbChanges: fdb.changes, fdbFailure: fdb.failure, owned: fdb.owned };
}

/**
 * The FDB pass alone (what a change of the other hosts' ports needs): the owned VXLAN devices' FDB and
 * neighbours brought to the ports the others publish. Never throws: a failure is in the result.
 */
export async function runFdbPass(
  slices: ReadonlyMap<string, Slice>,
  entries: readonly PortEntry[],
  ctx: PassContext,
  known?: readonly DeviceName[],
): Promise<{ changes: number; failure: string | null; owned: readonly DeviceName[] }> {
  const x = ctx.executors;
  let fdbChanges = 0;
  let fdbFailure: string | null = null;
  let owned: readonly DeviceName[] = [];
  const fx = { ip: x.ip, bridge: ctx.bridge, namespace: x.host.namespace };
  const fdbPass = async (devices?: readonly DeviceName[]) => {
    const state = devices
      ? await observeFdb(fx, devices)
      : await observeFdb(fx, (await new Observation(x).links('host')) ?? []);
    owned = state.owned;
    const plan = planL2pop(fdbDesired([...slices.values()], entries, ctx.host), state);
    return applyL2pop(fx, plan);
  };
  try {
    // The owned devices as the last full pass saw them spare a dump of every link of the host.
    fdbChanges = await fdbPass(known);
  } catch {
    // A long-lived `bridge -batch` keeps the index of a device deleted and made again behind it
    // ("unknown ifindex"): start a fresh one and try once more.
    await ctx.resetBridge?.();
    try {
      fdbChanges = await fdbPass();
    } catch (e) {
      fdbFailure = message(e);
    }
  }
  return { changes: fdbChanges, failure: fdbFailure, owned };
}
