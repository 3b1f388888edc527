// The firewall layer's public face: security groups as an iptables firewall driver (Neutron:
// agent/linux/iptables_firewall.py) — desired state, observe, the pure planner and its names.
export { type BuildContext, buildFirewall, type FirewallBuild, linkLocal, portAddresses } from './chains.js';
export {
  type FirewallDesired,
  type FirewallGroup,
  type FirewallHook,
  type FirewallPort,
  type FromModelOptions,
  firewallDesired,
  firewallFromModel,
} from './desired.js';
export { BridgeNetfilterError, ConntrackZonesExhaustedError } from './errors.js';
export { cutFilters, ruleFilters } from './flows.js';
export {
  egressChain,
  firewallPrefix,
  ingressChain,
  SG_CHAIN,
  SG_FALLBACK,
  spoofChain,
} from './names.js';
export { BRIDGE_NF_KEYS, type FirewallObserved, observeFirewall } from './observe.js';
export { type FirewallContext, firewallResource, planFirewall } from './plan.js';
export { FirewallRemoval } from './removal.js';
export { protocolMatch, ruleLines } from './rules.js';
export { allocateZones, observedZones, type ZoneView } from './zones.js';
