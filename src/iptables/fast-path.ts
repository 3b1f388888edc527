// The incremental fast path: send changes to owned chains without reading first (tenantnet's own).
import { lcs } from './diff.js';

/**
 * The incremental fast path: what a manager believes one family's kernel tables hold after its last
 * successful apply, and the restore text that turns that into a new model without reading the
 * kernel first.
 *
 * Why it is safe: a manager owns its wrapped chains outright, so after a successful apply it knows
 * their exact content. The fast path is taken only when nothing but those chains changed; deletions
 * name the rule (`-D chain <rule>`), never a position, so a chain that drifted makes iptables-restore
 * refuse its table's block (each `*table … COMMIT` is atomic; earlier tables' blocks stay committed),
 * and the manager then falls back to a full read-and-diff, which reads what was committed and
 * repairs the drift. Pure.
 */

/** One family's believed state: owned chains' rules per table, and a fingerprint of everything else. */
export interface BelievedState {
  /** table → owned chain → rule texts in kernel order. */
  readonly owned: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** Everything of ours outside owned chains (marked rules, ensured chains), as one comparable string. */
  readonly others: string;
}

/**
 * The `iptables-restore --noflush` lines per table that turn `prev` into `next`, or null when the
 * fast path does not apply: something outside the owned chains changed, or a deleted rule has an
 * identical twin in its chain (deleting by rule text could then take the wrong copy).
 *
 * Per table the order is: new chains, deletions, insertions at their final positions (top down),
 * then flushes and deletions of chains that are gone (after every jump into them was deleted).
 */
export function fastPathLines(prev: BelievedState, next: BelievedState): Map<string, string[]> | null {
  if (prev.others !== next.others) return null;
  const out = new Map<string, string[]>();
  const tables = new Set([...prev.owned.keys(), ...next.owned.keys()]);
  for (const table of tables) {
    const before = prev.owned.get(table) ?? new Map<string, readonly string[]>();
    const after = next.owned.get(table) ?? new Map<string, readonly string[]>();
    const declare: string[] = [];
    const deletes: string[] = [];
    const inserts: string[] = [];
    const drop: string[] = [];
    for (const [chain, want] of after) {
      const had = before.get(chain);
      if (!had) declare.push(`:${chain} - [0:0]`);
      const current = had ?? [];
      const pairs = lcs(current, want);
      const keptOld = new Set(pairs.map(([i]) => i));
      const keptNew = new Set(pairs.map(([, j]) => j));
      for (let i = 0; i < current.length; i++) {
        if (keptOld.has(i)) continue;
        const rule = current[i]!;
        if (current.filter((r) => r === rule).length > 1) return null;
        deletes.push(`-D ${chain} ${rule}`);
      }
      for (let j = 0; j < want.length; j++)
        if (!keptNew.has(j)) inserts.push(`-I ${chain} ${j + 1} ${want[j]}`);
    }
    for (const [chain, had] of before) {
      if (after.has(chain)) continue;
      if (had.length > 0) drop.push(`-F ${chain}`);
      drop.push(`-X ${chain}`);
    }
    const lines = [
      ...declare,
      ...deletes,
      ...inserts,
      ...drop.filter((l) => l.startsWith('-F')),
      ...drop.filter((l) => l.startsWith('-X')),
    ];
    if (lines.length > 0) out.set(table, lines);
  }
  return out;
}
