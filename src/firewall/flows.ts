// Which connection-tracking entries an apply must delete so that the flows a removed rule, set
// member, address pair or port allowed stop, and the flows that stay allowed are left alone: each
// removed rule becomes a conntrack filter on the port's zone and address, narrowed by the rule's
// protocol, single destination port and single remote address. Neutron: ip_conntrack's
// delete_conntrack_state_by_rule / _by_remote_ips and iptables_firewall's _remove_conntrack_entries_*.
import type { ConntrackFilter } from '../iptables/conntrack.js';
import type { SavedState } from '../iptables/save-parser.js';
import type { IpFamily } from '../net/types.js';
import { egressChain, parsePortChain } from './names.js';

/** Protocol names conntrack's `-p` knows (others are not narrowed by protocol). */
const CONNTRACK_PROTOCOLS = new Set(['tcp', 'udp', 'udplite', 'icmp', 'icmpv6', 'sctp', 'dccp', 'gre']);

const ESTABLISHED = '-m state --state RELATED,ESTABLISHED -j RETURN';

/** A port as the flow planner needs it. */
export interface FlowPort {
  /** Its zone. */
  readonly zone: number;
  /** Host addresses it may hold flows on, per family. */
  readonly addresses: Readonly<Record<IpFamily, readonly string[]>>;
  /** True when it has security groups (ingress is default-deny). */
  readonly filtered: boolean;
  /** Wanted rules of its chains, per family: `i`, `o`, `s`. */
  readonly chains: Readonly<
    Record<
      IpFamily,
      { readonly i: readonly string[]; readonly o: readonly string[]; readonly s: readonly string[] }
    >
  >;
}

/** What {@link cutFilters} compares. */
export interface FlowInput {
  /** The firewall's manager prefix (its chains are `tn-<prefix>-…`). */
  readonly prefix: string;
  /** The saved tables of the host place per family (null when not read). */
  readonly saved: Readonly<Record<IpFamily, SavedState | null>>;
  /** The ports wanted, by port id. */
  readonly ports: ReadonlyMap<string, FlowPort>;
  /** Zones of port devices as observed (for ports that go). */
  readonly deviceZones: ReadonlyMap<string, number>;
  /** Members leaving each set that stays: set name → family and the members removed. */
  readonly removedMembers: ReadonlyMap<
    string,
    { readonly family: IpFamily; readonly members: readonly string[] }
  >;
}

function tokensAfter(words: readonly string[], flag: string): string | undefined {
  const i = words.indexOf(flag);
  return i >= 0 ? words[i + 1] : undefined;
}

/** A `/32` or `/128` as its bare address; anything wider (or nothing) as undefined. */
function hostOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(.+)\/(32|128)$/.exec(value);
  return m ? m[1] : value.includes('/') ? undefined : value;
}

/**
 * The conntrack filters that select what one removed rule of a port's chain allowed: entries of the
 * port's zone to (ingress) or from (egress) each of its addresses, narrowed by protocol, single
 * destination port and single remote address when the rule has them. Pure.
 */
export function ruleFilters(
  rule: string,
  direction: 'ingress' | 'egress',
  family: IpFamily,
  zone: number,
  addresses: readonly string[],
): ConntrackFilter[] {
  const words = rule.split(' ');
  if (!words.includes('RETURN')) return [];
  const p = tokensAfter(words, '-p');
  const protocol = p === 'ipv6-icmp' ? 'icmpv6' : p;
  const narrow: { protocol?: string; dport?: number } = {};
  if (protocol !== undefined && CONNTRACK_PROTOCOLS.has(protocol)) {
    narrow.protocol = protocol;
    const single = tokensAfter(words, '--dport') ?? tokensAfter(words, '--dports');
    if (single !== undefined && /^\d+$/.test(single)) narrow.dport = Number(single);
  }
  const remote = hostOf(tokensAfter(words, direction === 'ingress' ? '-s' : '-d'));
  return addresses.map((a) =>
    direction === 'ingress'
      ? { family, zone, dst: a, ...(remote ? { src: remote } : {}), ...narrow }
      : { family, zone, src: a, ...(remote ? { dst: remote } : {}), ...narrow },
  );
}

function minus(have: readonly string[], want: readonly string[]): string[] {
  const w = new Set(want);
  return have.filter((r) => !w.has(r));
}

/**
 * Every conntrack filter an apply must run after its iptables changes: for each port chain of the
 * firewall seen in the host's tables, what it allowed that the wanted chains no longer allow —
 * removed rules (narrowed as {@link ruleFilters}), all of a direction when a port that was not
 * filtered gets groups, removed address pairs, every flow of a port that goes — and, for members
 * leaving a remote group's set, the flows between those members and each port whose rules match the
 * set. Duplicates are dropped. Pure.
 */
export function cutFilters(input: FlowInput): ConntrackFilter[] {
  const out = new Map<string, ConntrackFilter>();
  const add = (fs: readonly ConntrackFilter[]) => {
    for (const f of fs) out.set(JSON.stringify(f), f);
  };
  const lead = `tn-${input.prefix}-`;
  for (const family of [4, 6] as const) {
    const filter = input.saved[family]?.get('filter');
    if (!filter) continue;
    const seen = new Map<string, Partial<Record<'i' | 'o' | 's', readonly string[]>>>();
    for (const chain of filter.chains.values()) {
      if (!chain.name.startsWith(lead)) continue;
      const pc = parsePortChain(chain.name.slice(lead.length));
      if (!pc) continue;
      seen.set(pc.portId, { ...seen.get(pc.portId), [pc.kind]: chain.rules });
    }
    for (const [id, have] of seen) {
      const want = input.ports.get(id);
      if (!want) {
        add(
          goneFilters(input, filter.chains.get(`${lead}INPUT`)?.rules ?? [], lead, id, family, have.s ?? []),
        );
        continue;
      }
      const addrs = want.addresses[family];
      const chains = want.chains[family];
      if (want.filtered) {
        if (have.i === undefined && have.o !== undefined) {
          // Everything was admitted; now only what the groups say.
          add(addrs.map((a) => ({ family, zone: want.zone, dst: a })));
        }
        for (const r of minus(have.i ?? [], chains.i))
          add(ruleFilters(r, 'ingress', family, want.zone, addrs));
        if (have.o !== undefined && !have.o.includes(ESTABLISHED)) {
          add(addrs.map((a) => ({ family, zone: want.zone, src: a })));
        } else {
          for (const r of minus(have.o ?? [], chains.o))
            add(ruleFilters(r, 'egress', family, want.zone, addrs));
        }
      }
      for (const r of minus(have.s ?? [], chains.s)) {
        const a = hostOf(tokensAfter(r.split(' '), '-s'));
        if (a !== undefined && !addrs.includes(a) && !a.startsWith('fe80:')) {
          add([
            { family, zone: want.zone, src: a },
            { family, zone: want.zone, dst: a },
          ]);
        }
      }
    }
    for (const [name, { family: f, members }] of input.removedMembers) {
      if (f !== family || members.length === 0) continue;
      for (const want of input.ports.values()) {
        const chains = want.chains[family];
        const ingress = chains.i.some((r) => r.includes(`--match-set ${name} src`));
        const egress = chains.o.some((r) => r.includes(`--match-set ${name} dst`));
        for (const a of want.addresses[family]) {
          for (const m of members) {
            const h = hostOf(m);
            if (h === undefined) continue;
            if (ingress) add([{ family, zone: want.zone, dst: a, src: h }]);
            if (egress) add([{ family, zone: want.zone, src: a, dst: h }]);
          }
        }
      }
    }
  }
  return [...out.values()];
}

/** Every flow of a port that goes: its addresses (read back from its spoof chain) in its zone. */
function goneFilters(
  input: FlowInput,
  inputRules: readonly string[],
  lead: string,
  id: string,
  family: IpFamily,
  spoof: readonly string[],
): ConntrackFilter[] {
  const jump = `-j ${lead}${egressChain(id)}`;
  const dev = inputRules
    .filter((r) => r.endsWith(jump))
    .map((r) => tokensAfter(r.split(' '), '--physdev-in'))
    .find((d) => d !== undefined);
  const zone = dev === undefined ? undefined : input.deviceZones.get(dev);
  if (zone === undefined) return [];
  const out: ConntrackFilter[] = [];
  for (const r of spoof) {
    const a = hostOf(tokensAfter(r.split(' '), '-s'));
    if (a === undefined || a.startsWith('fe80:')) continue;
    out.push({ family, zone, dst: a }, { family, zone, src: a });
  }
  return out;
}
