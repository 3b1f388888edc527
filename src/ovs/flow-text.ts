// OpenFlow flows as text for `ovs-ofctl add-flows|mod-flows|del-flows BR -` batches: the pure line
// builders and their guards, and the dump-flows parser. Neutron: ovs_lib's _build_flow_expr_str
// and the deferred-flows batch fed to `ovs-ofctl … -` on stdin.
import { InvalidInputError } from '../errors.js';
import { lineText } from '../net/text.js';
import { intIn } from '../net/types.js';

/** Match fields: `{ in_port: 1, ip: true, nw_dst: '10.0.0.1' }` (true = a bare keyword such as `ip`), or text. */
export type FlowMatch = string | Readonly<Record<string, string | number | true>>;

/** A flow to add or modify. */
export interface FlowSpec {
  /** OpenFlow table (0-254); default 0. */
  readonly table?: number;
  /** Priority (0-65535); default 1 for add (as Neutron), absent for mod. */
  readonly priority?: number;
  /** Cookie; default the {@link OfctlFlows}' own cookie. */
  readonly cookie?: bigint;
  /** Match; default everything. May not set the table, priority, cookie or timeouts: use the fields. */
  readonly match?: FlowMatch;
  /** Actions, e.g. `'drop'`, `['mod_vlan_vid:5', 'NORMAL']`. Required: a flow without actions is refused. */
  readonly actions: string | readonly string[];
  /** Idle timeout in seconds; default 0 (never). */
  readonly idleTimeout?: number;
  /** Hard timeout in seconds; default 0 (never). */
  readonly hardTimeout?: number;
}

/** Which flows to delete (or, with `actions`, modify). */
export interface FlowFilter {
  /** Table. */
  readonly table?: number;
  /** Only with `strict`: OpenFlow matches priority only in strict mode. */
  readonly priority?: number;
  /** Cookie to match exactly; {@link COOKIE_ANY} for any; default the {@link OfctlFlows}' own cookie. */
  readonly cookie?: bigint | typeof COOKIE_ANY;
  /** Match fields. May not set the table, priority or cookie: the filter's own fields do. */
  readonly match?: FlowMatch;
}

/** Matches flows whatever their cookie (Neutron's `COOKIE_ANY`). */
export const COOKIE_ANY: unique symbol = Symbol('COOKIE_ANY');

/** A flow as `ovs-ofctl dump-flows` shows it. */
export interface FlowEntry {
  /** Cookie. */
  readonly cookie: bigint;
  /** Table. */
  readonly table: number;
  /** Priority (32768 when the dump omits it, OpenFlow's default). */
  readonly priority: number;
  /** Match as printed, comma-separated (empty = everything). */
  readonly match: string;
  /** Actions as printed. */
  readonly actions: string;
  /** Packets matched so far. */
  readonly nPackets: number;
  /** Bytes matched so far. */
  readonly nBytes: number;
}

const MAX_COOKIE = (1n << 64n) - 1n;
const TOKEN = /^[^\s,=\n]+$/;

/**
 * Keywords ovs-ofctl accepts among match fields that are not match fields: they set the flow's
 * table, priority, cookie, timeouts or flags (ofp-flow.c `parse_ofp_str__`). In a match they would
 * override the fields tenantnet sets, and a `cookie` there would widen a delete beyond its owner's
 * flows, so a match may not name any of them (in any case, with `=`, `:` or `(`).
 */
const NOT_MATCH_FIELDS = new Set([
  'table',
  'priority',
  'cookie',
  'idle_timeout',
  'hard_timeout',
  'importance',
  'out_port',
  'out_group',
  'send_flow_rem',
  'check_overlap',
  'reset_counts',
  'no_packet_counts',
  'no_byte_counts',
  'no_readonly_table',
  'allow_hidden_fields',
  'duration',
  'n_packets',
  'n_bytes',
  'idle_age',
  'hard_age',
]);

/** Checks a cookie and renders it as ovs-ofctl reads it. @throws {InvalidInputError} */
export function cookieText(c: bigint, where: string): string {
  if (typeof c !== 'bigint' || c < 0n || c > MAX_COOKIE) {
    throw new InvalidInputError(`${where}: cookie is not a 64-bit unsigned integer`, where);
  }
  return `0x${c.toString(16)}`;
}

/**
 * The keys of a flow string as ovs-ofctl splits it (`ofputil_parse_key_value`): pairs separated by
 * commas or white space; a key ends at `:`, `=`, `(`, a comma or white space; a value after `:` or
 * `=` ends at a comma or white space outside parentheses, a value after `(` at the matching `)`. Pure.
 */
export function flowKeys(text: string): string[] {
  const keys: string[] = [];
  const sep = ', \t\r\n';
  let i = 0;
  for (;;) {
    while (i < text.length && sep.includes(text[i]!)) i++;
    if (i >= text.length) return keys;
    const start = i;
    while (i < text.length && !':=(, \t\r\n'.includes(text[i]!)) i++;
    keys.push(text.slice(start, i));
    const delim = text[i];
    if (i < text.length) i++;
    if (delim !== ':' && delim !== '=' && delim !== '(') continue;
    const ends = delim === '(' ? ')' : sep;
    // parse_value: stop at a delimiter, skipping over balanced (…) groups.
    while (i < text.length && !ends.includes(text[i]!)) {
      if (text[i] === '(') {
        let level = 0;
        do {
          if (text[i] === '(') level++;
          else if (text[i] === ')') level--;
          i++;
        } while (level > 0 && i < text.length);
      } else i++;
    }
    if (i < text.length) i++;
  }
}

// ovs-ofctl takes everything after the first "action" anywhere in a line (`action=`, `actionsX=`…)
// as the actions, and everything after a `#` as a comment: a match may contain neither.
const SMUGGLE = /action|#/i;

function matchText(m: FlowMatch | undefined, where: string): string {
  if (m === undefined) return '';
  let text: string;
  if (typeof m === 'string') text = lineText(m, where).trim();
  else {
    if (m === null || typeof m !== 'object') throw new InvalidInputError(`${where}: not a match`, where);
    text = Object.entries(m)
      .map(([k, v]) => {
        if (!/^[a-z][a-z0-9_]*$/.test(k)) {
          throw new InvalidInputError(`${where}: bad match field ${JSON.stringify(k)}`, where);
        }
        if (v === true) return k;
        const s = String(v);
        if (!TOKEN.test(s))
          throw new InvalidInputError(`${where}: bad value ${JSON.stringify(s)} for ${k}`, where);
        return `${k}=${s}`;
      })
      .join(',');
    lineText(text, where);
  }
  if (SMUGGLE.test(text)) {
    throw new InvalidInputError(`${where}: ${JSON.stringify(text)} may not contain "action" or "#"`, where);
  }
  for (const k of flowKeys(text)) {
    if (NOT_MATCH_FIELDS.has(k.toLowerCase())) {
      throw new InvalidInputError(
        `${where}: ${JSON.stringify(k)} is not a match field; use the flow's own table/priority/cookie/timeout fields`,
        where,
      );
    }
  }
  return text;
}

/** The actions of a flow as one comma-separated text. @throws {InvalidInputError} */
export function actionsText(a: string | readonly string[] | undefined, where: string): string {
  const list = typeof a === 'string' ? [a] : Array.isArray(a) ? a : [];
  const text = list
    .map((x, i) => lineText(x, `${where}[${i}]`).trim())
    .filter(Boolean)
    .join(',');
  if (!text) throw new InvalidInputError(`${where}: a flow needs actions (use "drop" to drop)`, where);
  // A `#` would make ovs-ofctl drop the rest of the line as a comment.
  if (text.includes('#'))
    throw new InvalidInputError(`${where}: ${JSON.stringify(text)} may not contain "#"`, where);
  return text;
}

function join(parts: (string | undefined)[]): string {
  return parts.filter((p) => p !== undefined && p !== '').join(',');
}

/** The `add-flows` line for a spec (defaults: table 0, priority 1, timeouts 0). Pure. @throws {InvalidInputError} */
export function addFlowLine(f: FlowSpec, defaultCookie: bigint, where = 'flow'): string {
  const actions = actionsText(f.actions, `${where}.actions`);
  return join([
    `table=${intIn(f.table ?? 0, 0, 254, `${where}.table`)}`,
    `priority=${intIn(f.priority ?? 1, 0, 65535, `${where}.priority`)}`,
    `cookie=${cookieText(f.cookie ?? defaultCookie, `${where}.cookie`)}`,
    `idle_timeout=${intIn(f.idleTimeout ?? 0, 0, 65535, `${where}.idleTimeout`)}`,
    `hard_timeout=${intIn(f.hardTimeout ?? 0, 0, 65535, `${where}.hardTimeout`)}`,
    matchText(f.match, `${where}.match`),
    `actions=${actions}`,
  ]);
}

/**
 * The `del-flows`/`mod-flows` line selecting flows. Pure. A priority is refused unless `strict`:
 * OpenFlow ignores it in a non-strict delete, which would delete more than the caller meant. The
 * cookie is always on the line: the owner's exactly (`cookie=C/-1`), or any (`cookie=0/0`) for
 * {@link COOKIE_ANY}, so a line is never empty (ovs-ofctl skips empty lines: "delete everything"
 * would delete nothing).
 *
 * @throws {InvalidInputError}
 */
export function filterLine(f: FlowFilter, strict: boolean, defaultCookie: bigint, where = 'flow'): string {
  if (f.priority !== undefined && !strict) {
    throw new InvalidInputError(
      `${where}.priority: only a strict delete/modify can match a priority`,
      `${where}.priority`,
    );
  }
  if (strict && f.priority === undefined) {
    throw new InvalidInputError(
      `${where}.priority: a strict delete/modify needs the exact priority`,
      `${where}.priority`,
    );
  }
  const cookie = f.cookie ?? defaultCookie;
  return join([
    f.table !== undefined ? `table=${intIn(f.table, 0, 254, `${where}.table`)}` : undefined,
    f.priority !== undefined ? `priority=${intIn(f.priority, 0, 65535, `${where}.priority`)}` : undefined,
    cookie === COOKIE_ANY ? 'cookie=0/0' : `cookie=${cookieText(cookie, `${where}.cookie`)}/-1`,
    matchText(f.match, `${where}.match`),
  ]);
}

/** The `mod-flows` line: a {@link filterLine} and new actions. Pure. @throws {InvalidInputError} */
export function modFlowLine(
  f: FlowFilter & Pick<FlowSpec, 'actions'>,
  strict: boolean,
  defaultCookie: bigint,
  where = 'flow',
): string {
  return `${filterLine(f, strict, defaultCookie, where)},actions=${actionsText(f.actions, `${where}.actions`)}`;
}

/** The selector of `dump-flows` (table and/or exact cookie), '' for all. Pure. @throws {InvalidInputError} */
export function dumpFilter(filter: { table?: number; cookie?: bigint }): string {
  return join([
    filter.table !== undefined ? `table=${intIn(filter.table, 0, 254, 'table')}` : undefined,
    filter.cookie !== undefined ? `cookie=${cookieText(filter.cookie, 'cookie')}/-1` : undefined,
  ]);
}

/** Parses `ovs-ofctl dump-flows` output (header lines such as `NXST_FLOW reply` are skipped). Pure. */
export function parseDumpFlows(text: string): FlowEntry[] {
  const out: FlowEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const at = line.indexOf(' actions=');
    if (!line.startsWith('cookie=') || at < 0) continue;
    let cookie = 0n;
    let table = 0;
    let priority = 32768;
    let nPackets = 0;
    let nBytes = 0;
    const match: string[] = [];
    for (const field of line.slice(0, at).split(/,\s*/)) {
      const eq = field.indexOf('=');
      const k = eq < 0 ? field : field.slice(0, eq);
      const v = eq < 0 ? '' : field.slice(eq + 1);
      if (k === 'cookie') cookie = BigInt(v);
      else if (k === 'table') table = Number(v);
      else if (k === 'priority') priority = Number(v);
      else if (k === 'n_packets') nPackets = Number(v);
      else if (k === 'n_bytes') nBytes = Number(v);
      else if (!STATS.has(k) && field) match.push(field);
    }
    out.push({
      cookie,
      table,
      priority,
      match: match.join(','),
      actions: line.slice(at + 9),
      nPackets,
      nBytes,
    });
  }
  return out;
}

const STATS = new Set([
  'duration',
  'idle_age',
  'hard_age',
  'idle_timeout',
  'hard_timeout',
  'send_flow_rem',
  'reset_counts',
  'no_packet_counts',
  'no_byte_counts',
  'importance',
]);
