// Reads what iptables-save prints into tables, chains and rules (Neutron's iptables_manager reads
// the same text). Tolerant of foreign rules whose values span lines; never throws for them.
import { TenantnetError } from '../errors.js';

/** One chain as iptables-save printed it. */
export interface SavedChain {
  /** Chain name. */
  readonly name: string;
  /** Policy of a built-in chain (`ACCEPT`, `DROP`); null for a user chain (printed as `-`). */
  readonly policy: string | null;
  /** The rules, each the text after `-A CHAIN `, in order. */
  readonly rules: string[];
}

/** One table as iptables-save printed it. */
export interface SavedTable {
  /** Table name. */
  readonly name: string;
  /** Chains by name, in the order iptables-save printed them. */
  readonly chains: Map<string, SavedChain>;
}

/** Everything one `iptables-save` printed, by table name. A table it did not print is absent. */
export type SavedState = Map<string, SavedTable>;

/**
 * iptables-save cannot show a table (rules made with `nft` that iptables cannot express), so
 * tenantnet cannot see what it holds and refuses to change it.
 */
export class IncompatibleTableError extends TenantnetError {
  /** @param table the table iptables-save said it cannot show */
  constructor(readonly table: string) {
    super(
      `iptables-save cannot show the ${table} table (it holds rules made with nft that iptables cannot express); ` +
        'tenantnet will not change a table it cannot read',
    );
  }
}

// Options whose value iptables-save prints quoted (xtables_save_string), and which may hold a
// newline: inside their quotes a line break is part of the value.
const QUOTED_VALUE = /(?:^| )--(?:comment|log-prefix|nflog-prefix|string) "/;

// True when `text` ends inside a double-quoted value opened by one of the options above.
function openQuote(text: string): boolean {
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"' && QUOTED_VALUE.test(text.slice(0, i + 1))) {
      inQuote = true;
    }
  }
  return inQuote;
}

/**
 * Parses `iptables-save` output (stdout only). Comments, counters and blank lines are ignored; a
 * rule for a chain that was not declared gets the chain made up. Pure.
 *
 * Foreign rules may hold values that span lines (a comment with a newline, an interface or set name
 * with one). Such a rule stays one rule: a quoted comment is read to its closing quote, and any line
 * that is not iptables-save syntax continues the rule before it. A `COMMIT` followed by more rules
 * of the same table (a value that held "COMMIT") does not end the table. Nothing a foreign rule
 * holds makes this throw; tenantnet never deletes a foreign rule by number, so a value that mimics
 * a whole `-A` line can at worst misplace one of its own insertions.
 *
 * @throws {IncompatibleTableError} when iptables-save says it cannot show a table
 */
export function parseSave(text: string): SavedState {
  const state: SavedState = new Map();
  let table: SavedTable | null = null;
  let last: SavedTable | null = null; // the table a stray COMMIT may have closed too early
  let rule: { chain: SavedChain; index: number } | null = null;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = (lines[n] as string).replace(/\r$/, '');
    if (rule && openQuote(`${rule.chain.rules[rule.index]}`)) {
      rule.chain.rules[rule.index] += `\n${line}`;
      continue;
    }
    line = line.trimEnd();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const bad = /^# Table `([^']+)' is incompatible/.exec(line);
      if (bad) throw new IncompatibleTableError(bad[1] as string);
      continue;
    }
    if (/^\*[a-z_]+$/.test(line)) {
      const name = line.slice(1);
      table = state.get(name) ?? { name, chains: new Map() };
      state.set(name, table);
      last = table;
      rule = null;
      continue;
    }
    if (line === 'COMMIT') {
      table = null;
      continue;
    }
    if (line.startsWith(':') || line.startsWith('-A ')) {
      table ??= last; // after a COMMIT that was part of a value
      if (!table) continue;
      if (line.startsWith(':')) {
        const [name = '', policy = '-'] = line.slice(1).split(' ');
        const had = table.chains.get(name);
        table.chains.set(name, { name, policy: policy === '-' ? null : policy, rules: had?.rules ?? [] });
        rule = null;
        continue;
      }
      const sp = line.indexOf(' ', 3);
      const name = sp < 0 ? line.slice(3) : line.slice(3, sp);
      let chain = table.chains.get(name);
      if (!chain) {
        chain = { name, policy: null, rules: [] };
        table.chains.set(name, chain);
      }
      chain.rules.push(sp < 0 ? '' : line.slice(sp + 1));
      rule = { chain, index: chain.rules.length - 1 };
      continue;
    }
    // Not iptables-save syntax: the rest of a value that held a line break.
    if (rule) rule.chain.rules[rule.index] += `\n${line}`;
  }
  return state;
}
