// A stateful fake of ipset for unit tests (and, later, tenantnet/testing): sets per namespace.
import { IpsetError } from '../../src/iptables/errors.js';
import type { IpsetExecutor } from '../../src/iptables/ipset-executor.js';

/** One fake set. */
export interface FakeSet {
  family: 'inet' | 'inet6';
  members: Set<string>;
}

/**
 * A fake ipset: per namespace, sets with members. `restore` runs `create`, `add`, `del`, `flush`,
 * `swap` and `destroy` lines one by one and stops at the first bad one (ipset restore is not
 * atomic either: lines before it stay applied); `-exist` makes create/add/del of what exists or is
 * missing fine, as in ipset. `inUse` names sets an iptables rule holds. `failAt` makes the next
 * restore fail at that line (1-based), as a kernel error would.
 */
export class FakeIpset implements IpsetExecutor {
  readonly namespaces = new Map<string, Map<string, FakeSet>>();
  readonly inUse = new Set<string>();
  readonly restores: string[] = [];
  failAt: number | null = null;

  /** The sets of a namespace (created empty on first use). */
  sets(ns: string | null): Map<string, FakeSet> {
    const key = ns ?? '';
    let sets = this.namespaces.get(key);
    if (!sets) {
      sets = new Map();
      this.namespaces.set(key, sets);
    }
    return sets;
  }

  async save(ns: string | null, set?: string): Promise<string | null> {
    const sets = this.sets(ns);
    if (set !== undefined && !sets.has(set)) return null;
    let out = '';
    for (const [name, s] of sets) {
      if (set !== undefined && name !== set) continue;
      out += `create ${name} hash:net family ${s.family} hashsize 1024 maxelem 65536\n`;
      for (const m of s.members) out += `add ${name} ${m}\n`;
    }
    return out;
  }

  async restore(ns: string | null, input: string): Promise<void> {
    this.restores.push(input);
    const sets = this.sets(ns);
    const lines = input.split('\n');
    const failAt = this.failAt;
    this.failAt = null;
    for (const [i, line] of lines.entries()) {
      if (line === '') continue;
      const fail = (why: string): never => {
        throw new IpsetError(
          line.split(' ')[1] ?? '',
          `ipset restore failed at line ${i + 1} "${line}": ${why}`,
          i + 1,
        );
      };
      if (failAt === i + 1) fail('Kernel error received: out of memory');
      const w = line.split(' ');
      const [verb, name = ''] = w;
      const exist = w.includes('-exist');
      const set = sets.get(name);
      if (verb === 'create') {
        if (set && !exist) fail('Set cannot be created: set with the same name already exists');
        if (!set)
          sets.set(name, {
            family: w[w.indexOf('family') + 1] === 'inet6' ? 'inet6' : 'inet',
            members: new Set(),
          });
      } else if (!set) {
        fail('The set with the given name does not exist');
      } else if (verb === 'add') {
        if (set.members.has(w[2] as string) && !exist)
          fail("Element cannot be added to the set: it's already added");
        set.members.add(w[2] as string);
      } else if (verb === 'del') {
        if (!set.members.has(w[2] as string) && !exist)
          fail("Element cannot be deleted from the set: it's not added");
        set.members.delete(w[2] as string);
      } else if (verb === 'flush') {
        set.members.clear();
      } else if (verb === 'swap') {
        const other = sets.get(w[2] as string);
        if (!other) fail('The set with the given name does not exist');
        sets.set(name, other as FakeSet);
        sets.set(w[2] as string, set);
      } else if (verb === 'destroy') {
        if (this.inUse.has(name)) fail('Set cannot be destroyed: it is in use by a kernel component');
        sets.delete(name);
      } else fail(`unknown command ${verb}`);
    }
  }

  async destroy(ns: string | null, set: string): Promise<boolean> {
    const sets = this.sets(ns);
    if (!sets.has(set)) return false;
    if (this.inUse.has(set))
      throw new IpsetError(set, `ipset "${set}" is still in use (an iptables rule matches on it)`);
    sets.delete(set);
    return true;
  }

  async listNames(ns: string | null): Promise<string[]> {
    return [...this.sets(ns).keys()];
  }
}
