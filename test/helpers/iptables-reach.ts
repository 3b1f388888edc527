// Which of a manager's rules a packet can reach: a walk of iptables-save from the built-in chains
// along every -j/-g to a user chain. An independent check that concurrent applies lost nothing.
import type { IptablesManager } from '../../src/iptables/manager.js';
import { parseSave } from '../../src/iptables/save-parser.js';

/** The user chains reachable from the built-in chains of one table (built-ins included). */
export function reachableChains(saveText: string, table = 'filter'): Set<string> {
  const chains = parseSave(saveText).get(table)?.chains ?? new Map();
  const seen = new Set<string>();
  const todo = [...chains.values()].filter((c) => c.policy !== null).map((c) => c.name);
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const rule of chains.get(name)?.rules ?? []) {
      const target = /(?:^| )-[jg] (\S+)/.exec(rule)?.[1];
      if (target && chains.has(target)) todo.push(target);
    }
  }
  return seen;
}

/**
 * What is wrong with one manager's filter rules in an iptables-save (IPv4 filter): each of its
 * chains with a rule in the model must be reachable from a built-in and hold exactly the model's
 * rules, and no shared jump may be duplicated. Empty when all is well.
 */
export function unreachable(saveText: string, m: IptablesManager): string[] {
  const problems: string[] = [];
  const reach = reachableChains(saveText);
  const chains = parseSave(saveText).get('filter')?.chains ?? new Map();
  const t = m.table('filter');
  for (const chain of ['INPUT', 'local']) {
    const full = t.chainName(chain);
    if (!reach.has(full)) problems.push(`${full} is not reachable`);
    const have = chains.get(full)?.rules ?? [];
    if (JSON.stringify(have) !== JSON.stringify(t.rules(chain))) {
      problems.push(`${full} holds ${JSON.stringify(have)}, not ${JSON.stringify(t.rules(chain))}`);
    }
  }
  for (const builtin of ['FORWARD', 'OUTPUT']) {
    const n = (chains.get(builtin)?.rules ?? []).filter((r: string) =>
      r.endsWith(`-j ${m.sharedChains.filterTop}`),
    ).length;
    if (n > 1) problems.push(`${builtin} holds ${n} jumps to ${m.sharedChains.filterTop}`);
  }
  return problems;
}
