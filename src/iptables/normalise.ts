// A rule read the way iptables' getopt reads it, checked, and printed in the form iptables-save
// prints (Neutron's iptables_manager compares rules in that form too). Fails closed: what iptables
// would refuse, or what tenantnet cannot read unambiguously, is refused here, never rewritten.
import { Buffer } from 'node:buffer';
import { InvalidInputError } from '../errors.js';
import { lineText } from '../net/text.js';
import type { IpFamily } from '../net/types.js';
import { canonicalCidr } from './addresses.js';
import {
  BASE_ALIASES,
  BASE_ORDER,
  COMMAND_OPTIONS,
  ICMP_TYPES,
  ICMP6_TYPES,
  MATCH_OPTIONS,
  OPTION_ALIASES,
  type OptionArity,
  PRINT_ORDER,
  PROTO_MATCH,
  PROTO_NAMES,
  SAVE_STRING_OPTIONS,
  TARGET_OPTIONS,
} from './rule-grammar.js';
import { saveString, tokenize } from './rule-text.js';

/** One option of a match or target, with its values as given (unquoted). */
export interface RuleOption {
  /** The option (`--dport`). */
  readonly name: string;
  /** Negated (`! --dport 22`). */
  readonly neg: boolean;
  /** Its values. */
  readonly values: string[];
}

/** One `-m NAME …` match or the `-j`/`-g NAME …` target. */
export interface RuleGroup {
  /** Match or target name. */
  readonly name: string;
  /** The options tenantnet knows for it, or null (its options pass through unchecked). */
  readonly known: OptionArity | null;
  /** Its options in the order given. */
  readonly options: RuleOption[];
}

/** A rule as iptables reads it. */
export interface ParsedRule {
  /** Base options by name (`-s`, `-d`, `-i`, `-o`, `-p`, `-f`). */
  readonly base: Map<string, { neg: boolean; value: string | null }>;
  /** The matches in order (an implicit protocol match where iptables loads it). */
  readonly matches: RuleGroup[];
  /** The target, if any. */
  target: RuleGroup | null;
  /** True for `-g` (goto) rather than `-j`. */
  goto: boolean;
}

/** iptables' limit on one parameter of an iptables-restore line ("Parameter too long!"). */
const MAX_TOKEN = 1000;
/** Longest rule line tenantnet sends (iptables-restore reads lines into a fixed buffer). */
const MAX_RULE = 4000;
/** xt_comment keeps at most 255 bytes and silently cuts the rest. */
export const MAX_COMMENT_BYTES = 255;

// Matches that need their main option (iptables refuses them bare).
const NEEDS_OPTION = new Set(['comment', 'set', 'state', 'mac', 'mark', 'multiport']);
// Options that cannot be given together in one group: each maps to one shared key.
const EXCLUSIVE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  tcp: { '--syn': '--tcp-flags' },
  MARK: {
    '--set-mark': 'mark',
    '--set-xmark': 'mark',
    '--and-mark': 'mark',
    '--or-mark': 'mark',
    '--xor-mark': 'mark',
  },
  DNAT: { '--to': '--to-destination' },
  SNAT: { '--to': '--to-source' },
};

function fail(rule: string, why: string): never {
  throw new InvalidInputError(`iptables rule ${JSON.stringify(rule)}: ${why}`, 'rule');
}

function protoName(value: string): string {
  const v = value.toLowerCase();
  return PROTO_NAMES[v] ?? v;
}

function isCommand(tok: string): boolean {
  return tok.length > 3 && COMMAND_OPTIONS.some((c) => c.startsWith(tok));
}

/**
 * Reads a rule (the part after `-A CHAIN`) the way iptables does: base options, `-m` matches with
 * their options (the implicit protocol match where iptables loads it), and the target with its
 * options. Pure.
 *
 * @param text the rule text, for messages
 * @throws {InvalidInputError} for anything iptables would refuse or tenantnet cannot read
 *   unambiguously: repeated base options or targets, `!` in a wrong place, commands (`-F`, `-t`),
 *   unknown or repeated options of a known match, stray words, unbalanced quotes, ambiguity
 */
export function parseRule(tokens: readonly string[], text: string): ParsedRule {
  const base = new Map<string, { neg: boolean; value: string | null }>();
  const matches: RuleGroup[] = [];
  const parsed: ParsedRule = { base, matches, target: null, goto: false };
  let neg = false;
  let proto: string | null = null;
  let protoGroup: RuleGroup | null = null;
  let current: RuleGroup | null = null;
  let i = 0;
  const next = (what: string): string => {
    if (i + 1 >= tokens.length) fail(text, `${what} needs a value`);
    return tokens[++i] as string;
  };
  const has = (g: RuleGroup | null, tok: string) => g?.known != null && Object.hasOwn(g.known, tok);
  const ownerOf = (tok: string): RuleGroup => {
    if (has(current, tok)) return current as RuleGroup;
    if (current?.known && Object.keys(current.known).some((o) => o.startsWith(tok))) {
      fail(text, `${tok} abbreviates an option of ${current.name}: write it in full`);
    }
    if (has(parsed.target, tok)) return parsed.target as RuleGroup;
    const implicit = proto !== null ? PROTO_MATCH[proto] : undefined;
    if (implicit && Object.hasOwn(MATCH_OPTIONS[implicit] as OptionArity, tok)) {
      if (current && !current.known && current !== protoGroup) {
        fail(
          text,
          `cannot tell whether ${tok} belongs to ${current.name} (whose options tenantnet does not know) or to -p ${proto}: put it before ${current === parsed.target ? '-j' : '-m'} ${current.name}, or write -m ${implicit} ${tok}`,
        );
      }
      if (!protoGroup) {
        protoGroup = { name: implicit, known: MATCH_OPTIONS[implicit] as OptionArity, options: [] };
        matches.push(protoGroup);
      }
      return protoGroup;
    }
    if (current && !current.known) return current;
    if (parsed.target && !parsed.target.known) return parsed.target;
    return fail(text, `unknown option ${tok}${current ? ` for ${current.name}` : ''}`);
  };
  for (; i < tokens.length; i++) {
    const raw = tokens[i] as string;
    const tok = BASE_ALIASES[raw] ?? raw;
    if (tok === '!') {
      if (neg) fail(text, 'multiple consecutive ! are not allowed');
      neg = true;
      continue;
    }
    if (BASE_ORDER.includes(tok)) {
      if (base.has(tok)) fail(text, `multiple ${tok} flags are not allowed`);
      const value = tok === '-f' ? null : next(raw);
      base.set(tok, { neg, value });
      if (tok === '-p') proto = protoName(value as string);
      neg = false;
      continue;
    }
    if (tok === '-m') {
      if (neg) fail(text, '! cannot come before -m');
      const name = next(raw);
      if (!/^[A-Za-z0-9_]+$/.test(name)) fail(text, `${JSON.stringify(name)} is not a match name`);
      if (protoGroup?.name === name) {
        current = protoGroup; // iptables merges a protocol match given twice into one
        continue;
      }
      const g: RuleGroup = { name, known: MATCH_OPTIONS[name] ?? null, options: [] };
      if (Object.values(PROTO_MATCH).includes(name)) {
        if (protoGroup) fail(text, `-m ${name} and -m ${protoGroup.name} cannot both match the protocol`);
        protoGroup = g;
      }
      matches.push(g);
      current = g;
      continue;
    }
    if (tok === '-j' || tok === '-g') {
      if (neg) fail(text, `! cannot come before ${tok}`);
      if (parsed.target) fail(text, 'multiple -j or -g flags are not allowed (a rule has one target)');
      const name = next(raw);
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
        fail(text, `${JSON.stringify(name)} is not a target or chain name`);
      }
      parsed.target = { name, known: TARGET_OPTIONS[name] ?? null, options: [] };
      parsed.goto = tok === '-g';
      current = parsed.target;
      continue;
    }
    if (tok.startsWith('--') && tok.length > 2) {
      const implicit = proto !== null ? MATCH_OPTIONS[PROTO_MATCH[proto] ?? ''] : undefined;
      const known =
        has(current, tok) || has(parsed.target, tok) || (!!implicit && Object.hasOwn(implicit, tok));
      if (!known && isCommand(tok)) {
        fail(text, `${tok} is an iptables command or general option, not part of a rule`);
      }
      const owner = ownerOf(tok);
      const arity = owner.known ? (owner.known[tok] as number) : null;
      const values: string[] = [];
      if (arity !== null) {
        for (let k = 0; k < arity; k++) {
          const v = next(tok);
          if (v === '!') fail(text, `write ! before ${tok}, not after it`);
          values.push(v);
        }
      } else {
        while (i + 1 < tokens.length && !(tokens[i + 1] as string).startsWith('-') && tokens[i + 1] !== '!') {
          values.push(tokens[++i] as string);
        }
      }
      const key = (o: string) => EXCLUSIVE[owner.name]?.[o] ?? OPTION_ALIASES[o] ?? o;
      if (owner.options.some((o) => key(o.name) === key(tok))) {
        fail(text, `${tok} can only be used once in ${owner.name}`);
      }
      owner.options.push({ name: tok, neg, values });
      neg = false;
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1) fail(text, `unknown option ${tok}`);
    fail(text, `unexpected word ${JSON.stringify(tok)} (iptables: Bad argument)`);
  }
  if (neg) fail(text, 'nothing follows !');
  for (const g of matches) {
    const needs = Object.entries(PROTO_MATCH).find(([, m]) => m === g.name)?.[0];
    if (needs && proto !== needs) fail(text, `-m ${g.name} needs -p ${needs}`);
    if (NEEDS_OPTION.has(g.name) && g.options.length === 0) fail(text, `-m ${g.name} needs its option`);
  }
  return parsed;
}

/** True for a value iptables-restore reads back as one plain word. */
function plain(v: string): boolean {
  return v !== '' && !/[\s"'\\]/.test(v);
}

function checkValues(p: ParsedRule, text: string): void {
  for (const [opt, b] of p.base) {
    if (b.value !== null && !plain(b.value)) fail(text, `${opt} ${JSON.stringify(b.value)} is not one word`);
    if ((opt === '-i' || opt === '-o') && !/^[A-Za-z0-9_.@+-]{1,15}$/.test(b.value as string)) {
      fail(
        text,
        `${opt} ${JSON.stringify(b.value)} is not an interface name (1-15 of A-Z a-z 0-9 _ . @ + -)`,
      );
    }
  }
  for (const g of [...p.matches, ...(p.target ? [p.target] : [])]) {
    for (const o of g.options) {
      for (const v of o.values) {
        if (v.length > MAX_TOKEN) fail(text, `the value of ${o.name} is longer than ${MAX_TOKEN} characters`);
        // Known options take plain words, except the free-text ones iptables-save quotes.
        if (g.known && !SAVE_STRING_OPTIONS.has(o.name) && !plain(v)) {
          fail(text, `${o.name} ${JSON.stringify(v)} is not one word`);
        }
        if (o.name === '--comment' && Buffer.byteLength(v) > MAX_COMMENT_BYTES) {
          fail(text, `a comment holds at most ${MAX_COMMENT_BYTES} bytes (iptables would cut it)`);
        }
      }
    }
  }
}

function toHex(v: string): string {
  return v
    .split('/')
    .map((x) => (/^\d+$/.test(x) ? `0x${Number(x).toString(16)}` : x.toLowerCase()))
    .join('/');
}

// Rewrites one match's options into the form iptables-save prints.
function canonicalMatch(g: RuleGroup): RuleOption[] {
  let opts = g.options.map((o) => {
    const name = OPTION_ALIASES[o.name] ?? o.name;
    const v = o.values;
    if (name === '--syn') return { name: '--tcp-flags', neg: o.neg, values: ['FIN,SYN,RST,ACK', 'SYN'] };
    if (name === '--mac-source') return { ...o, name, values: v.map((x) => x.toLowerCase()) };
    if (name === '--icmp-type') return { ...o, name, values: v.map((x) => ICMP_TYPES[x] ?? x) };
    if (name === '--icmpv6-type') return { ...o, name, values: v.map((x) => ICMP6_TYPES[x] ?? x) };
    if (name === '--mark' && g.name === 'mark') return { ...o, name, values: v.map(toHex) };
    return { ...o, name };
  });
  const order = PRINT_ORDER[g.name];
  if (order) {
    const rank = (o: RuleOption) => {
      const r = order.indexOf(o.name);
      return r < 0 ? order.length : r;
    };
    opts = [...opts].sort((a, b) => rank(a) - rank(b));
  }
  return opts;
}

function canonicalTarget(g: RuleGroup, family: IpFamily): RuleOption[] {
  const opts = g.options.map((o) => {
    const v = o.values;
    if (o.name === '--set-mark' && g.name === 'MARK' && v[0] !== undefined && !v[0].includes('/')) {
      return { name: '--set-xmark', neg: o.neg, values: [`${toHex(v[0])}/0xffffffff`] };
    }
    if (o.name === '--to' && (g.name === 'DNAT' || g.name === 'SNAT')) {
      return { ...o, name: g.name === 'DNAT' ? '--to-destination' : '--to-source' };
    }
    return o;
  });
  if (g.name === 'REJECT' && !opts.some((o) => o.name === '--reject-with')) {
    opts.push({
      name: '--reject-with',
      neg: false,
      values: [family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'],
    });
  }
  return opts;
}

function printValue(option: string, v: string): string {
  return SAVE_STRING_OPTIONS.has(option) ? saveString(v) : plain(v) ? v : saveString(v);
}

function printOptions(out: string[], opts: readonly RuleOption[]): void {
  for (const o of opts) {
    if (o.neg) out.push('!');
    out.push(o.name, ...o.values.map((v) => printValue(o.name, v)));
  }
}

/**
 * Prints a parsed rule in the form iptables-save prints: base options first (`-s -d -i -o -p -f`;
 * `/32` or `/128` added and host bits cleared, `/0` and `-p all` dropped, protocol numbers named),
 * then the matches in order (options renamed and ordered as iptables prints them, `--syn`, ICMP
 * type names as numbers, MACs lower-case, `--mark` in hex), then the target (`--set-mark` as
 * `--set-xmark`, `--to` spelled out, REJECT's default `--reject-with`), free text quoted as
 * xtables_save_string quotes it. Pure.
 *
 * @throws {InvalidInputError} on a bad address, a value that is not one word, an over-long comment
 */
export function printRule(p: ParsedRule, family: IpFamily, text: string): string {
  checkValues(p, text);
  const out: string[] = [];
  for (const opt of BASE_ORDER) {
    const b = p.base.get(opt);
    if (!b) continue;
    let value = b.value;
    if ((opt === '-s' || opt === '-d') && value !== null) {
      value = canonicalCidr(value, family, `iptables rule ${JSON.stringify(text)}`);
      if (value === null && !b.neg) continue;
      value ??= family === 4 ? '0.0.0.0/0' : '::/0';
    }
    if (opt === '-p' && value !== null) {
      value = protoName(value);
      if (value === 'all' && !b.neg) continue;
    }
    if (b.neg) out.push('!');
    out.push(opt);
    if (value !== null) out.push(value);
  }
  for (const g of p.matches) {
    out.push('-m', g.name);
    printOptions(out, canonicalMatch(g));
  }
  if (p.target) {
    out.push(p.goto ? '-g' : '-j', p.target.name);
    printOptions(out, canonicalTarget(p.target, family));
  }
  const line = out.join(' ');
  if (line.length > MAX_RULE) fail(text, `the rule is longer than ${MAX_RULE} characters`);
  return line;
}

/**
 * Rewrites a rule (the part after `-A CHAIN`) into the form iptables-save prints (see
 * {@link printRule}), after reading it as iptables would ({@link parseRule}). Forms it does not
 * know pass through unchanged (the manager learns those from iptables itself). Pure.
 *
 * @throws {InvalidInputError} on a control character, an unterminated quote, a bad address, or
 *   anything {@link parseRule} refuses
 */
export function normaliseRule(rule: string, family: IpFamily): string {
  // Callers rebuild whole chains on every change (as Neutron's firewall does): remember results.
  const key = `${family} ${rule}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  lineText(rule, 'iptables rule');
  const out = printRule(parseRule(tokenize(rule), rule), family, rule);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, out);
  return out;
}

const MEMO_MAX = 20_000;
const memo = new Map<string, string>();
