// The overlay's names: a network's VXLAN device `vx-<network id>` (the house's `deviceFor`, beside
// its bridge `brq<network id>`; Neutron's linuxbridge agent says `vxlan-<VNI>`), and which devices
// are tenantnet's to manage.
import type { LinkInfo } from '../ip/links.js';
import { deviceFor } from '../net/naming.js';
import { type Owner, parseOwnerMark } from '../net/ownership.js';
import type { DeviceName } from '../net/types.js';

/** The VXLAN device of a network: `vx-` plus 11 characters of its id (14 in all). Pure. */
export function vxlanDevice(network: { readonly owner: Owner }): DeviceName {
  return deviceFor('vx-', network.owner);
}

/**
 * True when a link is a VXLAN device tenantnet made for a network (of `topology` when given): the
 * only devices the overlay ever changes, deletes or fills with FDB entries. Pure.
 */
export function isOwnedVxlan(link: LinkInfo, topology?: string): boolean {
  if (link.kind !== 'vxlan' || link.owner === null) return false;
  const o = parseOwnerMark(link.owner);
  return o !== null && o.kind === 'network' && (topology === undefined || o.topology === topology);
}
