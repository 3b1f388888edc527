// The names the firewall gives its iptables chains, ipsets and zone marks, after Neutron's
// iptables_firewall: `i<dev>` ingress, `o<dev>` egress, `s<dev>` spoof, `sg-chain`, `sg-fallback`,
// under a manager prefix derived from the topology so that topologies on one host never meet.
import { createHash } from 'node:crypto';
import type { TopologyName } from '../net/ownership.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The iptables manager prefix (and ipset prefix) of a topology's firewall: `sg` plus 8 characters
 * of `a-z 2-7` from a SHA-256 of the topology name (10 in all: within iptables' 13 and ipset's 12).
 * Its chains are `tn-sg<hash>-<chain>`, which leaves 14 characters for the chain part. Pure.
 */
export function firewallPrefix(topology: TopologyName): string {
  const digest = createHash('sha256').update(`tenantnet-firewall\0${topology}`).digest();
  let out = 'sg';
  let bits = 0;
  let acc = 0;
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 10) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
    if (out.length >= 10) break;
  }
  return out;
}

/** The chain every port's jumps go through; it ends with ACCEPT (Neutron's `sg-chain`). */
export const SG_CHAIN = 'sg-chain';
/** The chain a port's chains end in when nothing admitted the packet: DROP (`sg-fallback`). */
export const SG_FALLBACK = 'sg-fallback';

/** The ingress chain of a port (traffic to the instance): `i<port id>`. Pure. */
export function ingressChain(portId: string): string {
  return `i${portId}`;
}

/** The egress chain of a port (traffic from the instance): `o<port id>`. Pure. */
export function egressChain(portId: string): string {
  return `o${portId}`;
}

/** The anti-spoofing chain of a port (allowed source MAC and address pairs): `s<port id>`. Pure. */
export function spoofChain(portId: string): string {
  return `s${portId}`;
}

/** What a chain name of the firewall says: a port's ingress/egress/spoof chain, or null. Pure. */
export function parsePortChain(chain: string): { kind: 'i' | 'o' | 's'; portId: string } | null {
  const m = /^([ios])([a-z2-7]{11})$/.exec(chain);
  return m ? { kind: m[1] as 'i' | 'o' | 's', portId: m[2] as string } : null;
}

/** The comment on a conntrack-zone rule: the network whose zone it is (`net-<network id>`). Pure. */
export function zoneComment(networkId: string): string {
  return `net-${networkId}`;
}

/** The network id a zone rule's comment names, or null. Pure. */
export function parseZoneComment(comment: string): string | null {
  return /^net-([a-z2-7]{11})$/.exec(comment)?.[1] ?? null;
}
