// The overlay's driver seam: what builds a host's side of the tunnels for a backend. The Linux bridge
// driver (kernel VXLAN devices in `brq` bridges, l2pop through FDB and neighbours) is the one there
// is; an OVS driver (a flow-based `remote_ip=flow` VXLAN port with l2pop flows) can follow.
// Neutron: the linuxbridge and openvswitch agents' tunnel code behind one l2pop RPC.
import type { Model } from '../model/types.js';
import type { Observation } from '../reconcile/observation.js';
import type { Change } from '../reconcile/step.js';
import { OverlayBackendError } from './errors.js';
import { type OverlayObserved, observeOverlay } from './observe.js';
import { planOverlay } from './plan.js';
import type { OverlayDesired } from './types.js';

/** A topology's backend. */
export type Backend = Model['backend'];

/** One backend's overlay: observe the host place, plan the devices of a topology's networks. */
export interface OverlayDriver {
  readonly kind: Backend;
  observe(obs: Observation): Promise<OverlayObserved>;
  /** Pure: the changes that bring the topology's overlay to `desired` (null: remove it). */
  plan(desired: OverlayDesired | null, observed: OverlayObserved, topology: string): Change[];
}

/** The Linux bridge overlay: `vx-<network id>` devices in the networks' `brq` bridges. */
export const linuxBridgeOverlay: OverlayDriver = {
  kind: 'linuxbridge',
  observe: observeOverlay,
  plan: planOverlay,
};

/**
 * The overlay driver of a backend.
 *
 * @throws {OverlayBackendError} for `ovs` (not built yet: many hosts need `backend: linuxbridge`)
 */
export function overlayDriver(backend: Backend): OverlayDriver {
  if (backend === 'linuxbridge') return linuxBridgeOverlay;
  throw new OverlayBackendError(backend);
}
