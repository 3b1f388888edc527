// The ip layer's public face (Neutron: agent.linux.ip_lib): verbs, their spec and ops builders,
// observe, the executor seam, ownership marks and the kernel's errors. The batch framing (marker
// lines, the coprocess itself) and error mapping stay internal; the shared values live in tenantnet/net.
export {
  type AddressFilter,
  type AddressInfo,
  type AddressSpec,
  addAddress,
  addAddressOps,
  addressSpec,
  deleteAddress,
  deleteAddressOps,
  flushAddresses,
  flushAddressesOps,
  listAddresses,
  type OnDevice,
  planAddresses,
} from './addresses.js';
export type { OpResult } from './batch.js';
export {
  type BridgeExecutor,
  type BridgeVia,
  bridgeBatchExecutor,
  closeBridgeBatches,
} from './bridge-batch.js';
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
} from './errors.js';
export {
  batchExecutor,
  closeIpBatches,
  type IpExecutor,
  ipExecutor,
  setIpExecutor,
  type Via,
} from './executor.js';
export { appendFdb, deleteFdb, type FdbArgs, fdbEntrySpec, listFdb, replaceFdb } from './fdb.js';
export {
  type FdbEntry,
  type FdbEntrySpec,
  type FdbMac,
  type FdbOp,
  type FdbResult,
  type FdbTable,
  FLOOD_MAC,
  fdbLine,
  fdbMac,
  parseFdb,
} from './fdb-ops.js';
export { batchLine } from './line.js';
export {
  addBridge,
  addVeth,
  addVxlan,
  type BridgeArgs,
  type BridgeSpec,
  bridgeOps,
  bridgeSpec,
  type VethArgs,
  type VethSpec,
  type VxlanArgs,
  type VxlanLinkSpec,
  vethOps,
  vethSpec,
  vxlanOps,
  vxlanSpec,
} from './link-add.js';
export { deleteLinkGroup, linkGroupDeleteOps } from './link-group.js';
export {
  deleteLink,
  deleteLinkOps,
  getLink,
  type InNamespace,
  type LinkInfo,
  listLinks,
  type SetLinkArgs,
  type SetLinkSpec,
  setLink,
  setLinkOps,
  setLinkSpec,
} from './links.js';
export { type LinkEvent, type LinkMonitor, type MonitorOptions, monitorLinks } from './monitor.js';
export {
  type CreateNamespaceOptions,
  createNamespace,
  createNamespaceOps,
  deleteNamespace,
  execInNamespace,
  listNamespaces,
  namespacePids,
} from './namespaces.js';
export {
  addNeighbour,
  addNeighbourOps,
  deleteNeighbour,
  deleteNeighbourOps,
  flushNeighbours,
  flushNeighboursOps,
  listNeighbours,
  type NeighbourArgs,
  type NeighbourInfo,
  type NeighbourSpec,
  neighbourSpec,
} from './neighbours.js';
export { type NamespaceState, observeNamespace } from './observe.js';
export type { IpOp, LinkChanges, RouteSpec, RuleSpec, VxlanSpec } from './ops.js';
export {
  isOwned,
  type Mark,
  markOps,
  OWNER_ALIAS_PREFIX,
  type Ownership,
  ownerOf,
  ownershipMark,
} from './ownership.js';
export { type FdbDesired, type FdbObserved, type FdbPlan, planFdb, type RemotePort } from './plan-fdb.js';
export {
  type LinkWant,
  namespaceMark,
  planLinkOps,
  planNamespaceOps,
  planRoutes,
  planVethOps,
  type VethPlan,
} from './plan-links.js';
export {
  addRoute,
  addRouteOps,
  defaultGatewayOps,
  deleteDefaultGateway,
  deleteRoute,
  deleteRouteOps,
  flushRoutes,
  flushRoutesOps,
  type GatewayArgs,
  getDefaultGateways,
  listRoutes,
  type RouteArgs,
  type RouteInfo,
  replaceRoute,
  replaceRouteOps,
  routeSpec,
  setDefaultGateway,
} from './routes.js';
export {
  addRule,
  addRuleOps,
  deleteRule,
  deleteRuleOps,
  listRules,
  type RuleArgs,
  type RuleInfo,
  ruleSpec,
} from './rules.js';
export { SysctlError, type SysctlSpec, sysctl, sysctlOps, sysctlSpec } from './sysctl.js';
