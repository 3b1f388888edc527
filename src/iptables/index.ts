export { canonicalCidr, isCidr } from './addresses.js';
export {
  type ConntrackEntry,
  type ConntrackOptions,
  deleteConntrackByAddress,
  deleteConntrackZone,
  listConntrackZone,
  parseConntrack,
} from './conntrack.js';
export {
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
  legacyTablesInUse,
  parseRestoreError,
} from './executor.js';
export {
  canonicalMembers,
  IpsetManager,
  type IpsetManagerOptions,
  type IpsetRunner,
  MAX_SET_NAME,
  type MembersChange,
  SWAP_SUFFIX,
} from './ipset.js';
export { canonicalOf, forgetLearned, learnCanonical, type SentRule } from './learn.js';
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
  FAMILIES,
  type Family,
  isBuiltinChain,
  MAX_CHAIN_NAME,
  MAX_PREFIX,
  TABLES,
  type TableName,
  WRAPPED_BUILTINS,
  wrapName,
} from './names.js';
export { normaliseRule } from './normalise.js';
export { joinTokens, saveString, tokenize } from './rule-text.js';
export { parseSave, type SavedChain, type SavedState, type SavedTable } from './save-parser.js';
export {
  type ChainOptions,
  IptablesTable,
  type RuleOptions,
  type StoredRule,
  type TableOwner,
} from './table.js';
