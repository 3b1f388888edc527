// Named hash:net sets kept equal to a wanted member list, and a read-only observe of a namespace's
// sets (Neutron's ipset_manager.IpsetManager).
import { InvalidInputError } from '../errors.js';
import { NamespaceNotFoundError, optionalNamespace } from '../net/namespace.js';
import { requireString } from '../net/text.js';
import { type IpFamily, ipFamily } from '../net/types.js';
import { canonicalCidr } from './addresses.js';
import { IpsetError } from './errors.js';
import { type IpsetExecutor, kernelIpsetExecutor } from './ipset-executor.js';
import { membersPlan } from './ipset-plan.js';

/** The kernel's limit on a set name. */
export const MAX_SET_NAME = 31;
/** Suffix of the temporary set a bulk change is built in before the swap. */
export const SWAP_SUFFIX = '-n';

/** Options for {@link IpsetManager}. */
export interface IpsetManagerOptions {
  /** Network namespace (sets are per namespace); null or absent: the root namespace. Never `''` or a path. */
  readonly namespace?: string | null;
  /** Prefix of every set name (ownership mark), 1-12 of `A-Z a-z 0-9 _`. */
  readonly prefix: string;
  /** Changes (adds plus removals) above this go through a temporary set and a swap; default 5. */
  readonly bulkThreshold?: number;
  /** How to reach ipset (default the real one; unit tests pass a fake). */
  readonly executor?: IpsetExecutor;
}

/** What {@link IpsetManager.setMembers} changed. */
export interface MembersChange {
  /** Members added (canonical). */
  readonly added: string[];
  /** Members removed (canonical). */
  readonly removed: string[];
  /** How it was done: nothing, created the set, add/del lines, or a temporary set and a swap. */
  readonly method: 'none' | 'create' | 'incremental' | 'swap';
  /** The `ipset restore` input that was sent (empty when nothing was). */
  readonly sent: string;
  /** State-changing lines sent (0 when nothing changed). */
  readonly operations: number;
}

/** One set as `ipset save` showed it. */
export interface ObservedSet {
  /** The set name. */
  readonly name: string;
  /** The set type (`hash:net`). */
  readonly type: string;
  /** The family the set was created for. */
  readonly family: IpFamily;
  /** The members as ipset prints them. */
  readonly members: string[];
}

const PREFIX = /^[A-Za-z0-9_]{1,12}$/;

function checkIpsetPrefix(value: unknown, where = 'ipset prefix'): string {
  const v = requireString(value, where);
  if (!PREFIX.test(v)) {
    throw new InvalidInputError(`${where}: ${JSON.stringify(v)} is not 1-12 of A-Z a-z 0-9 _`, where);
  }
  return v;
}

/**
 * The canonical members of a hash:net set for a list of addresses and CIDRs: host bits cleared,
 * host routes as bare addresses (as `ipset list` prints them), duplicates dropped, and a
 * match-all `/0` stored as its two `/1` halves (hash:net cannot hold `/0`). Pure.
 *
 * @throws {InvalidInputError} on a value that is not an address of the family
 */
export function canonicalMembers(members: readonly string[], family: IpFamily): string[] {
  if (!Array.isArray(members)) throw new InvalidInputError('ipset members: not a list', 'members');
  const out = new Set<string>();
  for (const m of members) {
    const c = canonicalCidr(requireString(m, 'ipset member'), family, 'ipset member');
    if (c === null) {
      for (const half of family === 4 ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1']) out.add(half);
    } else out.add(c.replace(family === 4 ? /\/32$/ : /\/128$/, ''));
  }
  return [...out];
}

/**
 * Parses `ipset save` output into sets, keeping those `keep` accepts. Lines it does not know are
 * skipped. Pure.
 */
export function parseIpsetSave(
  text: string,
  keep: (name: string) => boolean = () => true,
): Map<string, ObservedSet> {
  const sets = new Map<string, ObservedSet>();
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'create' && w[1] && keep(w[1])) {
      const fam = w[w.indexOf('family') + 1];
      sets.set(w[1], {
        name: w[1],
        type: w[2] ?? '',
        family: fam === 'inet6' ? 6 : 4,
        members: [],
      });
    } else if (w[0] === 'add' && w[1] && w[2]) sets.get(w[1])?.members.push(w[2]);
  }
  return sets;
}

/** Options for {@link observeIpsets}. */
export interface ObserveIpsetsOptions {
  /** Only sets of a manager with this prefix (`<prefix>4-…`, `<prefix>6-…`). */
  readonly prefix: string;
  /** How to reach ipset (default the real one). */
  readonly executor?: IpsetExecutor;
}

/**
 * Reads the sets one manager prefix owns in a namespace, with their members: one `ipset save`.
 * Read-only. A namespace that does not exist is a state, not an error.
 *
 * Equivalent to: `ip netns exec NS ipset save`, filtered by prefix.
 *
 * @returns the sets by name, or null when the namespace does not exist
 * @throws {InvalidInputError} on a bad namespace or prefix (before anything runs)
 */
export async function observeIpsets(
  namespace: string | null,
  opts: ObserveIpsetsOptions,
): Promise<Map<string, ObservedSet> | null> {
  const ns = optionalNamespace(namespace, 'namespace');
  const prefix = checkIpsetPrefix(opts.prefix);
  const executor = opts.executor ?? kernelIpsetExecutor;
  let text: string | null;
  try {
    text = await executor.save(ns);
  } catch (e) {
    if (e instanceof NamespaceNotFoundError) return null;
    throw e;
  }
  return parseIpsetSave(text ?? '', (n) => n.startsWith(`${prefix}4-`) || n.startsWith(`${prefix}6-`));
}

/**
 * Neutron's ipset_manager: named `hash:net` sets of addresses in one namespace, kept equal to a
 * wanted member list with as little churn as possible. A few changes are sent as `add`/`del`
 * lines; many are built in a temporary set that is swapped in atomically, so a rule matching the
 * set never sees it half-filled. Each change is one `ipset restore`.
 *
 * @example
 * const sets = new IpsetManager({ namespace: 'qrouter-1', prefix: 'tn' });
 * await sets.setMembers('web', 4, ['10.0.0.5', '10.0.1.0/24']);
 * // rule: -m set --match-set ${sets.setName('web', 4)} src -j ACCEPT
 */
export class IpsetManager {
  /** The namespace (null: the root namespace). */
  readonly namespace: string | null;
  /** Set name prefix. */
  readonly prefix: string;
  /** Changes (adds plus removals) above this go through a temporary set and a swap. */
  readonly threshold: number;
  private readonly executor: IpsetExecutor;
  private readonly known = new Map<string, Set<string>>();
  private readonly idOfName = new Map<string, string>();

  /** @throws {InvalidInputError} on a bad namespace, prefix or threshold */
  constructor(opts: IpsetManagerOptions) {
    if (typeof opts !== 'object' || opts === null) {
      throw new InvalidInputError('ipset manager options: not an object', 'options');
    }
    this.namespace = optionalNamespace(opts.namespace, 'namespace');
    this.prefix = checkIpsetPrefix(opts.prefix, 'prefix');
    const threshold = opts.bulkThreshold ?? 5;
    if (!Number.isInteger(threshold) || threshold < 0) {
      throw new InvalidInputError(`bulkThreshold: ${threshold} is not an integer >= 0`, 'bulkThreshold');
    }
    this.threshold = threshold;
    this.executor = opts.executor ?? kernelIpsetExecutor;
  }

  /**
   * The set name for an id and family: `<prefix>4-<id>` or `<prefix>6-<id>`, the id shortened so
   * that the name plus the swap suffix fits 31 characters.
   *
   * @throws {InvalidInputError} on an id that is not 1+ of `A-Z a-z 0-9 _ -`
   */
  setName(id: string, family: IpFamily): string {
    const v = requireString(id, 'id');
    ipFamily(family);
    if (!/^[A-Za-z0-9_-]+$/.test(v)) {
      throw new InvalidInputError(`ipset id: ${JSON.stringify(v)} is not 1+ of A-Z a-z 0-9 _ -`, 'id');
    }
    const name = `${this.prefix}${family === 4 ? '4' : '6'}-${v}`.slice(0, MAX_SET_NAME - SWAP_SUFFIX.length);
    // Cutting to ipset's limit could give two ids one set: refuse that rather than mix their members.
    const other = this.idOfName.get(name);
    if (other !== undefined && other !== v) {
      throw new InvalidInputError(
        `ipset ids "${other}" and "${v}" both shorten to the set name "${name}" (at most ${MAX_SET_NAME - SWAP_SUFFIX.length} characters); make them differ earlier`,
        'id',
      );
    }
    this.idOfName.set(name, v);
    return name;
  }

  /**
   * Makes the set hold exactly `members` (creating it when missing).
   *
   * Equivalent to: `ipset restore` of `create …`/`add …`/`del …` (or a temporary set and `swap`).
   *
   * @returns what changed and how
   * @throws {InvalidInputError} on a bad id or member (before anything runs)
   * @throws {IpsetError} when ipset refuses the batch
   */
  async setMembers(id: string, family: IpFamily, members: readonly string[]): Promise<MembersChange> {
    const name = this.setName(id, family);
    const want = canonicalMembers(members, family);
    const have = await this.current(name);
    const plan = membersPlan(name, family, want, have, this.threshold, SWAP_SUFFIX);
    if (plan.lines.length > 0) await this.restore([name], plan.lines);
    this.known.set(name, new Set(want));
    return {
      added: plan.added,
      removed: plan.removed,
      method: plan.method,
      sent: plan.lines.length > 0 ? `${plan.lines.join('\n')}\n` : '',
      operations: plan.lines.length,
    };
  }

  /**
   * Brings several sets to their members in ONE `ipset restore` (what the reconcile engine sends per
   * manager and phase): each set as {@link setMembers} would change it, and sets whose `members` is
   * null destroyed (`destroy NAME`, when it exists). Sets not yet known are read with one
   * `ipset save` of the namespace. A set whose members already match sends nothing; all matching
   * sends no restore at all.
   *
   * Equivalent to: `ipset restore` of every set's `create`/`add`/`del`/`swap`/`destroy` lines.
   *
   * @returns the state-changing lines sent, per set (in the order given) and in all
   * @throws {InvalidInputError} on a bad id or member (before anything runs)
   * @throws {IpsetError} when ipset refuses a line (lines before it stay applied: the sets touched are
   *   read again by the next call); a set in use by a rule cannot be destroyed
   */
  async applySets(
    sets: readonly {
      readonly id: string;
      readonly family: IpFamily;
      readonly members: readonly string[] | null;
    }[],
  ): Promise<{ readonly operations: number; readonly perSet: readonly number[]; readonly sent: string }> {
    const wanted = sets.map((s) => ({
      name: this.setName(s.id, s.family),
      family: ipFamily(s.family),
      members: s.members === null ? null : canonicalMembers(s.members, s.family),
    }));
    if (wanted.some((w) => !this.known.has(w.name))) {
      const seen = parseIpsetSave((await this.executor.save(this.namespace)) ?? '', (n) =>
        wanted.some((w) => w.name === n),
      );
      for (const w of wanted) {
        if (this.known.has(w.name)) continue;
        const s = seen.get(w.name);
        if (s) this.known.set(w.name, new Set(s.members));
      }
    }
    const lines: string[] = [];
    const perSet: number[] = [];
    for (const w of wanted) {
      const have = this.known.get(w.name) ?? null;
      const mine =
        w.members === null
          ? have === null
            ? []
            : [`destroy ${w.name}`]
          : membersPlan(w.name, w.family, w.members, have, this.threshold, SWAP_SUFFIX).lines;
      lines.push(...mine);
      perSet.push(mine.length);
    }
    if (lines.length > 0)
      await this.restore(
        wanted.map((w) => w.name),
        lines,
      );
    for (const w of wanted) {
      if (w.members === null) this.known.delete(w.name);
      else this.known.set(w.name, new Set(w.members));
    }
    return { operations: lines.length, perSet, sent: lines.length > 0 ? `${lines.join('\n')}\n` : '' };
  }

  /**
   * Destroys a set. A set that is not there is fine.
   *
   * Equivalent to: `ipset destroy NAME`.
   *
   * @returns true when a set was destroyed
   * @throws {IpsetError} when the set is still referenced (by an iptables rule): remove the rule first
   */
  async destroy(id: string, family: IpFamily): Promise<boolean> {
    const name = this.setName(id, family);
    const done = await this.executor.destroy(this.namespace, name);
    this.known.delete(name);
    return done;
  }

  /** Names of the sets in the namespace that carry this manager's prefix. */
  async list(): Promise<string[]> {
    return (await this.executor.listNames(this.namespace)).filter(
      (n) => n.startsWith(`${this.prefix}4-`) || n.startsWith(`${this.prefix}6-`),
    );
  }

  /** The sets of this manager's prefix with their members, read in one `ipset save` (see {@link observeIpsets}). */
  observe(): Promise<Map<string, ObservedSet> | null> {
    return observeIpsets(this.namespace, { prefix: this.prefix, executor: this.executor });
  }

  /** The members the kernel holds for a set (null when the set does not exist). */
  async members(id: string, family: IpFamily): Promise<string[] | null> {
    const name = this.setName(id, family);
    this.known.delete(name);
    const m = await this.current(name);
    return m ? [...m] : null;
  }

  // Members as last set by us, or as read from the kernel the first time a set is touched (so a
  // restarted process picks up where the last one left).
  private async current(name: string): Promise<Set<string> | null> {
    const cached = this.known.get(name);
    if (cached) return cached;
    const out = await this.executor.save(this.namespace, name);
    if (out === null) return null;
    const members = new Set(parseIpsetSave(out, (n) => n === name).get(name)?.members ?? []);
    this.known.set(name, members);
    return members;
  }

  // One `ipset restore` for the sets `names`. ipset restore is not atomic (lines before a failing one
  // stay applied), so on failure the cached members of those sets are dropped and the next call reads
  // the kernel.
  private async restore(names: readonly string[], lines: readonly string[]): Promise<void> {
    try {
      await this.executor.restore(this.namespace, `${lines.join('\n')}\n`);
    } catch (e) {
      for (const n of names) this.known.delete(n);
      if (e instanceof IpsetError && e.set === '' && names.length === 1) {
        throw new IpsetError(names[0]!, e.message, e.lineNumber);
      }
      throw e;
    }
  }
}
