// The overlay's names: a network's VXLAN device `vxlan-<VNI>` (Neutron's linuxbridge agent names it
// the same way), and which devices are tenantnet's to manage.
import type { LinkInfo } from '../ip/links.js';
import { parseOwnerMark } from '../net/ownership.js';
import { type DeviceName, deviceName, intIn } from '../net/types.js';

/**
 * The VXLAN device of a VNI: `vxlan-<VNI>` (at most 14 characters). Pure.
 *
 * @throws {InvalidInputError} for a VNI outside 1-16777215
 */
export function vxlanDevice(vni: number): DeviceName {
  return deviceName(`vxlan-${intIn(vni, 1, 0xffffff, 'vni')}`, 'vni');
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
