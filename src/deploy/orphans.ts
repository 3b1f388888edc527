// Firewall leftovers no topology can be named for: chains `tn-sg<hash>-…` and ipsets `sg<hash>4-…`
// / `sg<hash>6-…` in the host place whose prefix (a hash of a topology's name) is no known
// topology's — what a crashed run of a topology that left nothing else (no namespace, row, link or
// directory to be found by) leaves. Torn down by prefix with the iptables layer's managers.
// Neutron: none (its chains are the agent's, rebuilt whole at start-up).
import { firewallPrefix } from '../firewall/names.js';
import { IpsetManager, IptablesManager } from '../iptables/index.js';
import type { TopologyName } from '../net/ownership.js';
import type { IpFamily } from '../net/types.js';
import type { Observation } from '../reconcile/observation.js';
import type { Change, Step } from '../reconcile/step.js';

/** A firewall prefix: `sg` and 8 characters of `a-z 2-7` (see `firewallPrefix`). */
const PREFIX = /^sg[a-z2-7]{8}$/;
const CHAIN = /^:tn-(sg[a-z2-7]{8})-/gm;
const SET = /^(sg[a-z2-7]{8})([46])-(.+)$/;

/**
 * Plans the teardown of firewall chains and sets in the host place whose prefix is none of
 * `known`'s topologies' (each orphan prefix one `delete` change: the manager's teardown, then its
 * sets destroyed). Reads both families' `iptables-save` through `obs` and one `ipset save`.
 */
export async function planOrphanFirewalls(
  obs: Observation,
  known: readonly TopologyName[],
): Promise<Change[]> {
  const x = obs.executors;
  const keep = new Set(known.map(firewallPrefix));
  const [v4, v6, saved] = await Promise.all([
    obs.iptables('host', 4),
    obs.iptables('host', 6),
    x.ipset.save(x.host.namespace).catch(() => null),
  ]);
  const orphans = new Map<string, { chains: boolean; sets: { id: string; family: IpFamily }[] }>();
  const entry = (p: string) => {
    let e = orphans.get(p);
    if (!e) {
      e = { chains: false, sets: [] };
      orphans.set(p, e);
    }
    return e;
  };
  for (const text of [v4 ?? '', v6 ?? '']) {
    for (const m of text.matchAll(CHAIN)) if (!keep.has(m[1]!)) entry(m[1]!).chains = true;
  }
  // Every set of the host place by name (the `create NAME …` lines of `ipset save`).
  for (const line of (saved ?? '').split('\n')) {
    const name = /^create (\S+) /.exec(line)?.[1];
    const m = name ? SET.exec(name) : null;
    if (m && PREFIX.test(m[1]!) && !keep.has(m[1]!)) {
      entry(m[1]!).sets.push({ id: m[3]!, family: Number(m[2]) as IpFamily });
    }
  }
  const changes: Change[] = [];
  for (const [prefix, o] of [...orphans].sort(([a], [b]) => a.localeCompare(b))) {
    const steps: Step[] = [];
    if (o.chains) {
      const manager = new IptablesManager({
        namespace: x.host.namespace,
        prefix,
        executor: x.iptables,
        tables: ['filter', 'raw'],
      });
      steps.push({
        via: 'iptables',
        phase: 'netfilter',
        place: 'host',
        manager,
        planned: { operations: 1, text: {} },
        teardown: true,
      });
    }
    if (o.sets.length > 0) {
      const manager = new IpsetManager({ namespace: x.host.namespace, prefix, executor: x.ipset });
      steps.push({
        via: 'ipset',
        phase: 'netfilter',
        place: 'host',
        manager,
        sets: o.sets.map((s) => ({ ...s, members: null })),
      });
    }
    changes.push({
      resource: { topology: prefix as TopologyName, kind: 'host', name: 'firewall' },
      action: 'delete',
      summary: `- firewall of an unknown topology: chains tn-${prefix}-*, sets ${prefix}*`,
      steps,
    });
  }
  return changes;
}
