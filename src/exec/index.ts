export { replaceFileAtomic } from './atomic-file.js';
export {
  Coproc,
  CoprocExitedError,
  type CoprocOptions,
  CoprocTimeoutError,
  type Exchange,
  type ExchangeContext,
} from './coproc.js';
export { LineSplitter } from './line-splitter.js';
export { CommandNotFoundError, formatArgv, ProcessError, type ProcessOutcome } from './process-error.js';
export { defaultRootHelper, type RootHelper, setDefaultRootHelper } from './root-helper.js';
export { buildArgv, type RunOptions, type RunResult, run } from './run.js';
