// The reconcile layer's public face (DESIGN "Reconcile"; Neutron: the agents' sync loops): the
// Step/Change contract, the Executors bundle (real, counting), observation, the kernel planners,
// the engine (apply, order, lock) and the plan's renderings.
export {
  type ApplyEvent,
  ApplyFailedError,
  type ApplyOptions,
  type ApplyResult,
  applyChanges,
  assertApplied,
  type ChangeOutcome,
} from './apply.js';
export {
  type CountingExecutors,
  countingExecutors,
  type ExecutorCounts,
  readRoundTrips,
  stateChanging,
} from './counting.js';
export type { Executors, FileExecutor, HostSettings } from './executors.js';
export {
  chainSteps,
  changesOf,
  ipsetSteps,
  type MovedPortSeen,
  type MovedPortWant,
  movedPortSteps,
  namespaceRemovalSteps,
  namespaceSteps,
  type Planned,
  portRemovalSteps,
  removalOf,
  routeSteps,
  type VethWant,
  vethRemovalSteps,
  vethSteps,
} from './kernel-plans.js';
export {
  APPLY_LOCK_FILE,
  type ApplyLock,
  ApplyLockTimeoutError,
  applyLockPath,
  DEFAULT_APPLY_LOCK_WAIT_MS,
  takeApplyLock,
} from './lock.js';
export { Observation } from './observation.js';
export {
  APPLY_ORDER,
  type Batch,
  DELETE_ORDER,
  DependencyCycleError,
  type ExecutorKind,
  type Pass,
  refKey,
  type Schedule,
  type ScheduledStep,
  schedule,
} from './order.js';
export {
  type RealExecutors,
  type RealExecutorsOptions,
  realExecutors,
  realFileExecutor,
} from './real-executors.js';
export {
  planJson,
  planScript,
  type RenderedCommand,
  type RenderedPlan,
  type RenderOptions,
  renderChanges,
  shellWord,
} from './render.js';
export { NoOpenVswitchError } from './run-ovs.js';
export { stateFilePath } from './run-service.js';
export {
  type Change,
  type CommandStep,
  type ConntrackStep,
  type FileStep,
  type IpStep,
  type IpsetStep,
  type IptablesStep,
  type OvsStep,
  PHASES,
  type Phase,
  type Place,
  type ProcessStep,
  type ResourceRef,
  type ServiceSpec,
  type Step,
} from './step.js';
