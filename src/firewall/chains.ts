// The firewall of one topology as an iptables manager's model (pure): per port an ingress, an egress
// and an anti-spoofing chain, reached from FORWARD/INPUT by physdev matches on the port's bridge-side
// device, the shared sg-chain (ends with ACCEPT) and sg-fallback (DROP), and raw PREROUTING rules that
// put each network's bridged traffic in its conntrack zone. Neutron: iptables_firewall's
// _setup_chains_apply, _add_fixed_egress_rules, _spoofing_rule, _drop_dhcp_rule, _accept_inbound_icmpv6,
// _convert_sgr_to_iptables_rules and the CT zone rules of _get_conntrack_zone rules.
import type { IptablesManager } from '../iptables/manager.js';
import { eui64Address } from '../net/cidr.js';
import { resourceId } from '../net/ownership.js';
import type { Cidr, IpAddress, IpFamily, Mac } from '../net/types.js';
import type { FirewallDesired, FirewallGroup, FirewallPort } from './desired.js';
import { egressChain, ingressChain, SG_CHAIN, SG_FALLBACK, spoofChain, zoneComment } from './names.js';
import { ruleLines } from './rules.js';

/** Both families, in the order the firewall fills them. */
export const FAMILIES: readonly IpFamily[] = [4, 6];

/** ICMPv6 an instance may send from `::` for duplicate address detection (MLD reports, NS). */
const ICMPV6_UNSPECIFIED = [131, 135, 143];
/** ICMPv6 always admitted to an instance: MLD query, router advertisement, NS, NA. */
const ICMPV6_INGRESS = [130, 134, 135, 136];
/** ICMPv6 router advertisement: never from an instance. */
const ICMPV6_RA = 134;

/** The family of an address or CIDR. */
function familyOf(a: string): IpFamily {
  return a.includes(':') ? 6 : 4;
}

/** The IPv6 link-local address of a MAC (fe80::/64, EUI-64). Pure. */
export function linkLocal(m: Mac): IpAddress {
  return eui64Address('fe80::/64' as Cidr, m);
}

/** The short id that names a port's chains. Pure. */
export function portId(p: FirewallPort): string {
  return resourceId(p.owner);
}

/**
 * The host addresses a port may hold flows on, per family: its fixed IPs and the pairs that are
 * single addresses (what conntrack deletes can name). Pure.
 */
export function portAddresses(p: FirewallPort, family: IpFamily): IpAddress[] {
  const host = family === 4 ? '/32' : '/128';
  const out = new Set<string>(p.fixedIps.filter((a) => familyOf(a) === family));
  for (const pair of p.allowedAddressPairs) {
    if (familyOf(pair.cidr) === family && pair.cidr.endsWith(host)) out.add(pair.cidr.slice(0, -host.length));
  }
  return [...out] as IpAddress[];
}

/**
 * The anti-spoofing chain: one RETURN per allowed (source address, source MAC) — the pairs, then the
 * fixed IPs with the port's MAC, and for IPv6 the MAC's link-local address —, a MAC-only RETURN when
 * the port has no fixed IP at all, then DROP. Pure.
 */
export function spoofRules(p: FirewallPort, family: IpFamily): string[] {
  const pairs: [string, Mac][] = [];
  for (const pair of p.allowedAddressPairs)
    if (familyOf(pair.cidr) === family) pairs.push([pair.cidr, pair.mac]);
  for (const a of p.fixedIps) if (familyOf(a) === family) pairs.push([a, p.mac]);
  if (family === 6) pairs.push([linkLocal(p.mac), p.mac]);
  const out = pairs.map(([a, m]) => `-s ${a} -m mac --mac-source ${m} -j RETURN`);
  if (p.fixedIps.length === 0) out.push(`-m mac --mac-source ${p.mac} -j RETURN`);
  out.push('-j DROP');
  return out;
}

/**
 * The fixed head of the egress chain: DHCP discovery from the unspecified address (and DAD for IPv6),
 * the anti-spoofing jump, then DHCP client traffic, and drops for a DHCP server and (IPv6) router
 * advertisements in the instance. Pure.
 */
export function fixedEgressRules(id: string, family: IpFamily): string[] {
  const spoof = `-j $${spoofChain(id)}`;
  if (family === 4) {
    return [
      '-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN',
      spoof,
      '-p udp -m udp --sport 68 --dport 67 -j RETURN',
      '-p udp -m udp --sport 67 --dport 68 -j DROP',
    ];
  }
  return [
    ...ICMPV6_UNSPECIFIED.map(
      (t) => `-s ::/128 -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`,
    ),
    spoof,
    `-p ipv6-icmp -m icmp6 --icmpv6-type ${ICMPV6_RA} -j DROP`,
    '-p ipv6-icmp -j RETURN',
    '-p udp -m udp --sport 546 --dport 547 -j RETURN',
    '-p udp -m udp --sport 547 --dport 546 -j DROP',
  ];
}

/** The fixed head of the ingress chain after the state rule: DHCP replies from the network's server, ICMPv6 NDP/MLD/RA. Pure. */
export function fixedIngressRules(p: FirewallPort, family: IpFamily): string[] {
  if (family === 4) {
    return (p.dhcp?.addresses ?? [])
      .filter((a) => familyOf(a) === 4)
      .map((a) => `-s ${a} -p udp -m udp --sport 67 --dport 68 -j RETURN`);
  }
  const dhcp = p.dhcp?.addresses.some((a) => familyOf(a) === 6)
    ? [`-s ${linkLocal(p.dhcp.mac)} -p udp -m udp --sport 547 --dport 546 -j RETURN`]
    : [];
  return [...ICMPV6_INGRESS.map((t) => `-p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`), ...dhcp];
}

/** The rules a port's security groups give one direction of one family, in order (duplicates stay: the table keeps the first). */
export function groupRules(
  p: FirewallPort,
  groups: ReadonlyMap<string, FirewallGroup>,
  direction: 'ingress' | 'egress',
  family: IpFamily,
  setName: ((group: FirewallGroup, family: IpFamily) => string) | null,
): string[] {
  const own = new Set<string>(p.fixedIps);
  const out: string[] = [];
  for (const name of p.securityGroups) {
    const g = groups.get(name) as FirewallGroup;
    const rules = [...g.rules].sort((a, b) => a.index - b.index);
    for (const r of rules) {
      if (r.direction !== direction || r.family !== family) continue;
      let remote = null;
      if (r.remoteGroup !== null) {
        const rg = groups.get(r.remoteGroup) as FirewallGroup;
        remote = setName ? { set: setName(rg, family) } : { members: rg.members[family] };
      }
      out.push(...ruleLines(r, remote, own));
    }
  }
  return out;
}

/** A set the firewall wants: a remote group's members of one family. */
export interface WantedSet {
  /** The ipset id (the group's short id). */
  readonly id: string;
  readonly family: IpFamily;
  readonly members: readonly IpAddress[];
}

/** What filling a manager decided, besides the rules. */
export interface FirewallBuild {
  /** The sets the rules match, by set name. */
  readonly sets: ReadonlyMap<string, WantedSet>;
}

/** How {@link buildFirewall} names sets and finds zones. */
export interface BuildContext {
  /** The conntrack zone of each network, by network id. */
  readonly zones: ReadonlyMap<string, number>;
  /** The ipset name of a group's set for a family (an IpsetManager's `setName`); null: no ipsets. */
  readonly setName: ((id: string, family: IpFamily) => string) | null;
}

/**
 * Fills a fresh manager (tables filter and raw, both families) with the firewall of `desired`: for
 * every port sorted by id, FORWARD jumps to `sg-chain` on `--physdev-in` (and `--physdev-out` when
 * the port has groups), `sg-chain` jumps to its `o`/`i` chains, INPUT sends what the port sends to
 * the host through its egress chain; each port's spoof, egress and (with groups) ingress chain;
 * `sg-chain` ends with ACCEPT, `sg-fallback` drops; raw PREROUTING sets the conntrack zone of its
 * network for the port's device and bridge. A port without groups gets anti-spoofing only. Pure
 * (edits the manager's model; runs nothing).
 */
export function buildFirewall(
  m: IptablesManager,
  desired: FirewallDesired,
  ctx: BuildContext,
): FirewallBuild {
  const groups = new Map(desired.securityGroups.map((g) => [g.name as string, g]));
  const sets = new Map<string, WantedSet>();
  const setName = ctx.setName
    ? (g: FirewallGroup, family: IpFamily) => {
        const id = resourceId(g.owner);
        const name = (ctx.setName as (id: string, family: IpFamily) => string)(id, family);
        sets.set(name, { id, family, members: g.members[family] });
        return name;
      }
    : null;
  // Ids are hashes: take each once.
  const ports = desired.ports
    .map((p) => ({ p, id: portId(p), net: resourceId(p.network) }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const family of FAMILIES) {
    const f = m.table('filter', family);
    const raw = m.table('raw', family);
    f.addChain(SG_CHAIN);
    f.addChain(SG_FALLBACK);
    f.addRule(SG_FALLBACK, '-j DROP');
    const bridges = new Map<string, string>();
    for (const { p, id, net: netId } of ports) {
      const dev = p.hook.device;
      const filtered = p.securityGroups.length > 0;
      const zone = ctx.zones.get(netId) as number;
      const net = zoneComment(netId);
      bridges.set(p.hook.bridge, `-i ${p.hook.bridge} -m comment --comment ${net} -j CT --zone ${zone}`);
      raw.addRule(
        'PREROUTING',
        `-m physdev --physdev-in ${dev} -m comment --comment ${net} -j CT --zone ${zone}`,
      );

      f.addChain(spoofChain(id));
      for (const r of spoofRules(p, family)) f.addRule(spoofChain(id), r);
      f.addChain(egressChain(id));
      for (const r of fixedEgressRules(id, family)) f.addRule(egressChain(id), r);
      if (filtered) {
        f.addChain(ingressChain(id));
        const tail = (direction: 'ingress' | 'egress') => [
          ...groupRules(p, groups, direction, family, setName),
          '-m state --state INVALID -j DROP',
          `-j $${SG_FALLBACK}`,
        ];
        const established = '-m state --state RELATED,ESTABLISHED -j RETURN';
        for (const r of [established, ...fixedIngressRules(p, family), ...tail('ingress')])
          f.addRule(ingressChain(id), r);
        for (const r of [established, ...tail('egress')]) f.addRule(egressChain(id), r);
        f.addRule('FORWARD', `-m physdev --physdev-out ${dev} --physdev-is-bridged -j $${SG_CHAIN}`);
      }
      f.addRule('FORWARD', `-m physdev --physdev-in ${dev} --physdev-is-bridged -j $${SG_CHAIN}`);
      if (filtered) {
        f.addRule(SG_CHAIN, `-m physdev --physdev-out ${dev} --physdev-is-bridged -j $${ingressChain(id)}`);
      }
      f.addRule(SG_CHAIN, `-m physdev --physdev-in ${dev} --physdev-is-bridged -j $${egressChain(id)}`);
      f.addRule('INPUT', `-m physdev --physdev-in ${dev} -j $${egressChain(id)}`);
    }
    f.addRule(SG_CHAIN, '-j ACCEPT');
    for (const b of [...bridges.keys()].sort()) raw.addRule('PREROUTING', bridges.get(b) as string);
  }
  return { sets };
}
