// The host's underlay as the agent reports it: the link that holds the VTEP address gives the MTU
// the overlay's networks are sized from, the VTEP's family the VXLAN overhead. Neutron: the
// linuxbridge agent's local_ip check and its path-MTU configuration.
import { parseLinks } from '../ip/links.js';
import { familyOf, type IpAddress } from '../net/types.js';
import type { Executors } from '../reconcile/executors.js';
import { VtepNotFoundError } from './errors.js';

/** The underlay link under the VTEP. */
export interface Underlay {
  readonly device: string;
  readonly mtu: number;
  readonly family: 4 | 6;
}

/**
 * Finds the link holding `vtep` in the host place (one `addr show`).
 *
 * Equivalent to: `ip [-n HOST] -j addr show`, then the link whose address is VTEP
 *
 * @throws {VtepNotFoundError} when no link holds it
 */
export async function readUnderlay(x: Executors, vtep: IpAddress): Promise<Underlay> {
  const ns = x.host.namespace;
  const [r] = await x.ip.apply(ns, [{ op: 'link.show' }]);
  for (const l of parseLinks(r?.output)) {
    if (l.addresses.some((a) => a.cidr.split('/')[0] === vtep)) {
      return { device: l.name, mtu: l.mtu, family: familyOf(vtep) as 4 | 6 };
    }
  }
  throw new VtepNotFoundError(vtep, ns ? `namespace ${ns}` : 'the root namespace');
}
