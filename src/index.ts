/**
 * tenantnet: tenant virtual networks on a Linux host. The library's public face: one namespace per
 * layer (`import { ip, iptables } from 'tenantnet'`, or the subpath `import { addVeth } from 'tenantnet/ip'`)
 * and every error class flat, so one import catches any of them.
 */

export * as agent from './agent/index.js';
export { AgentRunningError, VtepNotFoundError } from './agent/index.js';
export * as deploy from './deploy/index.js';
export { OpenVswitchUnavailableError, TopologyNotAppliedError } from './deploy/index.js';
export * as dhcp from './dhcp/index.js';
export { DhcpNoLeaseError } from './dhcp/index.js';
export * from './errors.js';
export * as exec from './exec/index.js';
// Every layer's errors, flat (each also stays in its layer's namespace).
export {
  AlreadyRunningError,
  AsyncProcessStateError,
  CommandNotFoundError,
  CoprocExitedError,
  CoprocTimeoutError,
  ProcessError,
} from './exec/index.js';
export * as firewall from './firewall/index.js';
export { BridgeNetfilterError, ConntrackZonesExhaustedError } from './firewall/index.js';
export * as graph from './graph/index.js';
export { GraphRenderError } from './graph/index.js';
export * as instance from './instance/index.js';
// `interface` is reserved as a binding name only: `import { interface as iface } from 'tenantnet'`.
export * as 'interface' from './interface/index.js';
export { LocalVlansExhaustedError, PlugConflictError } from './interface/index.js';
export * as ip from './ip/index.js';
export {
  AddressAlreadyExistsError,
  DeviceNotFoundError,
  InvalidArgumentError,
  IpCommandError,
  IpProcessExitedError,
  LinkAlreadyExistsError,
  ObjectExistsError,
  ObjectNotFoundError,
  OperationNotSupportedError,
  SysctlError,
} from './ip/index.js';
export * as iptables from './iptables/index.js';
export {
  IncompatibleTableError,
  IpsetError,
  IptablesRestoreError,
  LegacyTablesError,
  LockTimeoutError,
} from './iptables/index.js';
export * as l3 from './l3/index.js';
export { RouterNamespaceConflictError } from './l3/index.js';
export * as model from './model/index.js';
export { ModelError } from './model/index.js';
export * as net from './net/index.js';
export { NamespaceNotFoundError } from './net/index.js';
export * as overlay from './overlay/index.js';
export { OverlayBackendError, OverlayConflictError } from './overlay/index.js';
export * as ovs from './ovs/index.js';
export {
  BridgeNotFoundError,
  OvsdbConnectionError,
  OvsdbConstraintViolationError,
  OvsdbError,
  OvsdbOperationError,
  OvsdbReferentialIntegrityError,
  OvsdbRpcError,
  OvsdbSyntaxError,
  OvsdbTimedOutError,
  OvsdbVswitchdTimeoutError,
} from './ovs/index.js';
export * as reconcile from './reconcile/index.js';
export {
  ApplyFailedError,
  ApplyLockTimeoutError,
  DependencyCycleError,
  NoOpenVswitchError,
} from './reconcile/index.js';
export { stateDir } from './state-dir.js';
export {
  LeaseLostError,
  StoreConflictError,
  StoreError,
  StoreLimitError,
  StoreRequestError,
  StoreUnavailableError,
  StoreValueError,
  VniTakenError,
} from './store/errors.js';
// The etcd client (gRPC, about 150 ms to load) is loaded by Store.open, not by this import.
export * as store from './store/index.js';
export * as topology from './topology/index.js';
export { TopologyError } from './topology/index.js';
export * as ui from './ui/index.js';
export { UiListenError } from './ui/index.js';
export * as verify from './verify/index.js';
export { EchoServerError } from './verify/index.js';
