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
 * Parses `iptables-save` output (stdout only). Comments, counters and blank lines are ignored; a
 * rule for a chain that was not declared (which iptables-save never prints) gets the chain made
 * up. Pure.
 *
 * @throws {Error} on a line that is not iptables-save syntax (a sign that stderr was mixed in)
 */
export function parseSave(text: string): SavedState {
  const state: SavedState = new Map();
  let table: SavedTable | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = { name: line.slice(1), chains: new Map() };
      state.set(table.name, table);
    } else if (line === 'COMMIT') {
      table = null;
    } else if (table && line.startsWith(':')) {
      const [name = '', policy = '-'] = line.slice(1).split(' ');
      table.chains.set(name, { name, policy: policy === '-' ? null : policy, rules: [] });
    } else if (table && line.startsWith('-A ')) {
      const sp = line.indexOf(' ', 3);
      const name = sp < 0 ? line.slice(3) : line.slice(3, sp);
      let chain = table.chains.get(name);
      if (!chain) {
        chain = { name, policy: null, rules: [] };
        table.chains.set(name, chain);
      }
      chain.rules.push(sp < 0 ? '' : line.slice(sp + 1));
    } else {
      throw new Error(`iptables-save: unexpected line "${line}"`);
    }
  }
  return state;
}
