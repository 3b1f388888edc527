// The iptables layer's public face: IptablesManager, IpsetManager, conntrack helpers, executors.
export { canonicalCidr, isCidr } from './addresses.js';
export {
  type ConntrackEntry,
  type ConntrackExecutor,
  type ConntrackFilter,
  type ConntrackOptions,
  conntrackArgs,
  deleteConntrackByAddress,
  deleteConntrackZone,
  KernelConntrackExecutor,
  type KernelConntrackOptions,
  kernelConntrackExecutor,
  listConntrackZone,
  parseConntrack,
} from './conntrack.js';
export {
  countOps,
  type DesiredRule,
  type DesiredTable,
  diffChain,
  diffTable,
  type RulePosition,
  restoreText,
  type TableDiff,
} from './diff.js';
export { IpsetError, IptablesRestoreError, LegacyTablesError } from './errors.js';
export {
  type IptablesExecutor,
  KernelIptablesExecutor,
  type KernelIptablesOptions,
  kernelIptablesExecutor,
  legacyTablesInUse,
  parseRestoreError,
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
  parseIpsetSave,
  SWAP_SUFFIX,
} from './ipset.js';
export {
  type IpsetExecutor,
  KernelIpsetExecutor,
  type KernelIpsetOptions,
  kernelIpsetExecutor,
} from './ipset-executor.js';
export { canonicalOf, forgetLearned, learnCanonical, type SentRule } from './learn.js';
export { DEFAULT_LOCK_DIR, LockTimeoutError, type Release } from './lock.js';
export {
  type ApplyOptions,
  type ApplyReport,
  IptablesManager,
  type IptablesManagerOptions,
} from './manager.js';
export {
  BUILTIN_CHAINS,
  checkChainName,
  checkPrefix,
  checkSharedName,
  FAMILIES,
  iptablesTool,
  isBuiltinChain,
  MAX_CHAIN_NAME,
  MAX_PREFIX,
  OWNED_LEAD,
  TABLES,
  type TableName,
  WRAPPED_BUILTINS,
  wrapName,
} from './names.js';
export { normaliseRule } from './normalise.js';
export { joinTokens, saveString, tokenize } from './rule-text.js';
export {
  IncompatibleTableError,
  parseSave,
  type SavedChain,
  type SavedState,
  type SavedTable,
} from './save-parser.js';
export {
  type ChainOptions,
  IptablesTable,
  type RuleOptions,
  type StoredRule,
  type TableOwner,
} from './table.js';
