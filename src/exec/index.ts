// The exec layer's public face (Neutron: agent.linux.utils, async_process, daemon, external_process):
// running commands, long-lived children, pidfiles and services. Framing and /proc plumbing stay internal.
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
export { AlreadyRunningError, Pidfile, readPidfile } from './pidfile.js';
export { isLiveWithMarker, killTree } from './proc.js';
export { CommandNotFoundError, formatArgv, ProcessError, type ProcessOutcome } from './process-error.js';
export { ProcessManager, type ProcessManagerOptions } from './process-manager.js';
export { type ExitAction, ProcessMonitor, type ProcessMonitorOptions } from './process-monitor.js';
export { defaultRootHelper, type RootHelper, setDefaultRootHelper } from './root-helper.js';
export { checkRunInput, type RunOptions, type RunResult, run } from './run.js';
export { type DetachedOptions, type DetachedProcess, type ProcessRunner, processRunner } from './runner.js';
