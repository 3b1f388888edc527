// The names tenantnet derives for the parts of a topology (subnets, ports) and every resource's owner
// and id, after Neutron's device_owner naming (a port is the DHCP server's, a router interface's…).
// User names have no `_`, so `_` separates the parts of a derived name and two never collide.
import { createHash } from 'node:crypto';
import {
  type Owner,
  type ResourceKind,
  type ResourceName,
  resourceId,
  type TopologyName,
} from '../net/ownership.js';
import type { Cidr } from '../net/types.js';
import type { Resource } from './types.js';

/** The longest resource name an owner mark carries (`src/net/ownership.ts`). */
export const MAX_NAME = 80;

/** The owner, owner-derived id and name of one resource. Pure. */
export function identity(topology: TopologyName, kind: ResourceKind, name: ResourceName): Resource {
  const owner: Owner = { topology, kind, name };
  return { name, owner, id: resourceId(owner) };
}

/** An IPv6 dotted tail (`::ffff:1.2.3.4`) as two hex groups, so a name can carry it without dots. */
function hexTail(address: string): string {
  const m = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (!m || !address.includes(':')) return address;
  const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number];
  return `${address.slice(0, m.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/**
 * The name of a subnet: its network's name and its CIDR, `web_10-10-1-0-24`, `web_fd00-1---64`. It
 * follows the CIDR, not the subnet's place in the list, so reordering subnets renames nothing. A name
 * past 80 characters (a long network name with a long IPv6 CIDR) ends in a hash of the CIDR instead. Pure.
 */
export function subnetName(network: ResourceName, cidr: Cidr): ResourceName {
  const slug = hexTail(cidr.slice(0, cidr.lastIndexOf('/')))
    .replace(/[.:]/g, '-')
    .concat(`-${cidr.slice(cidr.lastIndexOf('/') + 1)}`);
  const name = `${network}_${slug}`;
  if (name.length <= MAX_NAME) return name as ResourceName;
  return `${network}_${createHash('sha256').update(cidr).digest('hex').slice(0, 16)}` as ResourceName;
}

/** The instance's port: `vm_<instance>`. Pure. */
export function instancePortName(instance: ResourceName): ResourceName {
  return `vm_${instance}` as ResourceName;
}

/** A network's DHCP port: `dhcp_<network>`. Pure. */
export function dhcpPortName(network: ResourceName): ResourceName {
  return `dhcp_${network}` as ResourceName;
}

/**
 * A network's DHCP port on one host, in a topology placed on hosts: `dhcp_<network>_<host>` (at most
 * 70 characters: both names are user names of at most 32). Pure.
 */
export function hostDhcpPortName(network: ResourceName, host: ResourceName): ResourceName {
  return `dhcp_${network}_${host}` as ResourceName;
}

/** A router's gateway port: `qg_<router>`. Pure. */
export function gatewayPortName(router: ResourceName): ResourceName {
  return `qg_${router}` as ResourceName;
}

/**
 * A router's port on an internal network: `qr_<router>_<network>`; null when the two names together
 * pass the 80 characters an owner mark allows (the caller reports it).
 */
export function interfacePortName(router: ResourceName, network: ResourceName): ResourceName | null {
  const name = `qr_${router}_${network}`;
  return name.length <= MAX_NAME ? (name as ResourceName) : null;
}
