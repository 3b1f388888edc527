// The wanted state of one table for one manager: chains and rules as a model, validated where they
// enter (Neutron's iptables_manager.IptablesTable).
import { InvalidInputError } from '../errors.js';
import { lineText } from '../net/text.js';
import type { IpFamily } from '../net/types.js';
import type { DesiredRule, RulePosition } from './diff.js';
import { checkChainName, isBuiltinChain, OWNED_LEAD, type TableName, wrapName } from './names.js';
import { normaliseRule, parseRule, printRule } from './normalise.js';
import { MATCH_OPTIONS, type OptionArity } from './rule-grammar.js';
import { tokenize } from './rule-text.js';

/** Options for {@link IptablesTable.addRule} and {@link IptablesTable.removeRule}. */
export interface RuleOptions {
  /** The chain name is wrapped (`<prefix>-<chain>`); default true. False: a built-in or shared chain. */
  readonly wrap?: boolean;
  /** Put the rule before the chain's other rules of this manager; default false. */
  readonly top?: boolean;
  /** A tag for {@link IptablesTable.clearRulesByTag}. */
  readonly tag?: string;
  /** A comment (`-m comment`) placed before the target, as iptables-save prints it. */
  readonly comment?: string;
}

/** Options for chain operations. */
export interface ChainOptions {
  /** The name is wrapped (`<prefix>-<chain>`); default true. */
  readonly wrap?: boolean;
}

/** What a table needs to know about the manager that owns it. */
export interface TableOwner {
  /** The manager's chain prefix. */
  readonly prefix: string;
  /** The owner mark put in the comment of rules that live in chains the manager does not own. */
  readonly mark: string;
  /** The lead of every owner mark (`tenantnet:`): comments given by callers may not start with it. */
  readonly markLead: string;
}

/** A rule as the model keeps it. */
export interface StoredRule {
  /** Canonical text (after `$name` expansion, owner comment and normalisation). */
  readonly text: string;
  /** Where it goes among this manager's rules of the chain. */
  readonly position: RulePosition;
  /** A rule several managers share (never deleted by one). */
  readonly shared: boolean;
  /** Tag given by the caller. */
  readonly tag: string | undefined;
}

// Canonical texts of rules already read, by (family, mark lead, note, tokens); bounded.
const CANONICAL = new Map<string, string>();
const MAX_CANONICAL = 50_000;

interface ChainModel {
  readonly wrapped: boolean;
  readonly rules: StoredRule[];
}

/**
 * The wanted state of one table for one family and one manager: its wrapped chains and their
 * rules, and its rules in built-in or shared chains. Pure data and validation; nothing runs until
 * the manager applies.
 */
export class IptablesTable {
  private readonly chains = new Map<string, ChainModel>();
  // Wrapped full name -> the name it was given as, to catch two long names cut to the same one.
  private readonly given = new Map<string, string>();

  /**
   * @param family the family (addresses in rules are checked against it)
   * @param name the table
   * @param owner the manager's prefix and owner mark
   */
  constructor(
    readonly family: IpFamily,
    readonly name: TableName,
    private readonly owner: TableOwner,
  ) {}

  /**
   * The full name of `chain`: wrapped (`tn-<prefix>-<chain>`) or as given. An unwrapped name may not
   * start with `tn-`: those are the chains of tenantnet's managers.
   *
   * @throws {InvalidInputError} on a bad name
   */
  chainName(chain: string, opts: ChainOptions = {}): string {
    checkChainName(chain, `${this.name} chain`);
    if (opts.wrap !== false) return wrapName(this.owner.prefix, chain);
    if (chain.startsWith(OWNED_LEAD)) {
      throw new InvalidInputError(
        `${this.name} chain "${chain}": names starting with "${OWNED_LEAD}" belong to tenantnet managers; add the chain wrapped`,
        `${this.name} chain`,
      );
    }
    return chain;
  }

  /**
   * Adds a chain (idempotent). A wrapped chain is owned: created on apply and deleted when removed.
   * An unwrapped one is shared: created on apply when missing and never deleted.
   *
   * @returns the chain's full name
   * @throws {InvalidInputError} on a bad name, or a wrapped name that collides after shortening
   */
  addChain(chain: string, opts: ChainOptions = {}): string {
    const full = this.chainName(chain, opts);
    const had = this.chains.get(full);
    if (had && had.wrapped !== (opts.wrap !== false)) {
      throw new InvalidInputError(`${this.name} chain "${full}" already exists with another wrap setting`);
    }
    const first = this.given.get(full);
    if (first !== undefined && first !== chain) {
      throw new InvalidInputError(
        `${this.name} chain "${chain}": its wrapped name "${full}" is already taken by "${first}" (names are cut to 28 characters)`,
      );
    }
    this.given.set(full, chain);
    if (!had) this.chains.set(full, { wrapped: opts.wrap !== false, rules: [] });
    return full;
  }

  /** True when the model has the chain (built-ins of the table always count as unwrapped chains). */
  hasChain(chain: string, opts: ChainOptions = {}): boolean {
    const full = this.chainName(chain, opts);
    return this.chains.has(full) || (opts.wrap === false && isBuiltinChain(this.name, chain));
  }

  /**
   * Removes a chain, its rules, and every rule of this manager in the table that jumps or goes to
   * it. Removing a chain that is not there does nothing.
   *
   * @returns true when the chain was there
   */
  removeChain(chain: string, opts: ChainOptions = {}): boolean {
    const full = this.chainName(chain, opts);
    if (!this.chains.delete(full)) return false;
    this.given.delete(full);
    const jump = new RegExp(`(^| )-[jg] ${full.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( |$)`);
    for (const c of this.chains.values()) {
      for (let i = c.rules.length - 1; i >= 0; i--)
        if (jump.test((c.rules[i] as StoredRule).text)) c.rules.splice(i, 1);
    }
    return true;
  }

  /** Removes every rule of a chain, keeping the chain. */
  emptyChain(chain: string, opts: ChainOptions = {}): void {
    const c = this.chains.get(this.chainName(chain, opts));
    if (c) c.rules.length = 0;
  }

  /** True when the chain is absent or has no rules of this manager. */
  isChainEmpty(chain: string, opts: ChainOptions = {}): boolean {
    return (this.chains.get(this.chainName(chain, opts))?.rules.length ?? 0) === 0;
  }

  /**
   * The canonical text a rule gets in this table: `$name` expanded to the wrapped name (the chain
   * must exist in the model), read as iptables reads it, the comment (and, outside wrapped chains,
   * the owner mark) placed after the matches, then printed as iptables-save prints it. Pure with
   * respect to the kernel.
   *
   * @throws {InvalidInputError} on a control character in the rule, comment or tag; an unknown
   *   `$name`; anything iptables would refuse (see normalise.ts); a comment over 255 bytes or one
   *   that starts with the owner marks' lead
   */
  ruleText(chain: string, rule: string, opts: RuleOptions = {}): string {
    const full = this.chainName(chain, opts);
    const text = lineText(rule, 'iptables rule');
    const comment = opts.comment === undefined ? undefined : lineText(opts.comment, 'comment');
    if (opts.tag !== undefined) lineText(opts.tag, 'tag');
    const wrapped = this.chains.get(full)?.wrapped ?? opts.wrap !== false;
    const tokens = tokenize(text).map((t) =>
      t.replace(/\$([A-Za-z0-9_][A-Za-z0-9_-]*)/g, (_, name: string) => {
        const target = wrapName(this.owner.prefix, name);
        if (!this.chains.has(target)) {
          throw new InvalidInputError(
            `${this.name} rule "${text}": $${name} names no chain of this manager (add it with addChain first)`,
            'rule',
          );
        }
        return target;
      }),
    );
    if (comment?.startsWith(this.owner.markLead)) {
      throw new InvalidInputError(
        `comment: ${JSON.stringify(comment)} starts with "${this.owner.markLead}", the lead of owner marks`,
        'comment',
      );
    }
    const note = wrapped ? comment : comment ? `${this.owner.mark} ${comment}` : this.owner.mark;
    // Reading and printing is pure in (family, tokens, note, mark lead): a firewall adds the same
    // rule to many chains, so the canonical form is kept (only for rules that were accepted).
    const key = `${this.family}\u0000${this.owner.markLead}\u0000${note ?? ''}\u0000${tokens.join('\u0001')}`;
    const known = CANONICAL.get(key);
    if (known !== undefined) return known;
    const parsed = parseRule(tokens, text);
    for (const g of parsed.matches) {
      for (const o of g.options) {
        if (g.name === 'comment' && o.values.some((v) => v.startsWith(this.owner.markLead))) {
          throw new InvalidInputError(
            `${this.name} rule "${text}": comments starting with "${this.owner.markLead}" are owner marks`,
            'rule',
          );
        }
      }
    }
    if (note !== undefined) {
      parsed.matches.push({
        name: 'comment',
        known: MATCH_OPTIONS.comment as OptionArity,
        options: [{ name: '--comment', neg: false, values: [note] }],
      });
    }
    const printed = printRule(parsed, this.family, text);
    if (CANONICAL.size >= MAX_CANONICAL) CANONICAL.clear();
    CANONICAL.set(key, printed);
    return printed;
  }

  /**
   * Adds a rule to a chain (idempotent: an identical rule is not added twice).
   *
   * @throws {InvalidInputError} when the chain is not in the model (for unwrapped chains: not a
   *   built-in and not added), or the rule is malformed
   */
  addRule(chain: string, rule: string, opts: RuleOptions = {}): void {
    this.insert(chain, rule, opts, opts.top ? 'top' : 'normal', false);
  }

  /** @internal Adds a rule with an explicit position; used by the manager for its own plumbing. */
  insert(chain: string, rule: string, opts: RuleOptions, position: RulePosition, shared: boolean): void {
    const full = this.chainName(chain, opts);
    let c = this.chains.get(full);
    if (!c && opts.wrap === false && isBuiltinChain(this.name, chain)) {
      c = { wrapped: false, rules: [] };
      this.chains.set(full, c);
    }
    if (!c) {
      throw new InvalidInputError(
        `${this.family} ${this.name}: unknown chain "${full}" (add it with addChain before adding rules)`,
      );
    }
    const text = shared ? normaliseRule(rule, this.family) : this.ruleText(chain, rule, opts);
    if (c.rules.some((r) => r.text === text)) return;
    c.rules.push({ text, position, shared, tag: opts.tag });
  }

  /**
   * Removes a rule given as it was added (same chain, text, comment and wrap). A rule that is not
   * there is ignored.
   *
   * @returns true when a rule was removed
   */
  removeRule(chain: string, rule: string, opts: RuleOptions = {}): boolean {
    const c = this.chains.get(this.chainName(chain, opts));
    if (!c) return false;
    const text = this.ruleText(chain, rule, opts);
    const i = c.rules.findIndex((r) => r.text === text);
    if (i < 0) return false;
    c.rules.splice(i, 1);
    return true;
  }

  /** Removes every rule carrying `tag`. */
  clearRulesByTag(tag: string): void {
    lineText(tag, 'tag');
    for (const c of this.chains.values()) {
      for (let i = c.rules.length - 1; i >= 0; i--)
        if ((c.rules[i] as StoredRule).tag === tag) c.rules.splice(i, 1);
    }
  }

  /** The canonical rule texts of a chain, in the order they will be in the kernel. */
  rules(chain: string, opts: ChainOptions = {}): string[] {
    return this.ordered(this.chains.get(this.chainName(chain, opts))?.rules ?? []).map((r) => r.text);
  }

  /** @internal The chains of the model: full name → wrapped flag and ordered rules. */
  snapshot(): Map<string, { wrapped: boolean; rules: DesiredRule[] }> {
    const out = new Map<string, { wrapped: boolean; rules: DesiredRule[] }>();
    for (const [name, c] of this.chains) out.set(name, { wrapped: c.wrapped, rules: this.ordered(c.rules) });
    return out;
  }

  /** @internal Forgets everything (used by the manager's teardown). */
  clear(): void {
    this.chains.clear();
    this.given.clear();
  }

  private ordered(rules: readonly StoredRule[]): StoredRule[] {
    const rank = { top: 0, normal: 1, bottom: 2 } as const;
    return [...rules].sort((a, b) => rank[a.position] - rank[b.position]);
  }
}
