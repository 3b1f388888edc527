import { InvalidInputError } from '../errors.js';
import { canonicalCidr } from './addresses.js';
import type { Family } from './names.js';
import { joinTokens, saveString, tokenize } from './rule-text.js';

// Long spellings of the base options, as iptables accepts them.
const BASE_ALIASES: Readonly<Record<string, string>> = {
  '--source': '-s',
  '--src': '-s',
  '--destination': '-d',
  '--dst': '-d',
  '--in-interface': '-i',
  '--out-interface': '-o',
  '--protocol': '-p',
  '--fragment': '-f',
  '--match': '-m',
  '--jump': '-j',
  '--goto': '-g',
};
const BASE_ORDER = ['-s', '-d', '-i', '-o', '-p', '-f'];

const PROTO_NUMBERS: Readonly<Record<string, string>> = {
  '1': 'icmp',
  '6': 'tcp',
  '17': 'udp',
  '47': 'gre',
  '50': 'esp',
  '51': 'ah',
  '58': 'ipv6-icmp',
  '132': 'sctp',
  icmpv6: 'ipv6-icmp',
};

// The implicit match loaded by `-p X`, and the options that load it.
const PROTO_MATCH: Readonly<Record<string, { module: string; options: readonly string[] }>> = {
  tcp: {
    module: 'tcp',
    options: [
      '--sport',
      '--dport',
      '--source-port',
      '--destination-port',
      '--syn',
      '--tcp-flags',
      '--tcp-option',
    ],
  },
  udp: { module: 'udp', options: ['--sport', '--dport', '--source-port', '--destination-port'] },
  icmp: { module: 'icmp', options: ['--icmp-type'] },
  'ipv6-icmp': { module: 'icmp6', options: ['--icmpv6-type'] },
};

// Options of common explicit matches, so that a protocol option written after one of them is
// recognised as starting the implicit protocol match (iptables loads it at that point).
const MODULE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  comment: ['--comment'],
  multiport: ['--dports', '--sports', '--ports', '--destination-ports', '--source-ports'],
  state: ['--state'],
  conntrack: [
    '--ctstate',
    '--ctproto',
    '--ctorigsrc',
    '--ctorigdst',
    '--ctreplsrc',
    '--ctrepldst',
    '--ctstatus',
    '--ctdir',
    '--ctzone',
  ],
  mac: ['--mac-source'],
  mark: ['--mark'],
  set: ['--match-set', '--return-nomatch', '--update-counters', '--update-subcounters'],
  physdev: ['--physdev-in', '--physdev-out', '--physdev-is-in', '--physdev-is-out', '--physdev-is-bridged'],
};

const ICMP_TYPES: Readonly<Record<string, string>> = {
  'echo-reply': '0',
  pong: '0',
  'destination-unreachable': '3',
  'network-unreachable': '3/0',
  'host-unreachable': '3/1',
  'protocol-unreachable': '3/2',
  'port-unreachable': '3/3',
  'fragmentation-needed': '3/4',
  'source-quench': '4',
  redirect: '5',
  'echo-request': '8',
  ping: '8',
  'router-advertisement': '9',
  'router-solicitation': '10',
  'time-exceeded': '11',
  'ttl-exceeded': '11',
  'parameter-problem': '12',
  'timestamp-request': '13',
  'timestamp-reply': '14',
};

const ICMP6_TYPES: Readonly<Record<string, string>> = {
  'destination-unreachable': '1',
  'packet-too-big': '2',
  'time-exceeded': '3',
  'ttl-exceeded': '3',
  'parameter-problem': '4',
  'echo-request': '128',
  ping: '128',
  'echo-reply': '129',
  pong: '129',
  'router-solicitation': '133',
  'router-advertisement': '134',
  'neighbour-solicitation': '135',
  'neighbor-solicitation': '135',
  'neighbour-advertisement': '136',
  'neighbor-advertisement': '136',
  redirect: '137',
};

interface Group {
  readonly name: string;
  readonly tokens: string[];
}

function toHex(v: string): string {
  return v
    .split('/')
    .map((x) => (/^\d+$/.test(x) ? `0x${Number(x).toString(16)}` : x.toLowerCase()))
    .join('/');
}

function fixMatch(g: Group, family: Family): void {
  const t = g.tokens;
  for (let i = 0; i < t.length; i++) {
    const o = t[i] as string;
    const next = t[i + 1];
    if (o === '--source-port') t[i] = '--sport';
    else if (o === '--destination-port') t[i] = '--dport';
    else if (o === '--destination-ports') t[i] = '--dports';
    else if (o === '--source-ports') t[i] = '--sports';
    else if (o === '--syn') t.splice(i, 1, '--tcp-flags', 'FIN,SYN,RST,ACK', 'SYN');
    if (next === undefined) continue;
    if (o === '--comment') t[i + 1] = saveString(next);
    else if (o === '--mac-source') t[i + 1] = next.toLowerCase();
    else if (o === '--icmp-type') t[i + 1] = ICMP_TYPES[next] ?? next;
    else if (o === '--icmpv6-type') t[i + 1] = ICMP6_TYPES[next] ?? next;
    else if (o === '--mark' && g.name === 'mark') t[i + 1] = toHex(next);
  }
  void family;
}

function fixTarget(g: Group, family: Family): void {
  const t = g.tokens;
  for (let i = 0; i < t.length; i++) {
    const o = t[i] as string;
    const next = t[i + 1];
    if (o === '--set-mark' && next !== undefined && !next.includes('/')) {
      t.splice(i, 2, '--set-xmark', `${toHex(next)}/0xffffffff`);
    } else if (o === '--to' && (g.name === 'DNAT' || g.name === 'SNAT')) {
      t[i] = g.name === 'DNAT' ? '--to-destination' : '--to-source';
    } else if (o === '--log-prefix' && next !== undefined) {
      t[i + 1] = saveString(next);
    }
  }
  if (g.name === 'REJECT' && !t.includes('--reject-with')) {
    t.push('--reject-with', family === 'ipv4' ? 'icmp-port-unreachable' : 'icmp6-port-unreachable');
  }
}

/**
 * Rewrites a rule (the part after `-A CHAIN`) into the form iptables-save prints, for the common
 * spellings: long option names, base options first (`-s -d -i -o -p`), `/32` or `/128` added and
 * host bits cleared, `/0` dropped, protocol numbers named, the implicit `-m tcp`/`-m udp`/`-m icmp`
 * inserted, `--syn`, ICMP type names as numbers, MACs lower-case, `--mark` in hex, `--set-mark` as
 * `--set-xmark`, REJECT's default `--reject-with`, comments quoted as iptables-save quotes them.
 * Forms it does not know pass through unchanged (the manager learns those from iptables itself).
 * Pure.
 *
 * @throws {InvalidInputError} on an unterminated quote or a bad address
 */
export function normaliseRule(rule: string, family: Family): string {
  // Callers rebuild whole chains on every change (as Neutron's firewall does): remember results.
  const key = `${family} ${rule}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const out = normaliseUncached(rule, family);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, out);
  return out;
}

const MEMO_MAX = 20_000;
const memo = new Map<string, string>();

function normaliseUncached(rule: string, family: Family): string {
  const tokens = tokenize(rule);
  const base = new Map<string, { neg: boolean; value: string | null }>();
  const matches: Group[] = [];
  let target: Group | null = null;
  let loose: string[] | null = null; // options before any -m: they belong to the protocol match
  let neg = false;
  let current: Group | null = null;
  let protoGroup: Group | null = null;
  let proto: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const raw = tokens[i] as string;
    const tok = BASE_ALIASES[raw] ?? raw;
    if (tok === '!') {
      neg = true;
      continue;
    }
    if (BASE_ORDER.includes(tok)) {
      const value = tok === '-f' ? null : (tokens[++i] ?? null);
      if (value === null && tok !== '-f')
        throw new InvalidInputError(`iptables rule: ${raw} needs a value in "${rule}"`);
      base.set(tok, { neg, value });
      if (tok === '-p' && value !== null) proto = PROTO_NUMBERS[value.toLowerCase()] ?? value.toLowerCase();
      neg = false;
      continue;
    }
    if (tok === '-m' || tok === '-j' || tok === '-g') {
      const name = tokens[++i];
      if (name === undefined) throw new InvalidInputError(`iptables rule: ${raw} needs a name in "${rule}"`);
      const g: Group = { name, tokens: [] };
      if (tok === '-m') matches.push(g);
      else target = { name: `${tok} ${name}`, tokens: [] };
      current = tok === '-m' ? g : target;
      if (tok === '-m' && proto && PROTO_MATCH[proto]?.module === name) protoGroup = g;
      neg = false;
      continue;
    }
    const implicit = proto ? PROTO_MATCH[proto] : undefined;
    const known = current && current !== target ? MODULE_OPTIONS[current.name] : undefined;
    if (
      implicit?.options.includes(tok) &&
      !protoGroup &&
      (current === null || (known && !known.includes(tok)))
    ) {
      if (current !== null) {
        protoGroup = { name: implicit.module, tokens: [] };
        matches.push(protoGroup);
        current = protoGroup;
      }
    }
    if (!current) loose ??= [];
    const dest = current ? current.tokens : (loose as string[]);
    if (neg) dest.push('!');
    neg = false;
    dest.push(tok);
  }
  if (loose) {
    const mod = proto ? PROTO_MATCH[proto]?.module : undefined;
    if (!mod)
      throw new InvalidInputError(`iptables rule: options "${loose.join(' ')}" need a -m match in "${rule}"`);
    matches.unshift({ name: mod, tokens: loose });
  }
  const out: string[] = [];
  for (const opt of BASE_ORDER) {
    const b = base.get(opt);
    if (!b) continue;
    let value = b.value;
    if ((opt === '-s' || opt === '-d') && value !== null) {
      value = canonicalCidr(value, family, `iptables rule "${rule}"`);
      if (value === null && !b.neg) continue;
      value ??= family === 'ipv4' ? '0.0.0.0/0' : '::/0';
    }
    if (opt === '-p' && value !== null) {
      value = PROTO_NUMBERS[value.toLowerCase()] ?? value.toLowerCase();
      if (value === 'all' && !b.neg) continue;
    }
    if (b.neg) out.push('!');
    out.push(opt);
    if (value !== null) out.push(value);
  }
  for (const g of matches) {
    fixMatch(g, family);
    out.push('-m', g.name, ...g.tokens);
  }
  if (target) {
    fixTarget({ name: target.name.slice(3), tokens: target.tokens }, family);
    out.push(...target.name.split(' '), ...target.tokens);
  }
  // Values already quoted by saveString must not be quoted again.
  return out
    .map((t) => (t.startsWith('"') && t.endsWith('"') && t.length > 1 ? t : joinTokens([t])))
    .join(' ');
}
