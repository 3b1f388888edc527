// The overlay layer's public face (tenantnet/overlay): per network on a host a VXLAN device in its
// Linux bridge, and l2pop (FDB and permanent neighbours from the ports other hosts publish).
// Neutron: the linuxbridge agent's VXLAN code and the l2pop mechanism driver.
export { type Backend, linuxBridgeOverlay, type OverlayDriver, overlayDriver } from './driver.js';
export { OverlayBackendError, OverlayConflictError } from './errors.js';
export {
  applyL2pop,
  type FdbExecutors,
  type FdbState,
  fdbDesired,
  observeFdb,
  type PortEntry,
  type PublishedPort,
  planL2pop,
  publishedPorts,
} from './l2pop.js';
export { isOwnedVxlan, vxlanDevice } from './names.js';
export { type OverlayObserved, observeOverlay, parseVxlanDetails } from './observe.js';
export { planOverlay } from './plan.js';
export { type OverlayDesired, type OverlayHost, VXLAN_PORT, type VxlanDetails } from './types.js';
