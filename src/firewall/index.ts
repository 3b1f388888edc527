// The firewall layer's public face: security groups as an iptables firewall driver (Neutron:
// agent/linux/iptables_firewall.py) — the desired state, observe, the pure planner, its names.
export {
  type FirewallDesired,
  type FirewallGroup,
  type FirewallHook,
  type FirewallPort,
  type FromModelOptions,
  firewallFromModel,
} from './desired.js';
export { BridgeNetfilterError, ConntrackZonesExhaustedError } from './errors.js';
export { egressChain, firewallPrefix, ingressChain, SG_CHAIN, SG_FALLBACK, spoofChain } from './names.js';
export { BRIDGE_NF_KEYS, type FirewallObserved, observeFirewall } from './observe.js';
export { type FirewallContext, firewallResource, planFirewall } from './plan.js';
export { firewallDesired } from './validate.js';
export {
  applyFirewall,
  type FirewallApplyOptions,
  type FirewallOutcome,
  removeFirewall,
} from './verbs.js';
