// Picks the interface driver of a topology's backend (Neutron: the agent's interface_driver option).
import type { InterfaceDriver } from './driver.js';
import { LinuxBridgeInterfaceDriver } from './linuxbridge.js';
import { NullInterfaceDriver } from './null.js';
import { type OvsDriverOptions, OvsInterfaceDriver } from './ovs.js';

/**
 * The driver of a topology's backend: `ovs` (with its integration bridge), `linuxbridge`, or `null`
 * (no L2 at all).
 */
export function interfaceDriver(
  backend: 'ovs' | 'linuxbridge' | 'null',
  opts: OvsDriverOptions = {},
): InterfaceDriver {
  if (backend === 'ovs') return new OvsInterfaceDriver(opts);
  if (backend === 'linuxbridge') return new LinuxBridgeInterfaceDriver();
  return new NullInterfaceDriver();
}
