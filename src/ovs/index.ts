// The Open vSwitch layer's public face (Neutron: agent/common/ovs_lib, ovsdb_monitor, polling; ovsdbapp's
// backend): the OVSDB client, Ovs/OvsBridge, ops builders, observe, OpenFlow, monitors and polling.
// Flow-line rendering, text and name checks and vswitchd-wait arithmetic stay internal.
export { OvsBridge, type PortInfo, type VifPort } from './bridge.js';
export {
  addBridgeOps,
  type BridgeOptions,
  type BridgeSettings,
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
  COOKIE_ANY,
  type FlowEntry,
  type FlowFilter,
  type FlowMatch,
  type FlowSpec,
  OfctlFlows,
  type OfctlFlowsOptions,
} from './flows.js';
export {
  type InterfaceEvent,
  type InterfaceEvents,
  InterfaceMonitor,
  type InterfaceMonitorOptions,
} from './interface-monitor.js';
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
export {
  type OvsCommandContext,
  type OvsOp,
  type OvsOpsAppended,
  type OvsOpsContext,
  ovsOpCommands,
  ovsOpsTransaction,
  validateOvsOps,
} from './ovs-ops.js';
export * from './ovsdb/index.js';
export { OWNER_KEY, ownedBy, ownerValue } from './ownership.js';
export { type FoundPort, planPortOps, planPortRemovalOps, portsByName } from './plan-ovs-ops.js';
export { type PortsPlan, planIsEmpty, planPorts } from './plan-ports.js';
export { AlwaysPoll, InterfacePollingMinimizer, PollingManager, type UpdateSource } from './polling.js';
export {
  addPortOps,
  deletePortOps,
  type InterfaceType,
  type PortSpec,
  setPortTagOps,
  type VifPortSpec,
  validatePortSpec,
  vifPortSpec,
} from './ports.js';
export { DEAD_VLAN_TAG, type VlanMode } from './vlan.js';
export { DEFAULT_VSWITCHD_WAIT, type VswitchdWait } from './vswitchd-wait.js';
