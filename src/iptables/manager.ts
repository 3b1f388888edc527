// The iptables state one component wants in one namespace, applied with one iptables-restore per
// family carrying only what changed (Neutron's iptables_manager.IptablesManager).
import { InvalidInputError } from '../errors.js';
import { optionalNamespace } from '../net/namespace.js';
import type { IpFamily } from '../net/types.js';
import {
  AppliedState,
  believedState,
  checkLines,
  type FamilySnapshot,
  sentRules,
  type TableSnapshot,
} from './applied.js';
import { countOps, restoreText } from './diff.js';
import { IptablesRestoreError } from './errors.js';
import { type IptablesExecutor, kernelIptablesExecutor } from './executor.js';
import { fastPathLines } from './fast-path.js';
import { addLayout } from './layout.js';
import type { SentRule } from './learn.js';
import { serialised } from './lock.js';
import { checkPrefix, checkSharedName, FAMILIES, TABLES, type TableName, wrapName } from './names.js';
import { planFamily } from './plan.js';
import { parseSave, type SavedState } from './save-parser.js';
import { IptablesTable } from './table.js';
import { unusedSharedChainLines } from './teardown.js';

/** Options for {@link IptablesManager}. */
export interface IptablesManagerOptions {
  /** Network namespace; null or absent: the root namespace. Never `''` or a path. */
  readonly namespace?: string | null;
  /**
   * Chain prefix of this manager (1-13 of `A-Z a-z 0-9 _`, not `shared`); its chains are
   * `tn-<prefix>-<chain>`. Unique among the managers of one namespace.
   */
  readonly prefix: string;
  /** Name of the shared chains and of the owner marks (default `tenantnet`, 1-9 of `a-z 0-9 _`). */
  readonly shared?: string;
  /** Families to manage (default both). */
  readonly families?: readonly IpFamily[];
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
  /**
   * State-changing operations iptables committed (chain declarations and deletions, rule
   * insertions and deletions, flushes; not `*table`, `COMMIT` or `-C` checks); 0 when converged.
   */
  readonly operations: number;
  /** Every batch sent, per family, exactly as fed to iptables-restore (one after another). */
  readonly sent: Readonly<Partial<Record<IpFamily, string>>>;
  /** iptables-restore processes run (one per family that changed; two when a fast batch was refused). */
  readonly restores: number;
  /** With `verify`: operations a second pass would still send (0 when converged). */
  readonly remaining?: number;
}

const EMPTY_REPORT: ApplyReport = { operations: 0, sent: {}, restores: 0 };

// One family's outcome: the batches sent, the operations committed, what verify found left.
interface FamilyResult {
  sent: string;
  restores: number;
  operations: number;
  remaining: number;
}

/**
 * Neutron's iptables_manager: the iptables state one component wants in one namespace, kept as a
 * model and applied with one `iptables-restore -w --noflush` per family carrying only what changed.
 *
 * Its chains are `tn-<prefix>-<chain>`; each wrapped built-in (filter INPUT/FORWARD/OUTPUT, nat
 * PREROUTING/OUTPUT/POSTROUTING, all of mangle, raw PREROUTING/OUTPUT) jumps to its twin; the
 * shared `<shared>-filter-top` (top of filter FORWARD and OUTPUT) jumps to `tn-<prefix>-local`; the
 * shared nat `<shared>-postrouting-bottom` (end of POSTROUTING) jumps to `tn-<prefix>-snat`, whose
 * first rule jumps to `tn-<prefix>-float-snat`; mangle `tn-<prefix>-PREROUTING` jumps to
 * `tn-<prefix>-mark`. Several managers with different prefixes coexist in one namespace; rules and
 * chains of others are never touched and keep their order. Applies to one namespace run one at a
 * time, in this process and across processes.
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
  private readonly families: readonly IpFamily[];
  private readonly tableNames: readonly TableName[];
  private readonly executor: IptablesExecutor;
  private readonly tables = new Map<string, IptablesTable>();
  private readonly applied = new AppliedState();
  private deferred = 0;

  /**
   * @throws {InvalidInputError} on a bad namespace, prefix, shared name, family or table
   */
  constructor(opts: IptablesManagerOptions) {
    if (typeof opts !== 'object' || opts === null) {
      throw new InvalidInputError('iptables manager options: not an object', 'options');
    }
    this.namespace = optionalNamespace(opts.namespace, 'namespace');
    this.prefix = checkPrefix(opts.prefix);
    const shared = checkSharedName(opts.shared ?? 'tenantnet');
    this.mark = `${shared}:${this.prefix}`;
    this.sharedChains = {
      filterTop: `${shared}-filter-top`,
      postroutingBottom: `${shared}-postrouting-bottom`,
    };
    this.families = oneOf(opts.families ?? FAMILIES, FAMILIES, 'families');
    this.tableNames = oneOf(opts.tables ?? TABLES, TABLES, 'tables');
    this.executor = opts.executor ?? kernelIptablesExecutor;
    const names = { ...this.sharedChains, mark: `${shared}:shared` };
    for (const family of this.families) {
      for (const name of this.tableNames) {
        const owner = { prefix: this.prefix, mark: this.mark, markLead: `${shared}:` };
        const t = new IptablesTable(family, name, owner);
        this.tables.set(`${family}/${name}`, t);
        addLayout(t, name, names);
      }
    }
  }

  /**
   * The model of one table for one family (default 4).
   *
   * @throws {InvalidInputError} when the manager does not manage that table or family
   */
  table(name: TableName, family: IpFamily = 4): IptablesTable {
    const t = this.tables.get(`${family}/${name}`);
    if (!t) {
      throw new InvalidInputError(
        `iptables manager "${this.prefix}" does not manage ${String(family)} ${String(name)}`,
        'table',
      );
    }
    return t;
  }

  /** The wrapped name of `chain` for this manager (`tn-<prefix>-<chain>`). */
  wrapped(chain: string): string {
    return wrapName(this.prefix, chain);
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
   * to one namespace run one at a time (queued in this process, a lock file across processes).
   * Inside {@link deferApply} it does nothing.
   *
   * Equivalent to: `iptables-save` then `iptables-restore -w --noflush` (and the ip6tables ones).
   *
   * @throws {IptablesRestoreError} when iptables refuses the batch (nothing of the failing table's block applied)
   * @throws {NamespaceNotFoundError} when the namespace is gone
   * @throws {LegacyTablesError} when the namespace holds legacy iptables rules
   * @throws {LockTimeoutError} when another process holds the namespace's lock too long
   */
  apply(opts: ApplyOptions = {}): Promise<ApplyReport> {
    if (this.deferred > 0) return Promise.resolve(EMPTY_REPORT);
    return this.locked(() => this.applyNow(opts));
  }

  /**
   * How many operations an apply would send now (0: converged), from one iptables-save per family,
   * changing nothing. Waits for applies to the namespace in progress, so it never counts half of one.
   *
   * @throws as {@link apply}, except IptablesRestoreError
   */
  pending(): Promise<number> {
    return this.locked(async () => {
      let n = 0;
      for (const family of this.families) {
        const saved = parseSave(await this.executor.save(this.namespace, family));
        n += countOps(restoreText(this.diff(family, saved, null)));
      }
      return n;
    });
  }

  /**
   * The restore text the next apply would send for one family, given the current iptables-save
   * output. Pure with respect to the kernel: for plans and tests.
   */
  plan(family: IpFamily, saveText: string): string {
    return restoreText(this.diff(family, parseSave(saveText), null));
  }

  // Runs `fn` holding this namespace's apply lock: queued behind other applies in this process,
  // then the executor's cross-process lock.
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return serialised(`iptables ${this.namespace ?? ''}`, async () => {
      const release = await this.executor.lock(this.namespace);
      try {
        return await fn();
      } finally {
        release();
      }
    });
  }

  private async applyNow(opts: ApplyOptions): Promise<ApplyReport> {
    // Families are independent batches in independent kernel tables: run them side by side.
    const results = await Promise.all(this.families.map((family) => this.applyFamily(family, opts)));
    const sent: Partial<Record<IpFamily, string>> = {};
    let operations = 0;
    let restores = 0;
    let remaining = 0;
    this.families.forEach((family, i) => {
      const r = results[i] as FamilyResult;
      if (r.sent !== '') sent[family] = r.sent;
      operations += r.operations;
      restores += r.restores;
      remaining += r.remaining;
    });
    return { operations, sent, restores, ...(opts.verify ? { remaining } : {}) };
  }

  private async applyFamily(family: IpFamily, opts: ApplyOptions): Promise<FamilyResult> {
    const fast = opts.verify ? null : await this.applyFast(family);
    if (fast?.done) return { ...fast, remaining: 0 };
    this.applied.forgetBelieved(family);
    const saved = parseSave(await this.executor.save(this.namespace, family));
    const pending = new Map<string, SentRule[]>();
    const text = restoreText(this.diff(family, saved, pending));
    // Taken with the diff, before the restore awaits: edits made meanwhile were not sent.
    const believed = believedState(family, this.snapshot(family));
    if (text !== '') await this.restore(family, text);
    // Only what iptables accepted may teach the next apply how iptables prints it.
    this.applied.remember(pending);
    this.applied.believe(family, believed);
    const result: FamilyResult = {
      sent: (fast?.sent ?? '') + text,
      restores: (fast?.restores ?? 0) + (text === '' ? 0 : 1),
      operations: (fast?.operations ?? 0) + countOps(text),
      remaining: 0,
    };
    if (text === '' || !opts.verify) return result;
    const again = parseSave(await this.executor.save(this.namespace, family));
    return { ...result, remaining: countOps(restoreText(this.diff(family, again, new Map()))) };
  }

  /**
   * The incremental fast path (see fast-path.ts): when only this manager's own chains changed since
   * the last successful apply, send their changes without reading the tables first, together with
   * `-C` checks that each of our rules in chains we do not own (jumps, shared jumps) is still there.
   * Returns null when the full read-and-diff must run without a fast batch having run (nothing
   * believed yet, nothing changed — an unchanged apply still reads, so drift is noticed — or
   * something else changed); `done: false` when iptables refused the batch because the kernel
   * drifted from what was believed (blocks of tables before the failing one may have committed:
   * their operations are counted, and the full read sees them).
   */
  private async applyFast(
    family: IpFamily,
  ): Promise<{ done: boolean; sent: string; restores: number; operations: number } | null> {
    const prev = this.applied.believedOf(family);
    if (!prev) return null;
    const model = this.snapshot(family);
    const next = believedState(family, model);
    const changes = fastPathLines(prev, next);
    if (!changes || restoreText(changes) === '') return null;
    const blocks = new Map<string, string[]>();
    for (const [table, checks] of checkLines(family, model)) {
      const lines = [...checks, ...(changes.get(table) ?? [])];
      if (lines.length > 0) blocks.set(table, lines);
    }
    const text = restoreText(blocks);
    // What is sent is the model now: edits made while the restore runs belong to the next apply.
    const sent = sentRules(family, model);
    try {
      await this.restore(family, text);
    } catch (e) {
      // Whatever failed (a refusal, a timeout that may have come after the commit), the kernel is
      // no longer known: the next read tells, so inserts are never sent twice.
      this.applied.forgetBelieved(family);
      if (!(e instanceof IptablesRestoreError)) throw e;
      const committed = new Set(e.committed);
      const operations = countOps(restoreText(new Map([...blocks].filter(([t]) => committed.has(t)))));
      return { done: false, sent: text, restores: 1, operations };
    }
    this.applied.believe(family, next);
    this.applied.remember(sent);
    return { done: true, sent: text, restores: 1, operations: countOps(text) };
  }

  /**
   * One iptables-restore. When it fails, what was last sent no longer describes the kernel (blocks of
   * tables before the failing one were committed), so nothing is learned from it: comparing it with
   * a chain that now holds a newer rule with the same target would take that rule as iptables'
   * printed form of the older one.
   */
  private async restore(family: IpFamily, text: string): Promise<void> {
    try {
      await this.executor.restore(this.namespace, family, text);
    } catch (e) {
      this.applied.forgetSent(family);
      throw e;
    }
  }

  private snapshot(family: IpFamily): FamilySnapshot {
    const out = new Map<TableName, TableSnapshot>();
    for (const name of this.tableNames) out.set(name, this.table(name, family).snapshot());
    return out;
  }

  /**
   * Removes everything of this manager (its chains, its rules elsewhere) and, when no other
   * manager still uses them, the shared chains and the jumps into them. Two restores at most per
   * family, both under the namespace's apply lock. The model is empty afterwards; the bootstrap
   * state comes back only with a new manager.
   *
   * @throws as {@link apply}
   */
  teardown(): Promise<ApplyReport> {
    for (const t of this.tables.values()) t.clear();
    this.applied.forgetBelieved();
    return this.locked(async () => {
      const first = await this.applyNow({});
      let operations = first.operations;
      let restores = first.restores;
      const sent: Partial<Record<IpFamily, string>> = { ...first.sent };
      for (const family of this.families) {
        const saved = parseSave(await this.executor.save(this.namespace, family));
        const text = restoreText(
          unusedSharedChainLines(saved, [
            ['filter', this.sharedChains.filterTop],
            ['nat', this.sharedChains.postroutingBottom],
          ]),
        );
        if (text === '') continue;
        await this.executor.restore(this.namespace, family, text);
        sent[family] = (sent[family] ?? '') + text;
        operations += countOps(text);
        restores++;
      }
      return { operations, sent, restores };
    });
  }

  private diff(family: IpFamily, saved: SavedState, learn: Map<string, SentRule[]> | null) {
    const who = { prefix: this.prefix, mark: this.mark, applied: this.applied };
    return planFamily(family, saved, this.snapshot(family), who, learn);
  }
}

// Validates a list option: every entry one of `allowed`, at least one, duplicates dropped.
function oneOf<T>(values: readonly T[], allowed: readonly T[], where: string): readonly T[] {
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => !allowed.includes(v))) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(values)} is not a non-empty list of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
      where,
    );
  }
  return [...new Set(values)];
}
