// The etcd store for many hosts (tenantnet/store): key layout and codec, the revision-guarded apply,
// paginated reads at one revision, the informer, leases, the records agents write. It knows the model's
// types and the etcd client, no kernel layer.
export { type ApplyOptions, type ApplyResult, applyTopology, destroyTopology } from './apply.js';
export {
  ETCD_DEFAULT_LIMITS,
  type Got,
  type Listing,
  Store,
  type StoreEntry,
  type StoreOptions,
  storeError,
  type TxnLimits,
} from './client.js';
export {
  type AgentRecord,
  type AgentState,
  decodeAgent,
  decodeDesired,
  decodeL2pop,
  decodeMeta,
  decodeSpec,
  decodeStatus,
  decodeVni,
  encodeValue,
  type HostDesired,
  type HostStatus,
  type L2popRecord,
  type TopologyMeta,
  type VniRecord,
} from './codec.js';
export {
  type CommitOptions,
  type CommitResult,
  checkTxnLimits,
  commitPlan,
  type TxnSize,
  txnSize,
} from './commit.js';
export {
  LeaseLostError,
  StoreConflictError,
  StoreError,
  StoreLimitError,
  StoreRequestError,
  StoreUnavailableError,
  StoreValueError,
  VniTakenError,
} from './errors.js';
export { Informer, type InformerEvent, type InformerHandlers, type InformerOptions } from './informer.js';
export { DEFAULT_PREFIX, hostName, type KeyPrefix, keyPrefix, type StoreKey, StoreKeys } from './keys.js';
export { type LeaseOptions, StoreLease } from './lease.js';
export {
  type HostChange,
  type NewVni,
  type PlanStoreOptions,
  planDestroy,
  planStore,
  type ResourceChange,
  type StorePlan,
  sliceChanges,
} from './plan.js';
export { readTopology, reservedVnis, type Stored, type StoredTopology, topologyRevision } from './read.js';
export {
  deleteL2pop,
  type L2popEntry,
  l2popEntries,
  putAgent,
  putL2pop,
  putStatus,
  readAgents,
} from './records.js';
export { DEFAULT_ETCD_PORT, parseStoreUrl, type StoreUrl } from './url.js';
