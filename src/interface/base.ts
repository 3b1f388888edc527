// What every driver shares: turning pieces into changes, and the imperative verbs as those plans
// applied (with the roll-back of what a failed plug created). Neutron: LinuxInterfaceDriver's plug()
// (plug_new or MTU on replug), unplug(), set_mtu().
import { type Mtu, mtu } from '../net/types.js';
import { Observation } from '../reconcile/observation.js';
import type { Change, ResourceRef } from '../reconcile/step.js';
import { applyOrThrow } from './apply.js';
import type {
  ApplyWith,
  InterfaceDriver,
  NetworkObserved,
  PlugLayout,
  PlugNetwork,
  PlugObserved,
  PlugOutcome,
  PlugRequest,
  PlugResult,
  PlugTarget,
} from './driver.js';
import { plugRequest, plugTarget } from './layout.js';
import { type Piece, type PiecesPlan, planPieces } from './pieces.js';
import type { StepList } from './steps.js';
import { mtuPieces, unplugPieces } from './unplug.js';

/** A plan together with what it creates (for a roll-back) and the pieces it was made from. */
export interface DetailedPlan {
  readonly changes: Change[];
  readonly created: ReadonlySet<string>;
  readonly pieces: readonly Piece[];
}

function ref(o: ResourceRef): ResourceRef {
  return { topology: o.topology, kind: o.kind, name: o.name };
}

/**
 * The changes of a pieces plan for one resource: a `delete` change for what must be replaced, then
 * the create/update change. Pure.
 */
export function changesOf(
  resource: ResourceRef,
  plan: PiecesPlan,
  summary: string,
  after?: readonly ResourceRef[],
): Change[] {
  const out: Change[] = [];
  const r = ref(resource);
  if (!plan.remove.empty) {
    out.push({
      resource: r,
      action: 'delete',
      summary: `- ${label(r)}: replace ${summary}`,
      steps: plan.remove.steps(),
    });
  }
  if (!plan.apply.empty) {
    const action = plan.existed ? 'update' : 'create';
    out.push({
      resource: r,
      action,
      summary: `${action === 'create' ? '+' : '~'} ${label(r)}: ${summary}`,
      steps: plan.apply.steps(),
      ...(after && after.length > 0 ? { after: after.map(ref) } : {}),
    });
  }
  return out;
}

/** A delete change of the given steps, or none when they are empty. Pure. */
export function deleteChange(resource: ResourceRef, steps: StepList, summary: string): Change[] {
  if (steps.empty) return [];
  const r = ref(resource);
  return [{ resource: r, action: 'delete', summary: `- ${label(r)}: ${summary}`, steps: steps.steps() }];
}

function label(r: ResourceRef): string {
  return `${r.kind} ${r.name}`;
}

/** The shared half of every driver: planners over pieces, and the imperative verbs. */
export abstract class PieceDriver implements InterfaceDriver {
  abstract readonly kind: 'ovs' | 'linuxbridge' | 'null';
  abstract layout(target: PlugTarget & { readonly network?: PlugNetwork }): PlugLayout;
  abstract observeNetwork(obs: Observation, network: PlugNetwork): Promise<NetworkObserved>;
  abstract observePlug(obs: Observation, target: PlugTarget): Promise<PlugObserved>;
  /** The network's pieces (its `brq`), none for most drivers. */
  protected abstract networkPieces(network: PlugNetwork, observed: NetworkObserved): Piece[];
  /** The plug's pieces; `req` lacks network and MTU when unplugging or changing the MTU. */
  protected abstract plugPieces(
    req: PlugTarget & Partial<Pick<PlugRequest, 'network' | 'mtu'>>,
    observed: PlugObserved,
  ): Piece[];
  /** Checks made before planning a plug (the OVS driver's bridge). */
  protected preflight(_req: PlugRequest, _observed: PlugObserved): void {}

  /** {@link InterfaceDriver.planNetwork} with what the plan creates. */
  networkPlan(network: PlugNetwork, observed: NetworkObserved): DetailedPlan {
    const pieces = this.networkPieces(network, observed);
    if (pieces.length === 0) return { changes: [], created: new Set(), pieces };
    const plan = planPieces(pieces, { host: observed.host, target: null });
    return { changes: changesOf(network.owner, plan, 'Linux bridge'), created: plan.created, pieces };
  }

  planNetwork(network: PlugNetwork, observed: NetworkObserved): Change[] {
    return this.networkPlan(network, observed).changes;
  }

  planNetworkRemoval(network: PlugNetwork, observed: NetworkObserved): Change[] {
    const pieces = this.networkPieces(network, observed);
    const steps = unplugPieces(pieces, { host: observed.host, target: null });
    return deleteChange(network.owner, steps, 'Linux bridge');
  }

  /** {@link InterfaceDriver.planPlug} with what the plan creates. */
  plugPlan(req: PlugRequest, observed: PlugObserved): DetailedPlan {
    this.preflight(req, observed);
    const pieces = this.plugPieces(req, observed);
    const plan = planPieces(pieces, observed);
    const layout = this.layout(req);
    const after = this.kind === 'linuxbridge' ? [req.network.owner] : [];
    const summary = `${this.kind} ${layout.style} ${req.device} in ${req.namespace}`;
    return { changes: changesOf(req.port.owner, plan, summary, after), created: plan.created, pieces };
  }

  planPlug(req: PlugRequest, observed: PlugObserved): Change[] {
    return this.plugPlan(req, observed).changes;
  }

  planUnplug(target: PlugTarget, observed: PlugObserved): Change[] {
    const steps = unplugPieces(this.plugPieces(target, observed), observed);
    return deleteChange(target.port.owner, steps, `${target.device} in ${target.namespace}`);
  }

  planMtu(target: PlugTarget, value: Mtu, observed: PlugObserved): Change[] {
    const steps = mtuPieces(this.plugPieces({ ...target, mtu: value }, observed), observed, value);
    if (steps.empty) return [];
    const r = ref(target.port.owner);
    return [{ resource: r, action: 'update', summary: `~ ${label(r)}: MTU ${value}`, steps: steps.steps() }];
  }

  async plug(req: PlugRequest, opts: ApplyWith): Promise<PlugResult> {
    const r = plugRequest(req);
    const layout = this.layout(r);
    const obs = new Observation(opts.executors);
    const [net, seen] = await Promise.all([this.observeNetwork(obs, r.network), this.observePlug(obs, r)]);
    const network = this.networkPlan(r.network, net);
    const port = this.plugPlan(r, seen);
    const planned = [...network.changes, ...port.changes];
    if (planned.length === 0) return { layout, planned, operations: 0 };
    try {
      const operations = await applyOrThrow(planned, opts.executors);
      return { layout, planned, operations };
    } catch (e) {
      await this.rollBack(r, network, port, opts).catch(() => {});
      throw e;
    }
  }

  /** Removes what a failed plug created (read again: the failure may have happened anywhere). */
  private async rollBack(req: PlugRequest, network: DetailedPlan, port: DetailedPlan, opts: ApplyWith) {
    if (network.created.size + port.created.size === 0) return;
    const obs = new Observation(opts.executors);
    const [net, seen] = await Promise.all([
      this.observeNetwork(obs, req.network),
      this.observePlug(obs, req),
    ]);
    const undo = [
      ...deleteChange(req.port.owner, unplugPieces(port.pieces, seen, port.created), 'roll back'),
      ...deleteChange(
        req.network.owner,
        unplugPieces(network.pieces, { host: net.host, target: null }, network.created),
        'roll back',
      ),
    ];
    if (undo.length > 0) await applyOrThrow(undo, opts.executors);
  }

  async unplug(target: PlugTarget, opts: ApplyWith): Promise<PlugOutcome> {
    const t = plugTarget(target);
    const obs = new Observation(opts.executors);
    const planned = this.planUnplug(t, await this.observePlug(obs, t));
    const operations = planned.length === 0 ? 0 : await applyOrThrow(planned, opts.executors);
    return { planned, operations };
  }

  async setMtu(target: PlugTarget, value: Mtu, opts: ApplyWith): Promise<PlugOutcome> {
    const t = plugTarget(target);
    const m = mtu(value, 'mtu');
    const obs = new Observation(opts.executors);
    const planned = this.planMtu(t, m, await this.observePlug(obs, t));
    const operations = planned.length === 0 ? 0 : await applyOrThrow(planned, opts.executors);
    return { planned, operations };
  }
}
