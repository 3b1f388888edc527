// tenantnet/testing: stateful fakes of every executor seam (knftables' Fake) and a private Open
// vSwitch, for unit and integration tests of code built on tenantnet (tenantnet's own tests use them too).
export { FakeBridge, type FakeFdbRow } from './bridge.js';
export { FakeConntrack, type FakeFlow } from './conntrack.js';
export { EtcdSandbox, type EtcdSandboxOptions, etcdSandbox } from './etcd.js';
export {
  type FakeExecutors,
  type FakeExecutorsOptions,
  fakeExecutors,
  RecordingOfctl,
} from './executors.js';
export {
  Fabric,
  type FabricHost,
  type FabricOptions,
  type FabricRun,
  fabric,
  tenantnetArgv,
} from './fabric.js';
export { type FakeFile, FakeFiles } from './files.js';
export { FakeIpKernel, FakeNamespace } from './ip.js';
export type { FakeAddress, FakeLink, FakeNeighbour, FakeRoute, FakeRule } from './ip-state.js';
export { FakeIpset, type FakeSet } from './ipset.js';
export { FakeIptables } from './iptables.js';
export { OvsSandbox, ovsSandbox } from './ovs-sandbox.js';
export { FakeOvsdb } from './ovsdb.js';
export { type FakeProcess, FakeProcessRunner } from './processes.js';
