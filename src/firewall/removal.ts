// Removing a topology's whole firewall from the host: its iptables manager is torn down (the
// engine's `teardown` step), which also removes the shared chain (`tenantnet-filter-top`) and its
// jumps when no other tenantnet manager uses them, so nothing is left on a real host. Here: the
// restore text such a teardown sends, for the plan. Neutron leaves neutron-filter-top behind.
import { restoreText } from '../iptables/diff.js';
import type { IptablesManager } from '../iptables/manager.js';
import type { TableName } from '../iptables/names.js';
import { parseSave, type SavedState } from '../iptables/save-parser.js';
import { unusedSharedChainLines } from '../iptables/teardown.js';
import type { IpFamily } from '../net/types.js';

/** The tables the firewall manages. */
export const FIREWALL_TABLES: readonly TableName[] = ['filter', 'raw'];

/** Empties a manager's model (both families, the firewall's tables): what it wants is nothing. */
export function emptyModel(m: IptablesManager): IptablesManager {
  for (const family of [4, 6] as const) for (const t of FIREWALL_TABLES) m.table(t, family).clear();
  return m;
}

/**
 * The restore text `teardown()` of an emptied manager sends for one family, given the current
 * iptables-save output: the manager's own removals, then the shared chains that no manager uses
 * once they are gone. Pure with respect to the kernel.
 */
export function teardownText(m: IptablesManager, family: IpFamily, saveText: string): string {
  const own = m.plan(family, saveText);
  const after = withoutOwn(parseSave(saveText), `tn-${m.prefix}-`, m.mark);
  return own + restoreText(unusedSharedChainLines(after, [['filter', m.sharedChains.filterTop]]));
}

// The saved tables minus a manager's chains, the jumps into them and its marked rules elsewhere.
function withoutOwn(saved: SavedState, lead: string, mark: string): SavedState {
  const out: SavedState = new Map();
  for (const [name, table] of saved) {
    const chains = new Map();
    for (const [cname, chain] of table.chains) {
      if (cname.startsWith(lead)) continue;
      const rules = chain.rules.filter(
        (r) => !r.split(' ').some((w) => w.startsWith(lead)) && !r.includes(`--comment ${mark}`),
      );
      chains.set(cname, { ...chain, rules });
    }
    out.set(name, { name, chains });
  }
  return out;
}
