// The one Observation of a deployment's plan, with one addition: an integration bridge that does not
// exist yet is seen as an empty bridge about to be made (the plan makes it first, in phase `bridge`),
// so every layer plans its ports against it in the same plan instead of failing on a missing bridge.
// Neutron's OVS agent makes br-int at start-up for the same reason.
import type { NetnsPrefix } from '../net/naming.js';
import type { OvsObservation, OwnerFilter } from '../ovs/observe.js';
import type { Executors } from '../reconcile/executors.js';
import { Observation } from '../reconcile/observation.js';

/** Options of a {@link DeploymentObservation}. */
export interface DeploymentObservationOptions {
  /** The integration bridge (null: the backend has none). */
  readonly bridge: string | null;
  /** The datapath a bridge about to be made is planned for (default `netdev`). */
  readonly datapath?: 'system' | 'netdev';
}

const PLANNED_UUID = '00000000-0000-4000-8000-000000000000';

/**
 * An {@link Observation} whose switch reads show the integration bridge even before it exists (empty,
 * unowned, of the planned datapath). `switchRead` is the read as the switch answered it.
 */
export class DeploymentObservation extends Observation {
  private readonly seen = new Map<string, Promise<OvsObservation | null>>();

  constructor(
    executors: Executors,
    private readonly opts: DeploymentObservationOptions,
  ) {
    super(executors);
  }

  /** The namespace prefix of the host (shortcut). */
  get prefix(): NetnsPrefix {
    return this.executors.host.netnsPrefix;
  }

  /** The switch's rows as they are (no planned bridge added); null without Open vSwitch. */
  switchRead(filter: OwnerFilter): Promise<OvsObservation | null> {
    return super.ovs(filter);
  }

  override ovs(filter: OwnerFilter): Promise<OvsObservation | null> {
    const key = 'owner' in filter ? `=${filter.owner}` : `^${filter.ownerPrefix}`;
    let read = this.seen.get(key);
    if (!read) {
      read = super.ovs(filter).then((o) => {
        const bridge = this.opts.bridge;
        if (!o || bridge === null) return o;
        if (o.bridges.some((b) => b.name === bridge) || o.otherBridges.some((b) => b.name === bridge))
          return o;
        const settings = {
          datapathType: this.opts.datapath ?? 'netdev',
          failMode: 'standalone',
          protocols: [],
          otherConfig: {},
        };
        return { ...o, otherBridges: [...o.otherBridges, { uuid: PLANNED_UUID, name: bridge, settings }] };
      });
      this.seen.set(key, read);
    }
    return read;
  }

  override forget(): void {
    this.seen.clear();
    super.forget();
  }
}
