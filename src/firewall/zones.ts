// Conntrack zones per network, unique on the host across topologies: read back from the raw
// PREROUTING `-j CT --zone N` rules of every tenantnet manager, kept by a network that has one, and
// the lowest free zone for a network that has none. Neutron: iptables_firewall's
// _populate_initial_zone_map, _find_open_zone and get_device_zone (zones per network here).
import type { SavedState } from '../iptables/save-parser.js';
import { ConntrackZonesExhaustedError } from './errors.js';
import { parseZoneComment } from './names.js';

/** The zones as the host's raw table shows them. */
export interface ZoneView {
  /** Zones of this firewall's networks, by network id (from the rules' `net-<id>` comments). */
  readonly networks: ReadonlyMap<string, number>;
  /** Zones of this firewall's port devices (`--physdev-in DEV`), by device. */
  readonly devices: ReadonlyMap<string, number>;
  /** Every zone any tenantnet manager's rule sets (this one's included). */
  readonly taken: ReadonlySet<number>;
}

/** The highest conntrack zone (zone 0 is the default zone, never handed out). */
export const MAX_ZONE = 65535;

/**
 * Reads the zones from one family's saved tables: every `-j CT --zone N` rule in a raw chain of a
 * tenantnet manager (`tn-…`) takes N; those in this firewall's chains (`tn-<prefix>-…`) say which
 * network (comment) and device (physdev) they are for. Pure.
 */
export function observedZones(saved: SavedState | null, prefix: string): ZoneView {
  const networks = new Map<string, number>();
  const devices = new Map<string, number>();
  const taken = new Set<number>();
  for (const chain of saved?.get('raw')?.chains.values() ?? []) {
    if (!chain.name.startsWith('tn-')) continue;
    const ours = chain.name.startsWith(`tn-${prefix}-`);
    for (const rule of chain.rules) {
      const zone = /(?:^| )-j CT(?: .*)? --zone (\d+)(?: |$)/.exec(rule)?.[1];
      if (zone === undefined) continue;
      const n = Number(zone);
      taken.add(n);
      if (!ours) continue;
      const net = parseZoneComment(/ --comment "?([^" ]+)"?/.exec(rule)?.[1] ?? '');
      if (net !== null && !networks.has(net)) networks.set(net, n);
      const dev = /(?:^| )--physdev-in (\S+)/.exec(rule)?.[1];
      if (dev !== undefined) devices.set(dev, n);
    }
  }
  return { networks, devices, taken };
}

/**
 * The zone of each network: the one it has (when no other network claims it), else the lowest zone
 * that no tenantnet firewall on the host uses, handed out in the order of `networks` (sort them for
 * a deterministic result). Pure.
 *
 * @throws {ConntrackZonesExhaustedError} when no zone is free
 */
export function allocateZones(networks: readonly string[], view: ZoneView): Map<string, number> {
  const out = new Map<string, number>();
  const used = new Set(view.taken);
  const claimed = new Set<number>();
  for (const id of networks) {
    const z = view.networks.get(id);
    if (z !== undefined && !claimed.has(z)) {
      out.set(id, z);
      claimed.add(z);
    }
  }
  let next = 1;
  for (const id of networks) {
    if (out.has(id)) continue;
    while (next <= MAX_ZONE && (used.has(next) || claimed.has(next))) next++;
    if (next > MAX_ZONE) throw new ConntrackZonesExhaustedError();
    out.set(id, next);
    claimed.add(next);
  }
  return out;
}
