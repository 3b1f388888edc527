import { InvalidInputError } from '../errors.js';
import { type DesiredRule, type DesiredTable, diffTable, restoreText } from './diff.js';
import { IptablesRestoreError } from './errors.js';
import { type IptablesExecutor, KernelIptablesExecutor } from './executor.js';
import { type BelievedState, fastPathLines } from './fast-path.js';
import { canonicalOf, learnCanonical, type SentRule } from './learn.js';
import {
  checkPrefix,
  FAMILIES,
  type Family,
  isBuiltinChain,
  TABLES,
  type TableName,
  WRAPPED_BUILTINS,
  wrapName,
} from './names.js';
import { parseSave, type SavedState } from './save-parser.js';
import { IptablesTable } from './table.js';

/** Options for {@link IptablesManager}. */
export interface IptablesManagerOptions {
  /** Network namespace; null or absent: the root namespace. */
  readonly namespace?: string | null;
  /** Chain prefix of this manager (1-16 of `A-Z a-z 0-9 _`); wrapped chains are `<prefix>-<chain>`. */
  readonly prefix: string;
  /** Name of the shared chains and of the owner mark (default `tenantnet`, at most 9 characters). */
  readonly shared?: string;
  /** Families to manage (default both). */
  readonly families?: readonly Family[];
  /** Tables to manage (default filter, nat, mangle, raw). */
  readonly tables?: readonly TableName[];
  /** How to reach iptables (default the real tools; unit tests pass a fake). */
  readonly executor?: IptablesExecutor;
}

/** Options for {@link IptablesManager.apply}. */
export interface ApplyOptions {
  /**
   * Read the tables back after a restore and check that nothing is left to do, learning from
   * iptables how it prints any rule the normaliser did not know (Neutron's debug mode). Costs one
   * more iptables-save per family that changed.
   */
  readonly verify?: boolean;
}

/** What one apply did. */
export interface ApplyReport {
  /** Rule and chain operations sent (lines other than `*table` and `COMMIT`); 0 when converged. */
  readonly operations: number;
  /** Every line sent, per family, exactly as fed to iptables-restore. */
  readonly sent: Readonly<Partial<Record<Family, string>>>;
  /** iptables-restore processes run (at most one per family). */
  readonly restores: number;
  /** With `verify`: operations a second pass would still send (0 when converged). */
  readonly remaining?: number;
}

const EMPTY_REPORT: ApplyReport = { operations: 0, sent: {}, restores: 0 };

/**
 * Neutron's iptables_manager: the iptables state one component wants in one namespace, kept as a
 * model and applied with one `iptables-restore -w --noflush` per family carrying only what changed.
 *
 * Its chains are wrapped (`<prefix>-<chain>`); each wrapped built-in (filter INPUT/FORWARD/OUTPUT,
 * nat PREROUTING/OUTPUT/POSTROUTING, all of mangle, raw PREROUTING/OUTPUT) jumps to its twin; the
 * shared `<shared>-filter-top` (top of filter FORWARD and OUTPUT) jumps to `<prefix>-local`; the
 * shared nat `<shared>-postrouting-bottom` (end of POSTROUTING) jumps to `<prefix>-snat`, whose
 * first rule jumps to `<prefix>-float-snat`. Several managers with different prefixes coexist in
 * one namespace; rules and chains of others are never touched and keep their order.
 *
 * @example
 * const m = new IptablesManager({ namespace: 'qrouter-1', prefix: 'l3' });
 * const f = m.table('filter');
 * f.addChain('web');
 * f.addRule('INPUT', '-p tcp --dport 80 -j $web');
 * f.addRule('web', '-s 10.0.0.0/8 -j ACCEPT');
 * await m.apply(); // first apply: bootstrap and rules; a second apply sends nothing
 */
export class IptablesManager {
  /** The namespace (null: the root namespace). */
  readonly namespace: string | null;
  /** The chain prefix. */
  readonly prefix: string;
  /** The owner mark in the comment of this manager's rules outside its own chains. */
  readonly mark: string;
  /** Names of the shared chains. */
  readonly sharedChains: { readonly filterTop: string; readonly postroutingBottom: string };
  private readonly families: readonly Family[];
  private readonly tableNames: readonly TableName[];
  private readonly executor: IptablesExecutor;
  private readonly tables = new Map<string, IptablesTable>();
  private readonly sharedMark: string;
  // What the last apply left in each chain (canonical texts of ours), to learn iptables' forms from.
  private readonly lastSent = new Map<string, readonly SentRule[]>();
  // What each family's kernel tables hold after the last successful apply, as far as we own them.
  private readonly believed = new Map<Family, BelievedState>();
  private deferred = 0;
  private lock: Promise<unknown> = Promise.resolve();

  /**
   * @throws {InvalidInputError} on a bad prefix or shared name
   */
  constructor(opts: IptablesManagerOptions) {
    this.namespace = opts.namespace ?? null;
    this.prefix = checkPrefix(opts.prefix);
    const shared = opts.shared ?? 'tenantnet';
    if (!/^[a-z0-9_]{1,9}$/.test(shared)) {
      throw new InvalidInputError(`iptables shared name: "${shared}" is not 1-9 of a-z 0-9 _`, 'shared');
    }
    this.mark = `${shared}:${this.prefix}`;
    this.sharedMark = `${shared}:shared`;
    this.sharedChains = {
      filterTop: `${shared}-filter-top`,
      postroutingBottom: `${shared}-postrouting-bottom`,
    };
    this.families = opts.families ?? FAMILIES;
    this.tableNames = opts.tables ?? TABLES;
    this.executor = opts.executor ?? new KernelIptablesExecutor();
    for (const family of this.families) for (const name of this.tableNames) this.bootstrap(family, name);
  }

  /**
   * The model of one table for one family (default ipv4).
   *
   * @throws {InvalidInputError} when the manager does not manage that table or family
   */
  table(name: TableName, family: Family = 'ipv4'): IptablesTable {
    const t = this.tables.get(`${family}/${name}`);
    if (!t)
      throw new InvalidInputError(`iptables manager "${this.prefix}" does not manage ${family} ${name}`);
    return t;
  }

  /** The wrapped name of `chain` for this manager. */
  wrapped(chain: string): string {
    return wrapName(this.prefix, chain);
  }

  private bootstrap(family: Family, name: TableName): void {
    const t = new IptablesTable(family, name, { prefix: this.prefix, mark: this.mark });
    this.tables.set(`${family}/${name}`, t);
    const sharedJump = (chain: string) => `-m comment --comment ${this.sharedMark} -j ${chain}`;
    for (const builtin of WRAPPED_BUILTINS[name]) t.addChain(builtin);
    if (name === 'filter') {
      t.addChain(this.sharedChains.filterTop, { wrap: false });
      for (const b of ['FORWARD', 'OUTPUT'])
        t.insert(b, sharedJump(this.sharedChains.filterTop), { wrap: false }, 'top', true);
      t.addChain('local');
      t.addRule(this.sharedChains.filterTop, '-j $local', { wrap: false });
    }
    if (name === 'nat') {
      t.addChain(this.sharedChains.postroutingBottom, { wrap: false });
      t.insert(
        'POSTROUTING',
        sharedJump(this.sharedChains.postroutingBottom),
        { wrap: false },
        'bottom',
        true,
      );
      t.addChain('snat');
      t.addChain('float-snat');
      t.addRule('snat', '-j $float-snat');
      t.addRule(this.sharedChains.postroutingBottom, '-j $snat', { wrap: false });
    }
    for (const builtin of WRAPPED_BUILTINS[name]) t.addRule(builtin, `-j $${builtin}`, { wrap: false });
  }

  /**
   * Runs `fn` (which edits the model) and applies once afterwards; applies requested inside `fn`
   * are folded into that one. When `fn` throws, nothing is applied and the error is rethrown (the
   * model keeps the edits made so far; the next apply sends them).
   */
  async deferApply(fn: () => unknown): Promise<ApplyReport> {
    this.deferred++;
    try {
      await fn();
    } finally {
      this.deferred--;
    }
    return this.deferred > 0 ? EMPTY_REPORT : this.apply();
  }

  /**
   * Brings the kernel to the model: per family one iptables-save, a diff, and one
   * `iptables-restore -w --noflush` carrying only the changed lines (none when converged). Applies
   * of one manager run one at a time. Inside {@link deferApply} it does nothing.
   *
   * @throws {IptablesRestoreError} when iptables refuses the batch (nothing of the failing table's block applied)
   * @throws {NamespaceNotFoundError} when the namespace is gone
   * @throws {LegacyTablesError} when the namespace holds legacy iptables rules
   */
  apply(opts: ApplyOptions = {}): Promise<ApplyReport> {
    if (this.deferred > 0) return Promise.resolve(EMPTY_REPORT);
    const next = this.lock.then(() => this.applyNow(opts));
    this.lock = next.catch(() => {});
    return next;
  }

  /**
   * The restore text the next apply would send for one family, given the current iptables-save
   * output. Pure with respect to the kernel: for plans and tests.
   */
  plan(family: Family, saveText: string): string {
    return restoreText(this.diff(family, parseSave(saveText), null));
  }

  private async applyNow(opts: ApplyOptions): Promise<ApplyReport> {
    // Families are independent batches in independent kernel tables: run them side by side.
    const results = await Promise.all(this.families.map((family) => this.applyFamily(family, opts)));
    const sent: Partial<Record<Family, string>> = {};
    let operations = 0;
    let restores = 0;
    let remaining = 0;
    this.families.forEach((family, i) => {
      const r = results[i];
      if (!r || r.text === '') return;
      sent[family] = r.text;
      operations += countOps(r.text);
      restores++;
      remaining += r.remaining;
    });
    return { operations, sent, restores, ...(opts.verify ? { remaining } : {}) };
  }

  private async applyFamily(
    family: Family,
    opts: ApplyOptions,
  ): Promise<{ text: string; remaining: number }> {
    const fast = opts.verify ? null : await this.applyFast(family);
    if (fast !== null) return { text: fast, remaining: 0 };
    this.believed.delete(family);
    const saved = parseSave(await this.executor.save(this.namespace, family));
    const pending = new Map<string, SentRule[]>();
    const text = restoreText(this.diff(family, saved, pending));
    // Taken with the diff, before the restore awaits: edits made meanwhile were not sent.
    const believed = this.believedState(family);
    if (text !== '') await this.restore(family, text);
    // Only what iptables accepted may teach the next apply how iptables prints it.
    for (const [k, v] of pending) this.lastSent.set(k, v);
    this.believed.set(family, believed);
    if (text === '' || !opts.verify) return { text, remaining: 0 };
    const again = parseSave(await this.executor.save(this.namespace, family));
    return { text, remaining: countOps(restoreText(this.diff(family, again, new Map()))) };
  }

  /**
   * The incremental fast path (see fast-path.ts): when only this manager's own chains changed since
   * the last successful apply, send their changes without reading the tables first. Returns the text
   * sent, or null when the full read-and-diff must run: nothing believed yet, nothing changed (an
   * unchanged apply still reads, so drift is noticed and repaired), something else changed, or
   * iptables refused the batch because the kernel drifted from what was believed.
   */
  private async applyFast(family: Family): Promise<string | null> {
    const prev = this.believed.get(family);
    if (!prev) return null;
    const next = this.believedState(family);
    const lines = fastPathLines(prev, next);
    const text = lines ? restoreText(lines) : '';
    if (text === '') return null;
    // What is sent is the model now: edits made while the restore runs belong to the next apply.
    const sent = this.sentRules(family);
    try {
      await this.restore(family, text);
    } catch (e) {
      // Whatever failed (a refusal, a timeout that may have come after the commit), the kernel is
      // no longer known: the next apply reads it, so inserts are never sent twice.
      this.believed.delete(family);
      if (e instanceof IptablesRestoreError) return null;
      throw e;
    }
    this.believed.set(family, next);
    for (const [k, v] of sent) this.lastSent.set(k, v);
    return text;
  }

  /**
   * One iptables-restore. When it fails, what was last sent no longer describes the kernel (blocks of
   * tables before the failing one were committed), so nothing is learned from it: comparing it with
   * a chain that now holds a newer rule with the same target would take that rule as iptables'
   * printed form of the older one.
   */
  private async restore(family: Family, text: string): Promise<void> {
    try {
      await this.executor.restore(this.namespace, family, text);
    } catch (e) {
      for (const k of [...this.lastSent.keys()]) if (k.startsWith(`${family}/`)) this.lastSent.delete(k);
      throw e;
    }
  }

  /** What the kernel holds of this family's owned chains once the model is applied. */
  private believedState(family: Family): BelievedState {
    const owned = new Map<string, Map<string, string[]>>();
    const others: unknown[] = [];
    for (const name of this.tableNames) {
      const chains = new Map<string, string[]>();
      for (const [chain, c] of this.table(name, family).snapshot()) {
        const texts = c.rules.map((r) => canonicalOf(family, r.text));
        if (c.wrapped) chains.set(chain, texts);
        else others.push([name, chain, c.rules.map((r) => [r.position, r.shared ?? false]), texts]);
      }
      owned.set(name, chains);
    }
    return { owned, others: JSON.stringify(others) };
  }

  /** Per chain key, the rules of ours as given and as canonical text: what learning compares later. */
  private sentRules(family: Family): Map<string, SentRule[]> {
    const out = new Map<string, SentRule[]>();
    for (const name of this.tableNames) {
      for (const [chain, c] of this.table(name, family).snapshot()) {
        out.set(
          `${family}/${name}/${chain}`,
          c.rules.filter((r) => !r.shared).map((r) => ({ norm: r.text, text: canonicalOf(family, r.text) })),
        );
      }
    }
    return out;
  }

  /**
   * Removes everything of this manager (its chains, its rules elsewhere) and, when no other
   * manager still uses them, the shared chains and the jumps into them. Two restores at most per
   * family. The model is empty afterwards; {@link bootstrap} state comes back only with a new manager.
   */
  async teardown(): Promise<ApplyReport> {
    for (const t of this.tables.values()) t.clear();
    this.believed.clear();
    const first = await this.apply();
    let operations = first.operations;
    let restores = first.restores;
    for (const family of this.families) {
      const saved = parseSave(await this.executor.save(this.namespace, family));
      const blocks = new Map<string, string[]>();
      for (const [table, shared] of [
        ['filter', this.sharedChains.filterTop],
        ['nat', this.sharedChains.postroutingBottom],
      ] as const) {
        const tab = saved.get(table);
        const chain = tab?.chains.get(shared);
        if (!tab || !chain || chain.rules.length > 0) continue;
        const lines: string[] = [];
        for (const c of tab.chains.values()) {
          for (let i = c.rules.length - 1; i >= 0; i--) {
            if ((c.rules[i] as string).endsWith(`-j ${shared}`)) lines.push(`-D ${c.name} ${i + 1}`);
          }
        }
        lines.push(`-X ${shared}`);
        blocks.set(table, lines);
      }
      const text = restoreText(blocks);
      if (text === '') continue;
      await this.executor.restore(this.namespace, family, text);
      operations += countOps(text);
      restores++;
    }
    return { operations, sent: first.sent, restores };
  }

  private diff(
    family: Family,
    saved: SavedState,
    learn: Map<string, SentRule[]> | null,
  ): Map<string, string[]> {
    const blocks = new Map<string, string[]>();
    const ownedPrefix = `${this.prefix}-`;
    const isOurs = (text: string) =>
      text.includes(`--comment "${this.mark}"`) || text.includes(`--comment "${this.mark} `);
    for (const name of this.tableNames) {
      const model = this.table(name, family).snapshot();
      const current = saved.get(name) ?? null;
      const owned = new Map<string, DesiredRule[]>();
      const marked = new Map<string, DesiredRule[]>();
      const ensured = new Set<string>();
      for (const [chain, c] of model) {
        const key = `${family}/${name}/${chain}`;
        const cur = current?.chains.get(chain)?.rules ?? [];
        const mine = c.wrapped ? cur : cur.filter(isOurs);
        const last = this.lastSent.get(key);
        if (learn && last) learnCanonical(family, last, mine);
        const rules = c.rules.map((r) => ({ ...r, text: canonicalOf(family, r.text) }));
        (c.wrapped ? owned : marked).set(chain, rules);
        if (!c.wrapped && !isBuiltinChain(name, chain)) ensured.add(chain);
      }
      const want: DesiredTable = {
        owned,
        marked,
        ensured,
        isOwnedChain: (chain) => chain.startsWith(ownedPrefix),
        isOurs,
      };
      blocks.set(name, diffTable(current, want).lines);
    }
    if (learn) for (const [k, v] of this.sentRules(family)) learn.set(k, v);
    return blocks;
  }
}

function countOps(text: string): number {
  return text.split('\n').filter((l) => l !== '' && l !== 'COMMIT' && !l.startsWith('*')).length;
}
