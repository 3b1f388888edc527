// The interface drivers' public face: the contract, the three drivers, init_l3 and the helpers
// consumers (DHCP, L3, instances) plan with. Neutron: agent/linux/interface.py.

export { interfaceDriver } from './backend.js';
export type {
  ApplyWith,
  InitL3Request,
  IntegrationBridgeView,
  InterfaceDriver,
  LocalVlanTable,
  NetworkObserved,
  PlugLayout,
  PlugNetwork,
  PlugObserved,
  PlugOutcome,
  PlugPort,
  PlugRequest,
  PlugResult,
  PlugStyle,
  PlugTarget,
} from './driver.js';
export { LocalVlansExhaustedError, PlugConflictError } from './errors.js';
export { initL3, initL3Request, initL3Steps, planInitL3 } from './init-l3.js';
export { hostDevice, type LinkMark, linkMark, networkBridge, plugRequest, plugTarget } from './layout.js';
export { LinuxBridgeInterfaceDriver } from './linuxbridge.js';
export { LocalVlans, NETWORK_KEY, observedVlans } from './local-vlan.js';
export { NullInterfaceDriver } from './null.js';
export { integrationBridgeView, observeIntegrationBridge } from './observe.js';
export { type OvsDriverOptions, OvsInterfaceDriver } from './ovs.js';
