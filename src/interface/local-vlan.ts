// Local VLANs on the integration bridge: one tag per network, host-wide unique, read back from the
// ports tenantnet made (Port external_ids `tenantnet-network`) so no journal is needed. Neutron: the
// OVS agent's LocalVlanManager (local_vlan_map) and its allocation of lvids.
import type { Owner } from '../net/ownership.js';
import { ownerMark } from '../net/ownership.js';
import type { ObservedPort } from '../ovs/observe.js';
import { DEAD_VLAN_TAG } from '../ovs/vlan.js';
import type { LocalVlanTable } from './driver.js';
import { LocalVlansExhaustedError } from './errors.js';

/** The Port external_ids key naming the network (its owner mark) a port of the integration bridge is on. */
export const NETWORK_KEY = 'tenantnet-network';

/** The highest local VLAN tag (4095 is the dead VLAN). */
const MAX_TAG = 4094;

/**
 * The tags of networks as their ports show them. A network whose ports carry several tags keeps the
 * lowest one no other network claims (the others are retagged by their plugs); when two networks
 * claim one tag, the network whose mark sorts first keeps it and the other gets a new one. Ports in
 * the dead VLAN or untagged say nothing. Pure.
 */
export function observedVlans(ports: Iterable<ObservedPort>): Map<string, number> {
  const claims = new Map<string, Set<number>>();
  for (const p of ports) {
    const net = p.externalIds[NETWORK_KEY];
    if (net === undefined || p.tag === null || p.tag === DEAD_VLAN_TAG || p.tag === 0) continue;
    const tags = claims.get(net) ?? new Set<number>();
    claims.set(net, tags.add(p.tag));
  }
  const taken = new Map<number, string>();
  const out = new Map<string, number>();
  for (const net of [...claims.keys()].sort()) {
    const tag = [...claims.get(net)!].sort((a, b) => a - b).find((t) => !taken.has(t));
    if (tag === undefined) continue;
    taken.set(tag, net);
    out.set(net, tag);
  }
  return out;
}

/**
 * One apply's local VLAN table: the observed tags, and the tags this apply's plans allocate (lowest
 * free 1-4094, in the order plans ask). Share one per {@link Observation} (the OVS driver's observe
 * does), so two networks planned in one apply never get the same tag.
 */
export class LocalVlans implements LocalVlanTable {
  private readonly tags: Map<string, number>;
  private readonly used: Set<number>;

  /**
   * @param bridge the integration bridge (for the error message)
   * @param observed network owner mark -> tag, as {@link observedVlans} reads them
   */
  constructor(
    private readonly bridge: string,
    readonly observed: ReadonlyMap<string, number>,
  ) {
    this.tags = new Map(observed);
    this.used = new Set(observed.values());
  }

  /**
   * The network's tag: observed, or already allocated in this apply, or the lowest free one now.
   *
   * @throws {LocalVlansExhaustedError} when all 4094 tags are taken
   */
  tagFor(network: Owner): number {
    const mark = ownerMark(network);
    const have = this.tags.get(mark);
    if (have !== undefined) return have;
    for (let t = 1; t <= MAX_TAG; t++) {
      if (this.used.has(t)) continue;
      this.used.add(t);
      this.tags.set(mark, t);
      return t;
    }
    throw new LocalVlansExhaustedError(this.bridge);
  }
}
