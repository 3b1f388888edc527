// The desired-state model: plain typed data, its validation and allocation (no I/O, no YAML).
export { type BuildOptions, buildModel } from './build.js';
export { canonicalModelJson } from './canonical.js';
export { ModelError } from './errors.js';
export { dhcpPortName, gatewayPortName, instancePortName, interfacePortName, subnetName } from './names.js';
export type * from './types.js';
