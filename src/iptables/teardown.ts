// The second half of a manager's teardown: the shared chains no manager uses any more, and the
// jumps into them (Neutron leaves neutron-filter-top to the last manager in a namespace too).
import { isOneLine } from './rule-text.js';
import type { SavedState } from './save-parser.js';

/**
 * The `iptables-restore --noflush` lines per table that remove each shared chain that is empty:
 * every rule that jumps or goes to it (deleted by its text, so no foreign rule can be hit by a
 * number that shifted), then the chain. A shared chain that still holds a rule is some other
 * manager's and stays, and so does one that a rule with a line break jumps to (its text cannot be
 * sent back safely). Pure.
 *
 * @param shared the shared chains as [table, chain]
 */
export function unusedSharedChainLines(
  saved: SavedState,
  shared: readonly (readonly [string, string])[],
): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  for (const [table, name] of shared) {
    const tab = saved.get(table);
    const chain = tab?.chains.get(name);
    if (!tab || !chain || chain.rules.length > 0) continue;
    const jumps: string[] = [];
    for (const c of tab.chains.values()) {
      for (const r of c.rules) {
        if (r.endsWith(`-j ${name}`) || r.endsWith(`-g ${name}`)) jumps.push(`-D ${c.name} ${r}`);
      }
    }
    if (!jumps.every(isOneLine)) continue;
    blocks.set(table, [...(blocks.get(table) ?? []), ...jumps, `-X ${name}`]);
  }
  return blocks;
}
