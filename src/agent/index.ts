// The agent's public face (tenantnet/agent): the long-running loop of one host over the store, one
// reconcile pass, decommissioning, the log. Neutron: the linuxbridge/DHCP/L3 agents of one host.
export { Agent, type AgentOptions } from './agent.js';
export { AgentRunningError, VtepNotFoundError } from './errors.js';
export { type AgentLog, type AgentLogLevel, silentLog, streamLog } from './log.js';
export {
  type PassContext,
  type PassFailure,
  type PassResult,
  runFdbPass,
  runPass,
  type TopologyOutcome,
} from './pass.js';
export { readUnderlay, type Underlay } from './underlay.js';
export {
  decodeVerifyRequest,
  parseVerifyKey,
  type RemoteCheck,
  type VerifyRequest,
  VerifyResponder,
  verifyId,
  verifyPrefix,
} from './verify.js';
export { type WithdrawOptions, type WithdrawResult, withdrawHost } from './withdraw.js';
