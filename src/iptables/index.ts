// The iptables layer's public face (Neutron: agent.linux.iptables_manager, ipset_manager, ip_conntrack):
// IptablesManager, IpsetManager, conntrack verbs, their executor seams and errors. The diff, the save
// parser, the normaliser, rule tokenising and canonical-form learning stay internal.
export {
  type ConntrackEntry,
  type ConntrackExecutor,
  type ConntrackFilter,
  type ConntrackOptions,
  deleteConntrackByAddress,
  deleteConntrackZone,
  KernelConntrackExecutor,
  type KernelConntrackOptions,
  kernelConntrackExecutor,
  listConntrackZone,
} from './conntrack.js';
export type { DesiredRule, RulePosition } from './diff.js';
export { IpsetError, IptablesRestoreError, LegacyTablesError } from './errors.js';
export {
  type IptablesExecutor,
  KernelIptablesExecutor,
  type KernelIptablesOptions,
  kernelIptablesExecutor,
} from './executor.js';
export {
  canonicalMembers,
  IpsetManager,
  type IpsetManagerOptions,
  MAX_SET_NAME,
  type MembersChange,
  type ObservedSet,
  type ObserveIpsetsOptions,
  observeIpsets,
} from './ipset.js';
export {
  type IpsetExecutor,
  KernelIpsetExecutor,
  type KernelIpsetOptions,
  kernelIpsetExecutor,
} from './ipset-executor.js';
export { type MembersMethod, type MembersPlan, membersPlan } from './ipset-plan.js';
export { DEFAULT_LOCK_DIR, LockTimeoutError, type Release } from './lock.js';
export {
  type ApplyOptions,
  type ApplyReport,
  IptablesManager,
  type IptablesManagerOptions,
} from './manager.js';
export { MAX_CHAIN_NAME, MAX_PREFIX, OWNED_LEAD, TABLES, type TableName } from './names.js';
export { IncompatibleTableError } from './save-parser.js';
export {
  type ChainOptions,
  IptablesTable,
  type RuleOptions,
  type StoredRule,
  type TableOwner,
} from './table.js';
