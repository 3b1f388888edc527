// The pure diff from what iptables-save shows to what a manager wants: the minimal
// `iptables-restore --noflush` lines (Neutron's iptables_manager._modify_rules and friends).
import type { SavedTable } from './save-parser.js';

/** Where a rule of ours goes in a chain that also holds rules of others. */
export type RulePosition = 'top' | 'normal' | 'bottom';

/** A rule tenantnet wants, in canonical (iptables-save) form. */
export interface DesiredRule {
  /** The rule text after `-A CHAIN`, canonical. */
  readonly text: string;
  /**
   * `top`/`normal`: kept where it is if present; when missing, inserted right after the previous
   * rule of ours (or at the top). `bottom`: appended when missing.
   */
  readonly position: RulePosition;
  /**
   * A rule several managers need (the jump into a shared chain): ensured, never deleted by one
   * manager, recognised by its exact text rather than by an owner mark.
   */
  readonly shared?: boolean;
}

/** What one manager wants in one table. */
export interface DesiredTable {
  /** Chains this manager owns outright (wrapped chains), with their complete rule lists. */
  readonly owned: ReadonlyMap<string, readonly DesiredRule[]>;
  /** Rules of ours in chains we do not own (built-ins, shared chains), by chain. */
  readonly marked: ReadonlyMap<string, readonly DesiredRule[]>;
  /** Shared chains that must exist: created when missing, never deleted here. */
  readonly ensured: ReadonlySet<string>;
  /** True for a chain name this manager owns (its prefix), so a stray one is removed. */
  readonly isOwnedChain: (name: string) => boolean;
  /** True for a rule (in a chain we do not own) that carries this manager's owner mark. */
  readonly isOurs: (text: string) => boolean;
}

/** The `iptables-restore --noflush` lines for one table (without `*table` and `COMMIT`). */
export interface TableDiff {
  /** Chain declarations, rule deletions and insertions, chain flushes and deletions, in order. */
  readonly lines: string[];
}

/**
 * A longest common subsequence of two rule lists as index pairs (the rules a change keeps in
 * place). Common head and tail are matched first so that the quadratic table only covers the part
 * that changed (an unchanged chain costs one pass); a huge changed middle falls back to a greedy
 * in-order match (correct, perhaps not minimal). Pure.
 */
export function lcs(a: readonly string[], b: readonly string[]): [number, number][] {
  const pairs: [number, number][] = [];
  let s = 0;
  while (s < a.length && s < b.length && a[s] === b[s]) {
    pairs.push([s, s]);
    s++;
  }
  let ea = a.length;
  let eb = b.length;
  const tail: [number, number][] = [];
  while (ea > s && eb > s && a[ea - 1] === b[eb - 1]) {
    ea--;
    eb--;
    tail.unshift([ea, eb]);
  }
  const n = ea - s;
  const m = eb - s;
  if (n > 0 && m > 0) {
    if (n * m > 4_000_000) {
      let j = s;
      for (let i = s; i < ea && j < eb; i++) {
        const k = b.indexOf(a[i] as string, j);
        if (k >= 0 && k < eb) {
          pairs.push([i, k]);
          j = k + 1;
        }
      }
    } else {
      const w = m + 1;
      const dp = new Uint32Array((n + 1) * w);
      for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) {
          dp[i * w + j] =
            a[s + i] === b[s + j]
              ? (dp[(i + 1) * w + j + 1] as number) + 1
              : Math.max(dp[(i + 1) * w + j] as number, dp[i * w + j + 1] as number);
        }
      }
      let i = 0;
      let j = 0;
      while (i < n && j < m) {
        if (a[s + i] === b[s + j]) {
          pairs.push([s + i, s + j]);
          i++;
          j++;
        } else if ((dp[(i + 1) * w + j] as number) >= (dp[i * w + j + 1] as number)) i++;
        else j++;
      }
    }
  }
  return [...pairs, ...tail];
}

// As lcs(), but where a rule occurs more than once the later copies are the ones matched (so the
// earlier ones are left over, which is what deleting by rule text removes first).
function lcsLate(a: readonly string[], b: readonly string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  return lcs([...a].reverse(), [...b].reverse())
    .map(([i, j]): [number, number] => [n - 1 - i, m - 1 - j])
    .reverse();
}

// True when deleting each rule in `gone` by its text (iptables removes the first rule that matches)
// removes exactly the rules in `gone`.
function textDeletesExactly(current: readonly string[], gone: ReadonlySet<number>): boolean {
  const left = new Map<string, number>();
  for (const i of gone) left.set(current[i] as string, (left.get(current[i] as string) ?? 0) + 1);
  for (let i = 0; i < current.length; i++) {
    const n = left.get(current[i] as string) ?? 0;
    if (n === 0) continue;
    if (!gone.has(i)) return false;
    left.set(current[i] as string, n - 1);
  }
  return true;
}

/**
 * The edits that turn one chain's current rules into the desired ones, touching only rules that
 * `mine` says are ours (all of them for an owned chain) and never moving the others: deletions
 * from the bottom up, then insertions by number from the top down. Pure.
 *
 * Deletions go by number (`-D chain N`, numbers stay valid bottom-up), or with `byText` by the rule
 * itself (`-D chain RULE`): used in chains that hold foreign rules, so that a foreign rule
 * iptables-save printed ambiguously can never shift a number onto a rule that is not ours. When
 * deleting by text could take a different copy of a duplicated rule than the one meant, that chain
 * falls back to numbers.
 *
 * @param mine true for a current rule this manager may match or delete
 * @param deletable true for a rule of ours that may be deleted when not wanted
 */
export function diffChain(
  chain: string,
  current: readonly string[],
  desired: readonly DesiredRule[],
  mine: (text: string) => boolean,
  deletable: (text: string) => boolean,
  byText = false,
): string[] {
  const lines: string[] = [];
  const ourIdx: number[] = [];
  current.forEach((r, i) => {
    if (mine(r)) ourIdx.push(i);
  });
  const pairs = (byText ? lcsLate : lcs)(
    ourIdx.map((i) => current[i] as string),
    desired.map((d) => d.text),
  );
  const matchedCur = new Set(pairs.map(([i]) => ourIdx[i] as number));
  const desiredAt = new Map(pairs.map(([i, j]) => [j, ourIdx[i] as number]));
  const gone = new Set<number>();
  for (let k = ourIdx.length - 1; k >= 0; k--) {
    const i = ourIdx[k] as number;
    if (!matchedCur.has(i) && deletable(current[i] as string)) gone.add(i);
  }
  const asText = byText && textDeletesExactly(current, gone);
  for (const i of gone) lines.push(asText ? `-D ${chain} ${current[i]}` : `-D ${chain} ${i + 1}`);
  // The chain after the deletions, as slots; a slot remembers which current rule it holds.
  const work: number[] = [];
  current.forEach((_, i) => {
    if (!gone.has(i)) work.push(i);
  });
  let last = -1; // slot of the previous desired rule
  let next = -1; // fresh ids for inserted rules
  desired.forEach((d, j) => {
    const cur = desiredAt.get(j);
    if (cur !== undefined) {
      last = work.indexOf(cur);
      return;
    }
    if (d.position === 'bottom' || last + 1 === work.length) {
      lines.push(`-A ${chain} ${d.text}`.trimEnd());
      work.push(next);
      last = work.length - 1;
    } else {
      const at = last + 1;
      lines.push(`-I ${chain} ${at + 1} ${d.text}`.trimEnd());
      work.splice(at, 0, next);
      last = at;
    }
    next--;
  });
  return lines;
}

/**
 * The `iptables-restore --noflush` lines that bring one table from `current` (null: the table
 * was not printed, so it is empty) to what `want` describes. Pure.
 *
 * Only missing chains are made: an owned chain is declared (`:chain - [0:0]`), a shared chain is
 * made with `-N chain`, which fails the batch if another manager made it meanwhile instead of
 * emptying it (a declaration of an existing chain in --noflush mode empties it). In chains we do
 * not own, our rules are deleted by their text and surplus copies of a shared jump are removed.
 * Chains of ours no longer wanted are flushed and deleted last, after the jumps into them are gone.
 */
export function diffTable(current: SavedTable | null, want: DesiredTable): TableDiff {
  const chains = current?.chains ?? new Map();
  const head: string[] = [];
  const body: string[] = [];
  const tail: string[] = [];
  for (const name of want.ensured) if (!chains.has(name)) head.push(`-N ${name}`);
  for (const name of want.owned.keys()) if (!chains.has(name)) head.push(`:${name} - [0:0]`);
  for (const [name, rules] of want.owned) {
    const cur = chains.get(name)?.rules ?? [];
    body.push(
      ...diffChain(
        name,
        cur,
        rules,
        () => true,
        () => true,
      ),
    );
  }
  const marked = new Set([...want.marked.keys(), ...[...chains.keys()].filter((c) => !want.owned.has(c))]);
  for (const name of marked) {
    if (want.owned.has(name) || want.isOwnedChain(name)) continue;
    const rules = want.marked.get(name) ?? [];
    const shared = new Set(rules.filter((r) => r.shared).map((r) => r.text));
    const cur = chains.get(name)?.rules ?? [];
    body.push(
      ...diffChain(
        name,
        cur,
        rules,
        (t) => want.isOurs(t) || shared.has(t),
        // A shared jump left unmatched is a surplus copy (two managers raced to add it).
        (t) => want.isOurs(t) || shared.has(t),
        true,
      ),
    );
  }
  // Flush every chain that goes before deleting any: one may jump to another.
  const flush: string[] = [];
  for (const [name, chain] of chains) {
    if (!want.isOwnedChain(name) || want.owned.has(name)) continue;
    if (chain.rules.length > 0) flush.push(`-F ${name}`);
    tail.push(`-X ${name}`);
  }
  return { lines: [...head, ...body, ...flush, ...tail] };
}

/**
 * One `iptables-restore --noflush` input from per-table lines: `*table`, the lines, `COMMIT`, for
 * each table that has any. Empty string when nothing changes. Pure.
 */
export function restoreText(tables: ReadonlyMap<string, readonly string[]>): string {
  let out = '';
  for (const [table, lines] of tables) {
    if (lines.length > 0) out += `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
  }
  return out;
}

/** State-changing lines of a restore input: everything but `*table`, `COMMIT` and `-C` checks. Pure. */
export function countOps(text: string): number {
  return text
    .split('\n')
    .filter((l) => l !== '' && l !== 'COMMIT' && !l.startsWith('*') && !l.startsWith('-C ')).length;
}
