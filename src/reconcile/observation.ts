// One apply's view of the host: every read a planner needs, made once and shared by all feature
// layers in that apply (one dump per namespace, one OVSDB select per owner filter, one directory
// listing of namespaces), so observation cost grows with what is planned, not with the layer count.
import { DeviceNotFoundError } from '../ip/errors.js';
import { type LinkInfo, parseLinks } from '../ip/links.js';
import { type NamespaceState, observeNamespace } from '../ip/observe.js';
import { parseRoutes, type RouteInfo } from '../ip/routes.js';
import { type ObservedSet, observeIpsets } from '../iptables/ipset.js';
import { NamespaceNotFoundError } from '../net/namespace.js';
import { deviceName, type IpFamily, type NamespaceName } from '../net/types.js';
import type { OvsObservation, OwnerFilter } from '../ovs/observe.js';
import type { Executors } from './executors.js';
import type { Place } from './step.js';

// A read of a namespace that does not exist is a state, not an error.
async function missingIsNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof NamespaceNotFoundError) return null;
    throw e;
  }
}

/**
 * Memoised, read-only observations for one plan. Create one per plan/apply; call {@link forget} (or
 * make a new one) after applying, since what it holds is then stale.
 */
export class Observation {
  private readonly memo = new Map<string, Promise<unknown>>();

  /** @param executors where to read from (the same bundle the engine applies through) */
  constructor(readonly executors: Executors) {}

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = read();
      this.memo.set(key, p);
      // A failed read is not remembered: the next caller tries again.
      p.catch(() => this.memo.delete(key));
    }
    return p;
  }

  /** The namespace a place stands for (`host` is the host namespace, null for the root). */
  resolve(place: Place): NamespaceName | null {
    return place === 'host' ? this.executors.host.namespace : place;
  }

  /** Everything in one namespace (links, addresses, routes, rules, neighbours), or null when it is missing. */
  namespace(place: Place): Promise<NamespaceState | null> {
    const ns = this.resolve(place);
    return this.once(`ns:${ns ?? ''}`, () => observeNamespace(ns, { executor: this.executors.ip }));
  }

  /**
   * The links (with their addresses) of one place, or null when its namespace is missing: one
   * `addr show` on the namespace's coprocess, no IPv6 coprocess (what link and address planners
   * need, at a sixth of {@link namespace}'s reads). Taken from {@link namespace} when that was read.
   */
  async links(place: Place): Promise<readonly LinkInfo[] | null> {
    const ns = this.resolve(place);
    const full = this.memo.get(`ns:${ns ?? ''}`) as Promise<NamespaceState | null> | undefined;
    if (full) return (await full)?.links ?? null;
    return this.once(`links:${ns ?? ''}`, () =>
      missingIsNull(async () => {
        const [r] = await this.executors.ip.apply(ns, [{ op: 'link.show' }]);
        return parseLinks(r?.output);
      }),
    );
  }

  /**
   * Some links of one place, by name (those that exist), or null when its namespace is missing: one
   * pipelined `addr show dev NAME` each, so the cost follows the names asked for, not how many links
   * the place holds (a host with a thousand ports). A name that comes back missing is checked with
   * one full read of the place ({@link links}): a long-lived `ip` may remember an old index for a
   * device deleted and made again behind it, and then shows nothing for its name. Taken from
   * {@link links} when that was read.
   */
  async devices(place: Place, names: readonly string[]): Promise<readonly LinkInfo[] | null> {
    const ns = this.resolve(place);
    const all = this.memo.get(`links:${ns ?? ''}`) ?? this.memo.get(`ns:${ns ?? ''}`);
    const pick = async () => {
      const links = await this.links(place);
      return links === null ? null : links.filter((l) => names.includes(l.name));
    };
    if (all) return pick();
    const found = await this.once(`devices:${ns ?? ''}:${names.join(',')}`, () =>
      missingIsNull(async () => {
        const settled = await this.executors.ip.settle(
          ns,
          names.map((name) => ({ op: 'link.show', name: deviceName(name, 'device') })),
        );
        const out: LinkInfo[] = [];
        for (const r of settled) {
          if (r.status === 'fulfilled') out.push(...parseLinks(r.value.output));
          else if (!(r.reason instanceof DeviceNotFoundError)) throw r.reason;
        }
        return out;
      }),
    );
    return found === null || found.length === names.length ? found : pick();
  }

  /** The routes of one family (all tables) in one place, or null when its namespace is missing. */
  async routes(place: Place, family: IpFamily): Promise<readonly RouteInfo[] | null> {
    const ns = this.resolve(place);
    const full = this.memo.get(`ns:${ns ?? ''}`) as Promise<NamespaceState | null> | undefined;
    if (full) return (await full)?.routes.filter((r) => r.family === family) ?? null;
    return this.once(`routes${family}:${ns ?? ''}`, () =>
      missingIsNull(async () => {
        const [r] = await this.executors.ip.apply(ns, [{ op: 'route.show', family }]);
        return parseRoutes(r?.output, family);
      }),
    );
  }

  /**
   * What `iptables-save` (or `ip6tables-save`) prints in one place, or null when its namespace is
   * missing (a manager plans from '' then: a new namespace has empty tables).
   */
  iptablesSave(place: Place, family: IpFamily): Promise<string | null> {
    const ns = this.resolve(place);
    return this.once(`iptables${family}:${ns ?? ''}`, () =>
      missingIsNull(() => this.executors.iptables.save(ns, family)),
    );
  }

  /** Names of the namespaces that exist (one directory listing). */
  namespaces(): Promise<readonly NamespaceName[]> {
    return this.once('netns', async () => (await this.executors.ip.listNamespaces?.()) ?? []);
  }

  /** Rows of the switch carrying an owner mark (one select per filter); null without Open vSwitch. */
  ovs(filter: OwnerFilter): Promise<OvsObservation | null> {
    const key = 'owner' in filter ? `ovs:=${filter.owner}` : `ovs:^${filter.ownerPrefix}`;
    return this.once(key, async () => {
      const ovs = await this.executors.ovs();
      return ovs ? ovs.observe(filter) : null;
    });
  }

  /** The sets of one ipset prefix in a place (one `ipset save`), or null when the namespace is missing. */
  ipsets(place: Place, prefix: string): Promise<Map<string, ObservedSet> | null> {
    const ns = this.resolve(place);
    return this.once(`ipset:${ns ?? ''}:${prefix}`, () =>
      observeIpsets(ns, { prefix, executor: this.executors.ipset }),
    );
  }

  /**
   * One family's `iptables-save` output in a place (every table; outside any apply lock, so it is
   * what a plan sees, and the manager re-reads under the lock when it applies), or null when the
   * namespace is missing.
   */
  iptables(place: Place, family: IpFamily): Promise<string | null> {
    const ns = this.resolve(place);
    return this.once(`iptables:${ns ?? ''}:${family}`, async () => {
      try {
        return await this.executors.iptables.save(ns, family);
      } catch (e) {
        if (e instanceof NamespaceNotFoundError) return null;
        throw e;
      }
    });
  }

  /**
   * sysctl keys inside a namespace (one `netns exec NS sysctl -e …` line on its ip batch), as a
   * key -> value record without the keys the kernel lacks; null when the namespace is missing.
   */
  sysctls(place: NamespaceName, keys: readonly string[]): Promise<Readonly<Record<string, string>> | null> {
    return this.once(`sysctl:${place}:${keys.join(',')}`, () =>
      missingIsNull(async () => {
        const [r] = await this.executors.ip.apply(place, [{ op: 'sysctl.show', namespace: place, keys }]);
        return (r?.output ?? {}) as Record<string, string>;
      }),
    );
  }

  /** A file's content under the state directory, or null. */
  file(path: string): Promise<string | null> {
    return this.once(`file:${path}`, () => this.executors.files.read(path));
  }

  /** Drops everything read so far. */
  forget(): void {
    this.memo.clear();
  }
}
