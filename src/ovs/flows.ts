import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { run } from '../exec/run.js';
import { ovsName } from './validate.js';

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
  /** Match; default everything. */
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
  /** Match fields. */
  readonly match?: FlowMatch;
}

/** Matches flows whatever their cookie. */
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

function intIn(v: number, lo: number, hi: number, where: string): number {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new InvalidInputError(`${where}: ${v} is not in ${lo}-${hi}`, where);
  return v;
}

function cookieText(c: bigint, where: string): string {
  if (c < 0n || c > MAX_COOKIE) throw new InvalidInputError(`${where}: cookie out of 64-bit range`, where);
  return `0x${c.toString(16)}`;
}

// ovs-ofctl takes everything after the first "action" anywhere in a flow line (`action=`,
// `actionsX=`…) as the actions, so a match may not contain that word at all.
const SMUGGLE = /[\n\r]|action/;

function matchText(m: FlowMatch | undefined, where: string): string {
  if (m === undefined) return '';
  if (typeof m === 'string') {
    // Text is passed through, but may not smuggle a second flow or an action into the batch.
    if (SMUGGLE.test(m)) throw new InvalidInputError(`${where}: bad match "${m}"`, where);
    return m.trim();
  }
  const text = Object.entries(m)
    .map(([k, v]) => {
      if (!/^[a-z][a-z0-9_]*$/.test(k))
        throw new InvalidInputError(`${where}: bad match field "${k}"`, where);
      if (v === true) return k;
      const s = String(v);
      if (!TOKEN.test(s)) throw new InvalidInputError(`${where}: bad value "${s}" for ${k}`, where);
      return `${k}=${s}`;
    })
    .join(',');
  if (SMUGGLE.test(text)) throw new InvalidInputError(`${where}: bad match "${text}"`, where);
  return text;
}

function actionsText(a: string | readonly string[] | undefined, where: string): string {
  const list = typeof a === 'string' ? [a] : (a ?? []);
  const text = list
    .map((x) => x.trim())
    .filter(Boolean)
    .join(',');
  if (!text) throw new InvalidInputError(`${where}: a flow needs actions (use "drop" to drop)`, where);
  if (/[\n\r]/.test(text)) throw new InvalidInputError(`${where}: bad actions "${text}"`, where);
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
 * OpenFlow ignores it in a non-strict delete, which would delete more than the caller meant.
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
    cookie === COOKIE_ANY ? undefined : `cookie=${cookieText(cookie, `${where}.cookie`)}/-1`,
    matchText(f.match, `${where}.match`),
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

/** Options for {@link OfctlFlows}. */
export interface OfctlFlowsOptions {
  /** Cookie for flows added without one, and the default filter of deletes; default random (as Neutron). */
  readonly cookie?: bigint;
  /** Environment for ovs-ofctl (e.g. `OVS_RUNDIR` of a private vswitchd, where it finds `BR.mgmt`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Send each batch as one atomic OpenFlow 1.4 bundle (default true). */
  readonly bundle?: boolean;
  /** Per-call timeout; default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * OpenFlow on one bridge through `ovs-ofctl`, many flows per process: the batch is validated
 * completely first, then fed on stdin to ONE `ovs-ofctl [--bundle] add-flows|mod-flows|del-flows BR -`
 * call, so a bad flow changes nothing.
 */
export class OfctlFlows {
  /** The bridge. */
  readonly bridge: string;
  /** This bridge object's default cookie. */
  readonly cookie: bigint;
  private readonly opts: OfctlFlowsOptions;

  /** @throws {InvalidInputError} for a bad bridge name or cookie */
  constructor(bridge: string, opts: OfctlFlowsOptions = {}) {
    this.bridge = ovsName(bridge, 'bridge name');
    this.cookie = opts.cookie ?? BigInt(`0x${randomBytes(8).toString('hex')}`) & ((1n << 63n) - 1n);
    cookieText(this.cookie, 'cookie');
    this.opts = opts;
  }

  private async ofctl(args: string[], input?: string): Promise<string> {
    const r = await run(['ovs-ofctl', ...args], {
      timeoutMs: this.opts.timeoutMs ?? 10_000,
      ...(this.opts.env ? { env: this.opts.env } : {}),
      ...(input !== undefined ? { input } : {}),
    });
    return r.stdout;
  }

  private batch(verb: string, lines: string[], strict = false): Promise<string> | undefined {
    if (lines.length === 0) return undefined;
    const flags = [...(this.opts.bundle === false ? [] : ['--bundle']), ...(strict ? ['--strict'] : [])];
    return this.ofctl([...flags, verb, this.bridge, '-'], `${lines.join('\n')}\n`);
  }

  /** Adds flows in one call. @throws {InvalidInputError} before anything runs; {@link ProcessError} from ovs-ofctl */
  async addFlows(flows: readonly FlowSpec[]): Promise<void> {
    await this.batch(
      'add-flows',
      flows.map((f, i) => addFlowLine(f, this.cookie, `flows[${i}]`)),
    );
  }

  /**
   * Modifies the actions of matching flows in one call (strict: exact match and priority).
   * Flows that match nothing are added, as OpenFlow's modify does.
   */
  async modFlows(
    flows: readonly (FlowFilter & Pick<FlowSpec, 'actions'>)[],
    opts: { strict?: boolean } = {},
  ) {
    const strict = opts.strict ?? false;
    const lines = flows.map((f, i) =>
      `${filterLine(f, strict, this.cookie, `flows[${i}]`)},actions=${actionsText(f.actions, `flows[${i}].actions`)}`.replace(
        /^,/,
        '',
      ),
    );
    await this.batch('mod-flows', lines, strict);
  }

  /**
   * Deletes matching flows in one call. A filter without a cookie deletes only this object's flows
   * (its cookie); pass `cookie: COOKIE_ANY` to delete regardless of cookie.
   */
  async deleteFlows(filters: readonly FlowFilter[], opts: { strict?: boolean } = {}): Promise<void> {
    const strict = opts.strict ?? false;
    await this.batch(
      'del-flows',
      filters.map((f, i) => filterLine(f, strict, this.cookie, `filters[${i}]`)),
      strict,
    );
  }

  /** Deletes every flow carrying `cookie` (default this object's). */
  deleteFlowsByCookie(cookie: bigint = this.cookie): Promise<void> {
    return this.deleteFlows([{ cookie }]);
  }

  /** The bridge's flows, optionally only one table and/or one cookie. */
  async dumpFlows(filter: { table?: number; cookie?: bigint } = {}): Promise<FlowEntry[]> {
    const sel = join([
      filter.table !== undefined ? `table=${intIn(filter.table, 0, 254, 'table')}` : undefined,
      filter.cookie !== undefined ? `cookie=${cookieText(filter.cookie, 'cookie')}/-1` : undefined,
    ]);
    return parseDumpFlows(await this.ofctl(['dump-flows', this.bridge, ...(sel ? [sel] : [])]));
  }
}
