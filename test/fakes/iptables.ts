// A stateful fake of iptables-save/iptables-restore for unit tests (and, later, tenantnet/testing).
import { IptablesRestoreError } from '../../src/iptables/errors.js';
import type { IptablesExecutor } from '../../src/iptables/executor.js';
import type { Release } from '../../src/iptables/lock.js';
import { BUILTIN_CHAINS, type TableName } from '../../src/iptables/names.js';
import { parseSave, type SavedState, type SavedTable } from '../../src/iptables/save-parser.js';
import type { IpFamily } from '../../src/net/types.js';

/**
 * A fake iptables for unit tests: keeps tables in memory, prints them like iptables-save and
 * applies `iptables-restore --noflush` input one table block at a time (each `COMMIT` is atomic, as
 * with the nf_tables backend, and blocks before a failing one stay applied), with the checks the real one makes
 * (unknown chain, `-N` of an existing chain, `-C` of a missing rule, deleting a busy or non-empty
 * chain, bad rule number). `printAs` rewrites a rule the way a real iptables might print it
 * differently from how it was given. `lock` holds nothing (one process) but counts.
 */
export class FakeIptables implements IptablesExecutor {
  readonly states = new Map<string, SavedState>();
  readonly restores: string[] = [];
  saves = 0;
  locks = 0;
  printAs: (rule: string) => string = (r) => r;

  async lock(_ns: string | null): Promise<Release> {
    this.locks++;
    return () => {};
  }

  private key(ns: string | null, family: IpFamily) {
    return `${ns ?? ''}/${family}`;
  }

  async save(ns: string | null, family: IpFamily): Promise<string> {
    this.saves++;
    return print(this.states.get(this.key(ns, family)) ?? new Map());
  }

  /** Seeds state from iptables-save text. */
  load(ns: string | null, family: IpFamily, text: string): void {
    this.states.set(this.key(ns, family), parseSave(text));
  }

  async restore(ns: string | null, family: IpFamily, input: string): Promise<void> {
    this.restores.push(input);
    let state = parseSave(print(this.states.get(this.key(ns, family)) ?? new Map()));
    const lines = input.split('\n');
    let table: SavedTable | null = null;
    const fail = (n: number, why: string): never => {
      throw new IptablesRestoreError(ns, family, n + 1, lines[n] ?? null, why, input);
    };
    for (const [n, line] of lines.entries()) {
      if (line === '') continue;
      if (line === 'COMMIT') {
        this.states.set(this.key(ns, family), state);
        state = parseSave(print(state));
        table = null;
        continue;
      }
      const w = line.split(' ');
      if (line.startsWith('*')) {
        const name = line.slice(1) as TableName;
        table = state.get(name) ?? {
          name,
          chains: new Map(BUILTIN_CHAINS[name].map((c) => [c, { name: c, policy: 'ACCEPT', rules: [] }])),
        };
        state.set(name, table);
        continue;
      }
      const t = table as SavedTable | null;
      if (!t) return fail(n, 'no table');
      if (line.startsWith(':')) {
        const name = line.slice(1).split(' ')[0] as string;
        t.chains.set(name, { name, policy: null, rules: [] });
        continue;
      }
      if (w[0] === '-N') {
        if (t.chains.has(w[1] as string)) fail(n, 'Chain already exists.');
        t.chains.set(w[1] as string, { name: w[1] as string, policy: null, rules: [] });
        continue;
      }
      const chain = t.chains.get(w[1] as string);
      if (!chain) return fail(n, 'No chain/target/match by that name.');
      if (w[0] === '-C') {
        if (!chain.rules.includes(this.printAs(w.slice(2).join(' ')))) {
          fail(n, 'Bad rule (does a matching rule exist in that chain?).');
        }
        continue;
      }
      const target = w[w.indexOf('-j') + 1];
      if (w.includes('-j') && target && /[a-z]/.test(target) && !t.chains.has(target)) {
        fail(n, `Chain '${target}' does not exist`);
      }
      if (w.includes('--bogus')) fail(n, 'unknown option "--bogus"');
      if (w[0] === '-A') chain.rules.push(this.printAs(w.slice(2).join(' ')));
      else if (w[0] === '-I') {
        const at = Number(w[2]) - 1;
        if (at > chain.rules.length) fail(n, 'Index of insertion too big.');
        chain.rules.splice(at, 0, this.printAs(w.slice(3).join(' ')));
      } else if (w[0] === '-D' && /^\d+$/.test(w[2] ?? '')) {
        const at = Number(w[2]) - 1;
        if (at >= chain.rules.length) fail(n, 'Index of deletion too big.');
        chain.rules.splice(at, 1);
      } else if (w[0] === '-D') {
        // By rule: the first rule that matches, as iptables does (here: same printed text).
        const at = chain.rules.indexOf(this.printAs(w.slice(2).join(' ')));
        if (at < 0) fail(n, 'Bad rule (does a matching rule exist in that chain?).');
        chain.rules.splice(at, 1);
      } else if (w[0] === '-F') chain.rules.length = 0;
      else if (w[0] === '-X') {
        if (chain.rules.length > 0) fail(n, 'Directory not empty');
        for (const c of t.chains.values()) {
          if (c.rules.some((r) => r.endsWith(`-j ${chain.name}`))) fail(n, 'Device or resource busy');
        }
        t.chains.delete(chain.name);
      } else fail(n, `unknown command ${w[0]}`);
    }
  }
}

/** Prints a state as iptables-save does (without the comment lines). */
export function print(state: SavedState): string {
  let out = '';
  for (const t of state.values()) {
    out += `*${t.name}\n`;
    for (const c of t.chains.values()) out += `:${c.name} ${c.policy ?? '-'} [0:0]\n`;
    for (const c of t.chains.values()) for (const r of c.rules) out += `-A ${c.name} ${r}\n`;
    out += 'COMMIT\n';
  }
  return out;
}
