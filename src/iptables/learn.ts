// Learning how iptables prints rules the normaliser does not know, from iptables itself (what
// Neutron's debug mode checks by applying twice).
import type { IpFamily } from '../net/types.js';
import { isOneLine, tokenize } from './rule-text.js';

// Normalised text → the text iptables-save printed for it. Shared by every manager in the process:
// how iptables prints a rule is a property of the iptables build, not of a namespace.
const learned = new Map<string, string>();

/** A rule as last sent: the normalised text it came from and the text that was sent. */
export interface SentRule {
  /** The normaliser's output (the cache key). */
  readonly norm: string;
  /** What was sent (the learned form when one was known). */
  readonly text: string;
}

/** The canonical form of a normalised rule: what iptables printed for it, when learned; else itself. */
export function canonicalOf(family: IpFamily, norm: string): string {
  return learned.get(`${family} ${norm}`) ?? norm;
}

function target(text: string): string {
  let t: string[];
  try {
    t = tokenize(text);
  } catch {
    return ''; // not one of ours as sent: nothing to learn from
  }
  const i = t.findIndex((x) => x === '-j' || x === '-g');
  return i < 0 ? '' : `${t[i]} ${t[i + 1] ?? ''}`;
}

/**
 * Learns how iptables prints rules, from a chain that was last set to `sent` and now reads back as
 * `current` (only this manager's rules of the chain, in order). When the counts agree, each rule
 * read back differently but with the same target is taken as iptables' form of the one sent at
 * that place. A chain changed by someone else in between (different count or target) teaches
 * nothing, so the diff repairs it instead.
 *
 * @returns how many forms were learned
 */
export function learnCanonical(
  family: IpFamily,
  sent: readonly SentRule[],
  current: readonly string[],
): number {
  if (sent.length !== current.length) return 0;
  let n = 0;
  sent.forEach((s, i) => {
    const cur = current[i] as string;
    // Only text that can go back into a restore line may become a canonical form.
    if (cur !== s.text && isOneLine(cur) && target(cur) === target(s.text)) {
      learned.set(`${family} ${s.norm}`, cur);
      n++;
    }
  });
  return n;
}

/** Forgets every learned form (for tests). */
export function forgetLearned(): void {
  learned.clear();
}
