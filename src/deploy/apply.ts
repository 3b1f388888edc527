// Applying and destroying one host's deployment of a topology: plan over one observation, apply in
// the engine's phases under the host's apply lock, then the DHCP clients of instances (after their
// networks' dnsmasq is up), and record the applied model. Destroy plans towards an empty model from
// what the marks and the recorded model say. Neutron: the agents' full sync, and their teardown.
import { instanceSpecs } from '../instance/desired.js';
import { observeInstance } from '../instance/observe.js';
import { planInstanceClients } from '../instance/plan.js';
import type { Model } from '../model/types.js';
import { type TopologyName, topologyName } from '../net/ownership.js';
import { type ApplyEvent, type ApplyResult, applyChanges } from '../reconcile/apply.js';
import type { Executors } from '../reconcile/executors.js';
import { DEFAULT_APPLY_LOCK_WAIT_MS, takeApplyLock } from '../reconcile/lock.js';
import { Observation } from '../reconcile/observation.js';
import type { Change } from '../reconcile/step.js';
import { DeploymentObservation } from './observation.js';
import { type DeploymentOptions, type DeploymentPlan, emptyModel, planDeployment } from './plan.js';
import { forgetTopology, readRecordedModel, writeRecordedModel } from './record.js';

/** Options of {@link applyDeployment} and {@link destroyDeployment}. */
export interface DeploymentApplyOptions extends DeploymentOptions {
  /** Every engine event, synchronously (both rounds). */
  readonly onProgress?: (event: ApplyEvent) => void;
  /** How long to wait for another apply holding the host's lock (ms; default 60 s). */
  readonly lockWaitMs?: number;
}

/** What applying (or destroying) a deployment did. */
export interface DeploymentResult {
  /** State-changing operations sent, both rounds (0: the host was already as asked). */
  readonly changes: number;
  /** Every change planned (both rounds). */
  readonly planned: readonly Change[];
  /** True when every change is done. */
  readonly ok: boolean;
  /** The engine's result of each round that ran (the DHCP clients' second). */
  readonly results: readonly ApplyResult[];
}

/** The first failed change of a result, as `kind name: message` (what a person reads). */
export function firstFailure(result: DeploymentResult): string | null {
  for (const r of result.results) {
    for (const o of r.outcomes) {
      if (o.status === 'failed') {
        const msg = o.error instanceof Error ? o.error.message : String(o.error);
        return `${o.change.resource.kind} ${o.change.resource.name}: ${msg}`;
      }
    }
  }
  return null;
}

async function run(
  plan: { changes: readonly Change[]; clients: () => Promise<readonly Change[]> },
  executors: Executors,
  opts: DeploymentApplyOptions,
  lock: Awaited<ReturnType<typeof takeApplyLock>>,
): Promise<DeploymentResult> {
  const results: ApplyResult[] = [];
  const apply = async (changes: readonly Change[]) => {
    if (changes.length === 0) return;
    results.push(
      await applyChanges(changes, executors, {
        lock,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      }),
    );
  };
  await apply(plan.changes);
  const first = results[0];
  const clients = first === undefined || first.ok ? await plan.clients() : [];
  await apply(clients);
  return {
    changes: results.reduce((n, r) => n + r.changes, 0),
    planned: [...plan.changes, ...clients],
    ok: results.every((r) => r.ok),
    results,
  };
}

/**
 * The DHCP clients still needed after the first round: a fresh read of the instances the plan had a
 * client for (the first round touches no other instance's address), so the cost follows the
 * instances that need a lease, not the topology's size.
 */
async function clientsAfter(plan: DeploymentPlan, executors: Executors): Promise<readonly Change[]> {
  const needed = new Set(
    plan.clients.filter((c) => c.resource.kind === 'instance').map((c) => c.resource.name),
  );
  if (needed.size === 0) return [];
  const obs = new DeploymentObservation(executors, { bridge: null });
  const specs = instanceSpecs(plan.model, plan.driver, executors.host.netnsPrefix).filter(
    (s) => s.address === 'dhcp' && needed.has(s.owner.name),
  );
  const pairs = await Promise.all(
    specs.map(async (spec) => ({ spec, observed: await observeInstance(spec, obs, plan.driver) })),
  );
  return planInstanceClients(pairs, executors.host);
}

/**
 * Converges this host to `model`: under the host's apply lock, plans the deployment
 * ({@link planDeployment}: one observation, every layer), applies it, then runs the DHCP clients of
 * instances that do not hold their address yet, and, when everything is done, records the model
 * (`<stateDir>/topologies/<topology>/model.json`: the `previous` of the next build and what
 * `destroy` and `cleanup` know the topology by). An unchanged host sends nothing (`changes: 0`).
 * A failure leaves what was done in place for the next apply to finish; the result says which change
 * failed ({@link firstFailure}).
 *
 * @throws the planners' errors, before anything runs; `ApplyLockTimeoutError`
 */
export async function applyDeployment(
  model: Model,
  executors: Executors,
  opts: DeploymentApplyOptions = {},
): Promise<DeploymentResult> {
  const lock = await takeApplyLock(executors.host.stateDir, opts.lockWaitMs ?? DEFAULT_APPLY_LOCK_WAIT_MS);
  try {
    return await lock.within(async () => {
      const plan = await planDeployment(model, executors, opts);
      const result = await run(
        { changes: plan.changes, clients: () => clientsAfter(plan, executors) },
        executors,
        opts,
        lock,
      );
      if (result.ok) await writeRecordedModel(executors.files, executors.host.stateDir, model);
      return result;
    });
  } finally {
    lock.release();
  }
}

/** Does the switch hold rows of `topology`? (Which backend a topology without a record used.) */
async function usesOvs(executors: Executors, topology: TopologyName): Promise<boolean> {
  const ovs = await executors.ovs().catch(() => null);
  if (!ovs) return false;
  const seen = await ovs.observe({ ownerPrefix: `${topology}.` });
  return seen.bridges.some((b) => b.ports.length > 0);
}

/** How long a destroy waits for the kernel to finish tearing namespaces down. */
const TEARDOWN_WAIT_MS = 3_000;

/**
 * `ip netns del` returns before the kernel has destroyed the namespace's devices and the far ends of
 * their veths (the `tap` host ends of instances, which go with the namespace): reads the host
 * place's links every few milliseconds until none carries the topology's mark (at most `waitMs`,
 * default 3 s), so a destroy returns with the host clean and a topology applied again at once finds
 * nothing in its way. True when none is left.
 */
export async function untilLinksGone(
  x: Executors,
  topology: TopologyName,
  waitMs = TEARDOWN_WAIT_MS,
): Promise<boolean> {
  const end = Date.now() + waitMs;
  for (;;) {
    const links = (await new Observation(x).links('host')) ?? [];
    if (!links.some((l) => l.owner?.startsWith(`${topology}.`))) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Plans the removal of everything `topology` made on this host (a plan towards an empty model, from
 * the marks and the recorded model). Changes nothing.
 */
export async function planDestroy(
  topology: string,
  executors: Executors,
  opts: DeploymentOptions = {},
): Promise<DeploymentPlan> {
  const t = topologyName(topology, 'topology');
  const recorded = await readRecordedModel(executors.files, executors.host.stateDir, t);
  const backend = recorded?.backend ?? ((await usesOvs(executors, t)) ? 'ovs' : 'linuxbridge');
  return planDeployment(emptyModel(t, backend), executors, opts);
}

/**
 * Removes everything `topology` made on this host and nothing else: namespaces (their switch rows
 * first), dnsmasq and its files, network bridges, its firewall chains and sets, and its record.
 * Running it again (or on a topology never applied) does nothing and succeeds.
 *
 * @throws {InvalidInputError} for a bad topology name, before anything runs; `ApplyLockTimeoutError`
 */
export async function destroyDeployment(
  topology: string,
  executors: Executors,
  opts: DeploymentApplyOptions = {},
): Promise<DeploymentResult> {
  const t = topologyName(topology, 'topology');
  const lock = await takeApplyLock(executors.host.stateDir, opts.lockWaitMs ?? DEFAULT_APPLY_LOCK_WAIT_MS);
  try {
    return await lock.within(async () => {
      const plan = await planDestroy(t, executors, opts);
      let result = await run({ changes: plan.changes, clients: async () => [] }, executors, opts, lock);
      if (result.ok && !(await untilLinksGone(executors, t))) {
        // A namespace held past its deletion (a socket of a process that lived there) keeps the
        // host ends of its veths: removed as links whose namespace is gone.
        const again = await planDestroy(t, executors, opts);
        const second = await run({ changes: again.changes, clients: async () => [] }, executors, opts, lock);
        result = {
          changes: result.changes + second.changes,
          planned: [...result.planned, ...second.planned],
          ok: second.ok,
          results: [...result.results, ...second.results],
        };
        await untilLinksGone(executors, t);
      }
      if (result.ok) await forgetTopology(executors.files, executors.host.stateDir, t);
      return result;
    });
  } finally {
    lock.release();
  }
}
