// The desired-state model: plain typed data, its validation and allocation (no I/O, no YAML).
export { DEFAULT_VNI_RANGE, type VniRange } from './allocate.js';
export { type BuildOptions, buildModel } from './build.js';
export { canonicalJson, canonicalModelJson } from './canonical.js';
export { ModelError } from './errors.js';
export {
  dhcpPortName,
  gatewayPortName,
  hostDhcpPortName,
  instancePortName,
  interfacePortName,
  subnetName,
} from './names.js';
export { type HostUnderlay, VXLAN_OVERHEAD } from './placement.js';
export { modelHosts, networkHostsOf, type Slice, sliceForHost } from './slice.js';
export type * from './types.js';
