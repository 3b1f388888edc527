// The instance layer's public face: namespaces standing in for VMs, each with one port plugged by the
// interface driver and addressed statically or by DHCP, as observe -> pure plan -> apply.
// Neutron: what nova (with os-vif) does on the compute host for a VM's ports.
export {
  type InstanceRef,
  type InstanceSpec,
  instanceDevice,
  instanceNamespace,
  instanceSpec,
  instanceSpecs,
  instanceStyle,
} from './desired.js';
export { type InstanceObserved, instancePortOwner, observeInstance } from './observe.js';
export { holdsLease, type InstanceContext, planInstance, planInstanceClients } from './plan.js';
export { clientScript, clientScriptPath } from './script.js';
export { deployInstance, type InstanceApplyWith, type InstanceOutcome, removeInstance } from './verbs.js';
