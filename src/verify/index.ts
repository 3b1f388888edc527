// The verify probes: checks of a topology proved with real packets (ping, socat echo servers and
// clients in the topology's namespaces), with results and the `--json` report.
export { EchoServer, EchoServerError, type EchoServerSpec } from './echo-server.js';
export { type ProbeProcessOptions, type ProbeProcessOutcome, probeProcess } from './probe-process.js';
export { answerPeer, type Observation, pingProbe, streamProbe } from './probes.js';
export {
  type CheckResult,
  type RunChecksOptions,
  runChecks,
  type VerifyReport,
  verifyReport,
} from './run-checks.js';
