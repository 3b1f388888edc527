// What a manager remembers of its last successful apply: the believed kernel state per family (for
// the fast path) and what it last sent per chain (to learn iptables' printed forms from). Neutron's
// iptables_manager keeps neither; tenantnet uses them to skip a read and to converge in one apply.

import type { IpFamily } from '../net/types.js';
import type { DesiredRule } from './diff.js';
import type { BelievedState } from './fast-path.js';
import { canonicalOf, type SentRule } from './learn.js';
import type { TableName } from './names.js';

/** One table's model as the manager sees it: chain → wrapped flag and ordered rules. */
export type TableSnapshot = ReadonlyMap<string, { wrapped: boolean; rules: readonly DesiredRule[] }>;

/** The models of one family's managed tables. */
export type FamilySnapshot = ReadonlyMap<TableName, TableSnapshot>;

/**
 * What the kernel holds of one family's owned chains once `model` is applied, and a fingerprint of
 * everything else of ours (marked rules, shared chains). Pure.
 */
export function believedState(family: IpFamily, model: FamilySnapshot): BelievedState {
  const owned = new Map<string, Map<string, string[]>>();
  const others: unknown[] = [];
  for (const [name, chains] of model) {
    const mine = new Map<string, string[]>();
    for (const [chain, c] of chains) {
      const texts = c.rules.map((r) => canonicalOf(family, r.text));
      if (c.wrapped) mine.set(chain, texts);
      else others.push([name, chain, c.rules.map((r) => [r.position, r.shared ?? false]), texts]);
    }
    owned.set(name, mine);
  }
  return { owned, others: JSON.stringify(others) };
}

/**
 * Per chain key (`family/table/chain`), the rules of ours as given and as canonical text: what
 * learning compares with the read-back later. Pure.
 */
export function sentRules(family: IpFamily, model: FamilySnapshot): Map<string, SentRule[]> {
  const out = new Map<string, SentRule[]>();
  for (const [name, chains] of model) {
    for (const [chain, c] of chains) {
      out.set(
        `${family}/${name}/${chain}`,
        c.rules.filter((r) => !r.shared).map((r) => ({ norm: r.text, text: canonicalOf(family, r.text) })),
      );
    }
  }
  return out;
}

/**
 * The `-C chain rule` lines per table that check, inside a fast batch, that every rule of ours in a
 * chain we do not own is still there (the jumps into our chains, the shared jumps): if one is gone,
 * iptables-restore refuses that table's block and the manager falls back to a full read, which
 * repairs it. Pure.
 */
export function checkLines(family: IpFamily, model: FamilySnapshot): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, chains] of model) {
    const lines: string[] = [];
    for (const [chain, c] of chains) {
      if (c.wrapped) continue;
      for (const r of c.rules) lines.push(`-C ${chain} ${canonicalOf(family, r.text)}`);
    }
    out.set(name, lines);
  }
  return out;
}

/** A manager's memory of its applies: believed kernel state per family and rules last sent. */
export class AppliedState {
  private readonly lastSent = new Map<string, readonly SentRule[]>();
  private readonly believed = new Map<IpFamily, BelievedState>();

  /** What the family's kernel tables were believed to hold after the last successful apply. */
  believedOf(family: IpFamily): BelievedState | undefined {
    return this.believed.get(family);
  }

  /** Records what a successful apply left in the family's tables. */
  believe(family: IpFamily, state: BelievedState): void {
    this.believed.set(family, state);
  }

  /** Forgets the believed state (of one family, or all): the next apply reads the kernel. */
  forgetBelieved(family?: IpFamily): void {
    if (family === undefined) this.believed.clear();
    else this.believed.delete(family);
  }

  /** The rules last sent to one chain (`family/table/chain`), if any. */
  lastSentTo(key: string): readonly SentRule[] | undefined {
    return this.lastSent.get(key);
  }

  /** Records what iptables accepted, per chain. */
  remember(sent: ReadonlyMap<string, readonly SentRule[]>): void {
    for (const [k, v] of sent) this.lastSent.set(k, v);
  }

  /**
   * Forgets what was sent to a family: after a failed restore it no longer describes the kernel
   * (blocks of tables before the failing one were committed), so nothing may be learned from it.
   */
  forgetSent(family: IpFamily): void {
    for (const k of [...this.lastSent.keys()]) if (k.startsWith(`${family}/`)) this.lastSent.delete(k);
  }
}
