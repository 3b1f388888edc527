// Removing a topology's whole firewall from the host: a manager whose apply is its teardown, so the
// engine's one `manager.apply()` also removes the shared chain (`tenantnet-filter-top`) and its jumps
// when no other tenantnet manager uses them — nothing is left on a real host. Neutron: the last
// iptables_manager in a namespace leaving neutron-filter-top behind is a known leftover; not here.
import { restoreText } from '../iptables/diff.js';
import { type ApplyReport, IptablesManager, type IptablesManagerOptions } from '../iptables/manager.js';
import type { TableName } from '../iptables/names.js';
import { parseSave, type SavedState } from '../iptables/save-parser.js';
import { unusedSharedChainLines } from '../iptables/teardown.js';
import type { IpFamily } from '../net/types.js';

/** The tables the firewall manages. */
export const FIREWALL_TABLES: readonly TableName[] = ['filter', 'raw'];

/**
 * An iptables manager of the firewall's prefix whose model is empty and whose {@link apply} is
 * `teardown()`: it removes every chain and marked rule of the prefix, then the shared chains nobody
 * uses any more.
 */
export class FirewallRemoval extends IptablesManager {
  /** @throws {InvalidInputError} as IptablesManager */
  constructor(opts: IptablesManagerOptions) {
    super({ ...opts, tables: FIREWALL_TABLES });
    for (const family of [4, 6] as const) for (const t of FIREWALL_TABLES) this.table(t, family).clear();
  }

  /** Removes everything of the prefix (see `IptablesManager.teardown`). */
  override apply(): Promise<ApplyReport> {
    return this.teardown();
  }

  /**
   * The restore text the removal sends for one family given the current iptables-save output: the
   * manager's own lines, then the shared chains' (computed on the tables as they will be once this
   * manager's rules are gone). Pure with respect to the kernel.
   */
  override plan(family: IpFamily, saveText: string): string {
    const own = super.plan(family, saveText);
    const after = withoutOwn(parseSave(saveText), `tn-${this.prefix}-`, this.mark);
    const shared = restoreText(unusedSharedChainLines(after, [['filter', this.sharedChains.filterTop]]));
    return own + shared;
  }
}

// The saved tables minus this manager's chains and its marked rules elsewhere.
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
