// The exec layer's public names (Neutron: agent.linux.utils, async_process, daemon, external_process).
export { AsyncProcess, type AsyncProcessOptions, AsyncProcessStateError } from './async-process.js';
export { replaceFileAtomic } from './atomic-file.js';
export {
  Coproc,
  CoprocExitedError,
  type CoprocOptions,
  CoprocTimeoutError,
  type Exchange,
  type ExchangeContext,
  type ExchangeResult,
} from './coproc.js';
export { Daemon, type DaemonOptions } from './daemon.js';
export { LineQueue } from './line-queue.js';
export { LineSplitter } from './line-splitter.js';
export { AlreadyRunningError, Pidfile, readPidfile } from './pidfile.js';
export { carriesMarker, descendants, isLiveWithMarker, killTree, readCmdline, waitFor } from './proc.js';
export { CommandNotFoundError, formatArgv, ProcessError, type ProcessOutcome } from './process-error.js';
export { ProcessManager, type ProcessManagerOptions } from './process-manager.js';
export { type ExitAction, ProcessMonitor, type ProcessMonitorOptions } from './process-monitor.js';
export { defaultRootHelper, type RootHelper, setDefaultRootHelper } from './root-helper.js';
export {
  buildArgv,
  checkRunInput,
  failedToEnterNamespace,
  NETNS_DIR,
  type RunOptions,
  type RunResult,
  run,
} from './run.js';
export { type DetachedOptions, type DetachedProcess, type ProcessRunner, processRunner } from './runner.js';
