// Two managers (different prefixes) applying in one namespace at the same time, in one process and
// in two: afterwards every rule of both is reachable from the built-ins and no shared jump is doubled.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import { reachableChains, unreachable } from '../helpers/iptables-reach.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';

const ROUNDS = 20;

test(
  'two managers applying at once in one process lose no rule over 20 rounds (with teardowns between)',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.namespace('c1');
    const make = (p: string) =>
      new IptablesManager({ namespace: ns, prefix: `${sb.prefix}${p}`, families: [4] });
    let [a, b] = [make('a'), make('b')];
    for (let r = 0; r < ROUNDS; r++) {
      for (const m of [a, b]) {
        m.table('filter').addRule('local', `-p udp --dport ${10000 + r} -j ACCEPT`);
        m.table('filter').addRule('INPUT', `-p tcp --dport ${20000 + r} -j ACCEPT`);
      }
      await Promise.all([a.apply(), b.apply()]);
      const save = (await run(['iptables-save'], { namespace: ns })).stdout;
      assert.deepEqual([...unreachable(save, a), ...unreachable(save, b)], [], `round ${r}`);
      if (r % 5 === 4 && r < ROUNDS - 1) {
        // Start over: both tear down at once (the shared chains go), then both create them again.
        await Promise.all([a.teardown(), b.teardown()]);
        [a, b] = [make('a'), make('b')];
      }
    }
    assert.equal((await a.apply()).operations + (await b.apply()).operations, 0);
  },
);

test('two processes applying in one namespace lose no rule over 20 rounds each', rootOnly, async (t) => {
  const sb = sandbox(t);
  const ns = await sb.namespace('c2');
  const fixture = join(import.meta.dirname, '..', 'fixtures', 'iptables-apply.ts');
  const child = (p: string) =>
    run([process.execPath, '--import', 'tsx', fixture, ns, `${sb.prefix}${p}`, String(ROUNDS)], {
      check: false,
      timeoutMs: 110_000,
    });
  const [a, b] = await Promise.all([child('a'), child('b')]);
  assert.equal(a.stdout.trim(), 'ok', `process a: ${a.stdout}${a.stderr}`);
  assert.equal(b.stdout.trim(), 'ok', `process b: ${b.stdout}${b.stderr}`);
  // Both left their last state: rebuild their models here and check them against the kernel.
  const save = (await run(['iptables-save'], { namespace: ns })).stdout;
  const reach = reachableChains(save);
  for (const p of ['a', 'b']) {
    const m = new IptablesManager({ namespace: ns, prefix: `${sb.prefix}${p}` });
    for (let r = 15; r < ROUNDS; r++) {
      m.table('filter').addRule('local', `-p udp --dport ${10000 + r} -j ACCEPT`);
      m.table('filter').addRule('INPUT', `-p tcp --dport ${20000 + r} -j ACCEPT`);
    }
    assert.deepEqual(unreachable(save, m), [], p);
    assert.ok(reach.has(m.wrapped('local')));
    assert.equal(await m.pending(), 0, `${p}: nothing left to do`);
  }
});
