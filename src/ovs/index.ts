export { type BridgeOptions, OvsBridge, type PortInfo, type VifPort } from './bridge.js';
export { BridgeNotFoundError } from './errors.js';
export {
  addFlowLine,
  COOKIE_ANY,
  type FlowEntry,
  type FlowFilter,
  type FlowMatch,
  type FlowSpec,
  filterLine,
  OfctlFlows,
  type OfctlFlowsOptions,
  parseDumpFlows,
} from './flows.js';
export { type InterfaceEvent, type InterfaceEvents, InterfaceMonitor } from './interface-monitor.js';
export { byName, type CleanupReport, type DatapathType, Ovs, type OvsOptions } from './ovs.js';
export * from './ovsdb/index.js';
export { AlwaysPoll, InterfacePollingMinimizer, PollingManager, type UpdateSource } from './polling.js';
export {
  addPortOps,
  deletePortOps,
  type PortSpec,
  type VifPortSpec,
  type VlanMode,
  validatePortSpec,
  vifPortSpec,
} from './ports.js';
export { DEAD_VLAN_TAG, OWNER_KEY, ovsName, stringMap, vlanTag } from './validate.js';
