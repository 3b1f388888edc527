// Property tests: hostile strings at every public string parameter of IptablesManager/IptablesTable,
// IpsetManager and the conntrack helpers. Each call either throws a typed TenantnetError or gives
// a verbatim, converging result, inside a sandbox namespace; the host does not change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TenantnetError } from '../../src/errors.js';
import { run } from '../../src/exec/run.js';
import { deleteConntrackByAddress, listConntrackZone } from '../../src/iptables/conntrack.js';
import { IpsetManager } from '../../src/iptables/ipset.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import { tokenize } from '../../src/iptables/rule-text.js';
import { parseSave } from '../../src/iptables/save-parser.js';
import { type HostSnapshot, hostileString, hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';

const RUNS = 50;

/** What changed in the host's firewall and ipsets (other parts may change under other test runs). */
async function firewallChanges(before: HostSnapshot): Promise<string[]> {
  return snapshotDiff(before, await hostSnapshot()).filter((l) => /^(iptables|ipsets):/.test(l));
}

/** Runs `fn`; a TenantnetError is an accepted outcome (returns null), anything else fails. */
async function typed<T>(what: string, fn: () => T | Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (e) {
    assert.ok(e instanceof TenantnetError, `${what}: untyped ${String(e)}`);
    return null;
  }
}

async function filterSave(ns: string) {
  return parseSave((await run(['iptables-save', '-t', 'filter'], { namespace: ns })).stdout).get('filter');
}

const FIELDS = ['rule', 'ruleUnwrapped', 'comment', 'chain', 'tag', 'prefix', 'shared', 'namespace'] as const;

test(
  'hostile strings at every IptablesManager/IptablesTable parameter: typed error or a verbatim, converging result',
  rootOnly,
  async (t) => {
    const before = await hostSnapshot();
    const sb = sandbox(t);
    const ns = await sb.namespace('prop');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIELDS), hostileString(), async (field, v) => {
        const what = `${field} ${JSON.stringify(v)}`;
        const m = await typed(what, () => {
          return new IptablesManager({
            namespace: field === 'namespace' ? v : ns,
            prefix: field === 'prefix' ? v : sb.prefix,
            ...(field === 'shared' ? { shared: v } : {}),
            families: [4],
            tables: ['filter'],
          });
        });
        if (!m) return;
        const f = m.table('filter');
        const edited = await typed(what, () => {
          if (field === 'rule') f.addRule('INPUT', v);
          else if (field === 'ruleUnwrapped') f.addRule('INPUT', v, { wrap: false });
          else if (field === 'comment') f.addRule('INPUT', '-j ACCEPT', { comment: v });
          else if (field === 'chain') f.addRule(f.addChain(v) && v, '-j RETURN');
          else if (field === 'tag') f.addRule('INPUT', '-j ACCEPT', { tag: v });
          return true;
        });
        try {
          if (!edited) return;
          const applied = await typed(what, () => m.apply());
          if (!applied) return; // iptables refused it (typed): nothing of the batch was applied
          assert.equal((await m.apply()).operations, 0, `${what}: converges`);
          const table = await filterSave(ns);
          // Verbatim: the kernel holds exactly the model's rules, in order.
          for (const [chain, c] of f.snapshot()) {
            const ours = (r: string) =>
              c.wrapped || r.includes(sb.prefix) || r.includes('"tenantnet:shared"');
            const mine = (table?.chains.get(chain)?.rules ?? []).filter(ours);
            assert.deepEqual(
              mine,
              c.rules.map((r) => r.text),
              `${what}: ${chain}`,
            );
          }
          if (field === 'comment') {
            const r = table?.chains.get(m.wrapped('INPUT'))?.rules[0] ?? '';
            const tokens = tokenize(r);
            assert.equal(tokens[tokens.indexOf('--comment') + 1], v, `${what}: the comment as given`);
          }
          if (field === 'chain') assert.ok(table?.chains.has(m.wrapped(v)), `${what}: the chain`);
        } finally {
          await typed(what, () => m.teardown());
        }
      }),
      { numRuns: RUNS },
    );
    const left = (await run(['iptables-save'], { namespace: ns })).stdout;
    assert.doesNotMatch(left, /tenantnet|tn-/, 'every teardown removed everything');
    assert.deepEqual(await firewallChanges(before), []);
  },
);

test(
  'hostile strings at IpsetManager (set id, members, namespace): typed error or verbatim, converging sets',
  rootOnly,
  async (t) => {
    const before = await hostSnapshot();
    const sb = sandbox(t);
    const ns = await sb.namespace('props');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('id', 'member', 'namespace'), hostileString(), async (field, v) => {
        const what = `${field} ${JSON.stringify(v)}`;
        const sets = await typed(
          what,
          () => new IpsetManager({ namespace: field === 'namespace' ? v : ns, prefix: sb.prefix }),
        );
        if (!sets) return;
        const id = field === 'id' ? v : 'p';
        const members = field === 'member' ? ['10.250.0.1', v] : ['10.250.0.1'];
        const change = await typed(what, () => sets.setMembers(id, 4, members));
        if (!change) return;
        try {
          assert.equal((await sets.setMembers(id, 4, members)).method, 'none', `${what}: converges`);
          const seen = await sets.observe();
          assert.deepEqual(seen?.get(sets.setName(id, 4))?.members.sort(), [...change.added].sort(), what);
        } finally {
          await sets.destroy(id, 4);
        }
      }),
      { numRuns: 40 },
    );
    assert.deepEqual(await new IpsetManager({ namespace: ns, prefix: sb.prefix }).list(), []);
    assert.deepEqual(await firewallChanges(before), []);
  },
);

test(
  'hostile strings at the conntrack helpers (address, namespace): typed error or a count',
  rootOnly,
  async (t) => {
    const before = await hostSnapshot();
    const sb = sandbox(t);
    const ns = await sb.namespace('propc');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('address', 'namespace'), hostileString(), async (field, v) => {
        const what = `${field} ${JSON.stringify(v)}`;
        const namespace = field === 'namespace' ? v : ns;
        const n = await typed(what, () =>
          deleteConntrackByAddress(field === 'address' ? v : '10.250.0.9', { namespace, zone: 3 }),
        );
        if (n !== null) assert.ok(Number.isInteger(n) && n >= 0, what);
        const l = await typed(what, () => listConntrackZone(3, { namespace }));
        if (l !== null) assert.ok(Array.isArray(l), what);
      }),
      { numRuns: 40 },
    );
    assert.deepEqual(await firewallChanges(before), []);
  },
);
