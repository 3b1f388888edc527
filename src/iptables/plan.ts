// From what iptables-save shows and what one manager's model wants to the restore lines of one
// family (Neutron's iptables_manager._modify_rules, per table).
import type { IpFamily } from '../net/types.js';
import type { AppliedState, FamilySnapshot } from './applied.js';
import { sentRules } from './applied.js';
import { type DesiredRule, type DesiredTable, diffTable } from './diff.js';
import { canonicalOf, learnCanonical, type SentRule } from './learn.js';
import { isBuiltinChain, ownedLead } from './names.js';
import { isOneLine } from './rule-text.js';
import type { SavedState } from './save-parser.js';

/** Who is planning: the manager's prefix and owner mark, and what it remembers of its applies. */
export interface Planner {
  /** The manager's prefix (its chains are `tn-<prefix>-…`). */
  readonly prefix: string;
  /** Its owner mark (`<shared>:<prefix>`). */
  readonly mark: string;
  /** What it last sent (for learning printed forms). */
  readonly applied: AppliedState;
}

/**
 * The `iptables-restore --noflush` lines per table that bring one family from `saved` to `model`.
 * With `learn`, first learns from the read-back how iptables printed what was last sent, and fills
 * `learn` with what this plan sends (to remember once iptables accepts it). Pure apart from the
 * process-wide cache of learned forms.
 */
export function planFamily(
  family: IpFamily,
  saved: SavedState,
  model: FamilySnapshot,
  who: Planner,
  learn: Map<string, SentRule[]> | null,
): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  const lead = ownedLead(who.prefix);
  // Ours: our owner mark starts a comment. Never a text with a line break: only clean text read
  // from iptables-save may go back into a restore line (deletions in such chains are by text).
  const isOurs = (text: string) =>
    (text.includes(`--comment "${who.mark}"`) || text.includes(`--comment "${who.mark} `)) && isOneLine(text);
  for (const [name, chains] of model) {
    const current = saved.get(name) ?? null;
    const owned = new Map<string, DesiredRule[]>();
    const marked = new Map<string, DesiredRule[]>();
    const ensured = new Set<string>();
    for (const [chain, c] of chains) {
      const cur = current?.chains.get(chain)?.rules ?? [];
      const last = who.applied.lastSentTo(`${family}/${name}/${chain}`);
      if (learn && last) learnCanonical(family, last, c.wrapped ? cur : cur.filter(isOurs));
      const rules = c.rules.map((r) => ({ ...r, text: canonicalOf(family, r.text) }));
      (c.wrapped ? owned : marked).set(chain, rules);
      if (!c.wrapped && !isBuiltinChain(name, chain)) ensured.add(chain);
    }
    const want: DesiredTable = {
      owned,
      marked,
      ensured,
      isOwnedChain: (chain) => chain.startsWith(lead),
      isOurs,
    };
    blocks.set(name, diffTable(current, want).lines);
  }
  if (learn) for (const [k, v] of sentRules(family, model)) learn.set(k, v);
  return blocks;
}
