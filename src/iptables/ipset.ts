import { InvalidInputError } from '../errors.js';
import { ProcessError } from '../exec/process-error.js';
import { run } from '../exec/run.js';
import { vanishedError } from '../net/namespace.js';
import { canonicalCidr } from './addresses.js';
import { IpsetError } from './errors.js';
import type { Family } from './names.js';

/** The kernel's limit on a set name. */
export const MAX_SET_NAME = 31;
/** Suffix of the temporary set a bulk change is built in before the swap. */
export const SWAP_SUFFIX = '-n';

/** Runs `ipset` with the given arguments and stdin in a namespace. */
export type IpsetRunner = (
  namespace: string | null,
  args: readonly string[],
  input?: string,
) => Promise<string>;

/** Options for {@link IpsetManager}. */
export interface IpsetManagerOptions {
  /** Network namespace (sets are per namespace); null or absent: the root namespace. */
  readonly namespace?: string | null;
  /** Prefix of every set name (ownership mark), 1-12 of `A-Z a-z 0-9 _`. */
  readonly prefix: string;
  /** Changes (adds plus removals) above this go through a temporary set and a swap; default 5. */
  readonly bulkThreshold?: number;
  /** How to run ipset (default the real one; unit tests pass a fake). */
  readonly runner?: IpsetRunner;
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
}

const defaultRunner: IpsetRunner = async (namespace, args, input) => {
  try {
    return (await run(['ipset', ...args], { namespace, input, timeoutMs: 30_000 })).stdout;
  } catch (e) {
    throw vanishedError(e, namespace) ?? e;
  }
};

/**
 * The canonical members of a hash:net set for a list of addresses and CIDRs: host bits cleared,
 * host routes as bare addresses (as `ipset list` prints them), duplicates dropped, and a
 * match-all `/0` stored as its two `/1` halves (hash:net cannot hold `/0`). Pure.
 *
 * @throws {InvalidInputError} on a value that is not an address of the family
 */
export function canonicalMembers(members: readonly string[], family: Family): string[] {
  const out = new Set<string>();
  for (const m of members) {
    const c = canonicalCidr(m, family, `ipset member`);
    if (c === null) {
      for (const half of family === 'ipv4' ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'])
        out.add(half);
    } else out.add(c.replace(family === 'ipv4' ? /\/32$/ : /\/128$/, ''));
  }
  return [...out];
}

/**
 * Neutron's ipset_manager: named `hash:net` sets of addresses in one namespace, kept equal to a
 * wanted member list with as little churn as possible. A few changes are sent as `add`/`del`
 * lines; many are built in a temporary set that is swapped in atomically, so a rule matching the
 * set never sees it half-filled. Each change is one `ipset restore`.
 *
 * @example
 * const sets = new IpsetManager({ namespace: 'qrouter-1', prefix: 'tn' });
 * const name = await sets.setMembers('web', 'ipv4', ['10.0.0.5', '10.0.1.0/24']);
 * // rule: -m set --match-set ${sets.setName('web', 'ipv4')} src -j ACCEPT
 */
export class IpsetManager {
  /** The namespace (null: the root namespace). */
  readonly namespace: string | null;
  /** Set name prefix. */
  readonly prefix: string;
  private readonly threshold: number;
  private readonly runner: IpsetRunner;
  private readonly known = new Map<string, Set<string>>();
  private readonly idOfName = new Map<string, string>();

  /** @throws {InvalidInputError} on a bad prefix */
  constructor(opts: IpsetManagerOptions) {
    if (!/^[A-Za-z0-9_]{1,12}$/.test(opts.prefix)) {
      throw new InvalidInputError(`ipset prefix: "${opts.prefix}" is not 1-12 of A-Z a-z 0-9 _`, 'prefix');
    }
    this.namespace = opts.namespace ?? null;
    this.prefix = opts.prefix;
    this.threshold = opts.bulkThreshold ?? 5;
    this.runner = opts.runner ?? defaultRunner;
  }

  /**
   * The set name for an id and family: `<prefix>4-<id>` or `<prefix>6-<id>`, the id shortened so
   * that the name plus the swap suffix fits 31 characters.
   *
   * @throws {InvalidInputError} on an id that is not 1+ of `A-Z a-z 0-9 _ -`
   */
  setName(id: string, family: Family): string {
    if (!/^[A-Za-z0-9_-]+$/.test(id))
      throw new InvalidInputError(`ipset id: "${id}" is not 1+ of A-Z a-z 0-9 _ -`, 'id');
    const name = `${this.prefix}${family === 'ipv4' ? '4' : '6'}-${id}`.slice(
      0,
      MAX_SET_NAME - SWAP_SUFFIX.length,
    );
    // Cutting to ipset's limit could give two ids one set: refuse that rather than mix their members.
    const other = this.idOfName.get(name);
    if (other !== undefined && other !== id) {
      throw new InvalidInputError(
        `ipset ids "${other}" and "${id}" both shorten to the set name "${name}" (at most ${MAX_SET_NAME - SWAP_SUFFIX.length} characters); make them differ earlier`,
        'id',
      );
    }
    this.idOfName.set(name, id);
    return name;
  }

  /**
   * Makes the set hold exactly `members` (creating it when missing).
   *
   * @returns what changed and how
   * @throws {InvalidInputError} on a bad id or member (before anything runs)
   */
  async setMembers(id: string, family: Family, members: readonly string[]): Promise<MembersChange> {
    const name = this.setName(id, family);
    const want = canonicalMembers(members, family);
    const have = await this.current(name);
    const fam = family === 'ipv4' ? 'inet' : 'inet6';
    if (have === null) {
      const sent = [
        `create ${name} hash:net family ${fam} -exist`,
        ...want.map((m) => `add ${name} ${m} -exist`),
      ];
      await this.restore(name, sent);
      this.known.set(name, new Set(want));
      return { added: want, removed: [], method: 'create', sent: `${sent.join('\n')}\n` };
    }
    const wantSet = new Set(want);
    const added = want.filter((m) => !have.has(m));
    const removed = [...have].filter((m) => !wantSet.has(m));
    let lines: string[] = [];
    let method: MembersChange['method'] = 'none';
    if (added.length + removed.length === 0) {
      // nothing to do
    } else if (added.length + removed.length <= this.threshold) {
      method = 'incremental';
      lines = [
        ...removed.map((m) => `del ${name} ${m} -exist`),
        ...added.map((m) => `add ${name} ${m} -exist`),
      ];
    } else {
      method = 'swap';
      const tmp = `${name}${SWAP_SUFFIX}`;
      lines = [
        `create ${tmp} hash:net family ${fam} -exist`,
        `flush ${tmp}`,
        ...want.map((m) => `add ${tmp} ${m} -exist`),
        `swap ${tmp} ${name}`,
        `destroy ${tmp}`,
      ];
    }
    if (lines.length > 0) await this.restore(name, lines);
    this.known.set(name, wantSet);
    return { added, removed, method, sent: lines.length > 0 ? `${lines.join('\n')}\n` : '' };
  }

  /**
   * Destroys a set. A set that is not there is fine.
   *
   * @throws {IpsetError} when the set is still referenced (by an iptables rule): remove the rule first
   */
  async destroy(id: string, family: Family): Promise<void> {
    const name = this.setName(id, family);
    try {
      await this.runner(this.namespace, ['destroy', name]);
    } catch (e) {
      if (e instanceof ProcessError && /does not exist/.test(e.stderr)) {
        // already gone
      } else if (e instanceof ProcessError && /in use/.test(e.stderr)) {
        throw new IpsetError(
          name,
          `ipset "${name}" is still in use (an iptables rule matches on it): remove the rule, apply, then destroy the set`,
        );
      } else throw e;
    }
    this.known.delete(name);
  }

  /** Names of the sets in the namespace that carry this manager's prefix. */
  async list(): Promise<string[]> {
    const out = await this.runner(this.namespace, ['list', '-n']);
    return out
      .split('\n')
      .filter((n) => n.startsWith(`${this.prefix}4-`) || n.startsWith(`${this.prefix}6-`));
  }

  /** The members the kernel holds for a set (null when the set does not exist). */
  async members(id: string, family: Family): Promise<string[] | null> {
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
    let out: string;
    try {
      out = await this.runner(this.namespace, ['save', name]);
    } catch (e) {
      if (e instanceof ProcessError && /does not exist/.test(e.stderr)) return null;
      throw e;
    }
    const members = new Set<string>();
    for (const line of out.split('\n')) {
      const [verb, set, member] = line.trim().split(/\s+/);
      if (verb === 'add' && set === name && member) members.add(member);
    }
    this.known.set(name, members);
    return members;
  }

  // One `ipset restore` for set `name`. ipset restore is not atomic (lines before a failing one stay
  // applied), so on failure the cached members are dropped and the next call reads the kernel.
  private async restore(name: string, lines: readonly string[]): Promise<void> {
    try {
      await this.runner(this.namespace, ['restore'], `${lines.join('\n')}\n`);
    } catch (e) {
      this.known.delete(name);
      if (e instanceof ProcessError) {
        const why = e.stderr.trim().split('\n')[0] ?? 'ipset restore failed';
        const n = Number(/line (\d+)/.exec(why)?.[1] ?? 0);
        throw new IpsetError(
          name,
          `ipset restore failed${n ? ` at line ${n} "${lines[n - 1]}"` : ''}: ${why}`,
        );
      }
      throw e;
    }
  }
}
