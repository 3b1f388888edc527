// The deployment layer's public face: one host's deployment of a topology's model (plan, apply,
// destroy, status, cleanup), composing every feature layer over one observation. What the CLI runs.
// Neutron: the L2/DHCP/L3 agents and nova-compute of one host together, plus netns-cleanup/ovs-cleanup.
export {
  applyDeployment,
  type DeploymentApplyOptions,
  type DeploymentResult,
  destroyDeployment,
  firstFailure,
  planDestroy,
} from './apply.js';
export {
  type CleanupOptions,
  type CleanupResult,
  cleanupHost,
  type Trace,
  topologiesOnHost,
  tracesOnHost,
} from './cleanup.js';
export { OpenVswitchUnavailableError, TopologyNotAppliedError } from './errors.js';
export { DeploymentObservation, type DeploymentObservationOptions } from './observation.js';
export { planOrphanFirewalls } from './orphans.js';
export {
  type DeploymentObserved,
  type DeploymentOptions,
  type DeploymentPlan,
  emptyModel,
  hostResource,
  planDeployment,
} from './plan.js';
export {
  forgetTopology,
  modelPath,
  readRecordedModel,
  recordedTopologies,
  topologiesDir,
  topologyDir,
  verifyPath,
  writeRecordedModel,
} from './record.js';
export {
  type FoundResource,
  foundResources,
  isOurs,
  planDhcpServerRemoval,
  planLeftovers,
  type Wanted,
  wantedOf,
} from './removal.js';
export {
  type DeploymentStatus,
  deploymentStatus,
  type Health,
  type InstanceStatus,
  type NetworkStatus,
  type RouterStatus,
} from './status.js';
