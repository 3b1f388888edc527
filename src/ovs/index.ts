// The Open vSwitch layer's public face (Neutron: agent/common/ovs_lib, ovsdb_monitor, polling).
export { OvsBridge, type PortInfo, type VifPort } from './bridge.js';
export {
  addBridgeOps,
  BRIDGE_SETTINGS_COLUMNS,
  type BridgeOptions,
  type BridgeSettings,
  bridgeColumns,
  bridgeSettings,
  bridgeSettingsOps,
  type DatapathType,
  deleteBridgeOps,
  ensureBridgeOps,
  type OpenFlowVersion,
  requireBridgeOp,
  validateBridgeOptions,
} from './bridge-ops.js';
export { BridgeNotFoundError } from './errors.js';
export {
  addFlowLine,
  COOKIE_ANY,
  type FlowEntry,
  type FlowFilter,
  type FlowMatch,
  type FlowSpec,
  filterLine,
  flowKeys,
  modFlowLine,
  OfctlFlows,
  type OfctlFlowsOptions,
  parseDumpFlows,
} from './flows.js';
export {
  type InterfaceEvent,
  type InterfaceEvents,
  InterfaceMonitor,
  type InterfaceMonitorOptions,
} from './interface-monitor.js';
export { ovsdbIdentifier, ovsName } from './names.js';
export {
  type ObservedBridge,
  type ObservedInterface,
  type ObservedPort,
  type OtherBridge,
  type OvsObservation,
  type OwnerFilter,
  observeOps,
} from './observe.js';
export { type OfctlExecutor, type OfctlRunOptions, ofctlExecutor } from './ofctl.js';
export { type CleanupReport, type CommitOptions, Ovs, type OvsOptions } from './ovs.js';
export * from './ovsdb/index.js';
export { OWNER_KEY, ownedBy, ownerValue } from './ownership.js';
export { type PortsPlan, planIsEmpty, planPorts } from './plan-ports.js';
export { AlwaysPoll, InterfacePollingMinimizer, PollingManager, type UpdateSource } from './polling.js';
export {
  addPortOps,
  deletePortOps,
  type InterfaceType,
  type PortSpec,
  type PortVlan,
  portVlanColumns,
  setPortTagOps,
  type VifPortSpec,
  validatePortSpec,
  vifPortSpec,
  wantedVlan,
} from './ports.js';
export { ovsdbText, stringMap } from './text.js';
export { DEAD_VLAN_TAG, type VlanMode, vlanColumns, vlanTag } from './vlan.js';
export {
  DEFAULT_VSWITCHD_WAIT,
  type VswitchdWait,
  vswitchdWaitPolicy,
  vswitchdWork,
  waitTimeoutMs,
} from './vswitchd-wait.js';
