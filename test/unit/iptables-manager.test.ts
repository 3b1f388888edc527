import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { IptablesRestoreError } from '../../src/iptables/errors.js';
import { parseRestoreError } from '../../src/iptables/executor.js';
import { forgetLearned } from '../../src/iptables/learn.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import { FakeIptables } from '../fakes/iptables.js';

/** A restore input without the fast path's `-C` checks: the lines that change something. */
function changes(text: string | undefined): string {
  return (text ?? '')
    .split('\n')
    .filter((l) => !l.startsWith('-C '))
    .join('\n');
}

function manager(fake: FakeIptables, prefix = 'p', tables: ('filter' | 'nat')[] = ['filter']) {
  return new IptablesManager({ namespace: 'ns1', prefix, families: [4], tables, executor: fake });
}

test('the first apply bootstraps wrapped chains and jumps in one restore; the second sends nothing', async () => {
  const fake = new FakeIptables();
  const m = manager(fake, 'p', ['filter', 'nat']);
  const first = await m.apply();
  assert.equal(first.restores, 1);
  assert.ok(first.operations > 10);
  const text = first.sent[4] ?? '';
  for (const line of [
    ':tn-p-INPUT - [0:0]',
    '-N tenantnet-filter-top',
    '-A FORWARD -m comment --comment "tenantnet:shared" -j tenantnet-filter-top',
    '-A tenantnet-filter-top -m comment --comment "tenantnet:p" -j tn-p-local',
    '-A tn-p-snat -j tn-p-float-snat',
    '-A POSTROUTING -m comment --comment "tenantnet:shared" -j tenantnet-postrouting-bottom',
  ]) {
    assert.ok(text.includes(`${line}\n`), `missing ${line} in\n${text}`);
  }
  const second = await m.apply();
  assert.deepEqual(second, { operations: 0, sent: {}, restores: 0 });
  assert.equal(fake.restores.length, 1);
});

test('$name expands to the wrapped chain; rules in built-in chains carry the owner mark', async () => {
  const fake = new FakeIptables();
  const m = manager(fake);
  const f = m.table('filter');
  f.addChain('web');
  f.addRule('INPUT', '-p tcp --dport 80 -j $web');
  f.addRule('INPUT', '-j $web', { wrap: false, comment: 'why' });
  assert.deepEqual(f.rules('INPUT'), ['-p tcp -m tcp --dport 80 -j tn-p-web']);
  assert.deepEqual(f.rules('INPUT', { wrap: false }), [
    '-m comment --comment "tenantnet:p" -j tn-p-INPUT',
    '-m comment --comment "tenantnet:p why" -j tn-p-web',
  ]);
});

test('an unknown chain or $name is refused before anything runs', async () => {
  const fake = new FakeIptables();
  const m = manager(fake);
  const f = m.table('filter');
  assert.throws(() => f.addRule('nosuch', '-j ACCEPT'), InvalidInputError);
  assert.throws(() => f.addRule('INPUT', '-j $nosuch'), /\$nosuch names no chain/);
  assert.throws(() => f.addRule('NOTBUILTIN', '-j ACCEPT', { wrap: false }), InvalidInputError);
  assert.throws(() => m.table('nat'), InvalidInputError);
  assert.equal(fake.restores.length, 0);
});

test('one rule changed is one -D and one -I; removing a chain removes the jumps into it', async () => {
  const fake = new FakeIptables();
  const m = manager(fake);
  const f = m.table('filter');
  f.addChain('a');
  f.addChain('b');
  f.addRule('INPUT', '-j $a');
  f.addRule('a', '-s 10.0.0.1 -j ACCEPT');
  f.addRule('a', '-s 10.0.0.2 -j ACCEPT');
  f.addRule('a', '-j $b');
  f.addRule('b', '-j DROP');
  await m.apply();
  const saves = fake.saves;
  f.removeRule('a', '-s 10.0.0.1 -j ACCEPT');
  f.addRule('a', '-s 10.0.0.3 -j ACCEPT', { top: true });
  const r = await m.apply();
  assert.equal(
    changes(r.sent[4]),
    '*filter\n-D tn-p-a -s 10.0.0.1/32 -j ACCEPT\n-I tn-p-a 1 -s 10.0.0.3/32 -j ACCEPT\nCOMMIT\n',
  );
  assert.equal(r.operations, 2, 'the -C checks of the fast path change nothing and are not counted');
  assert.equal(f.removeChain('b'), true);
  const r2 = await m.apply();
  assert.equal(changes(r2.sent[4]), '*filter\n-D tn-p-a -j tn-p-b\n-F tn-p-b\n-X tn-p-b\nCOMMIT\n');
  assert.equal(fake.saves, saves, 'changes confined to owned chains are sent without reading first');
  assert.equal((await m.apply()).operations, 0);
  assert.equal(fake.saves, saves + 1, 'an unchanged apply reads, so drift is noticed');
});

test('deferApply folds many edits and inner applies into one restore', async () => {
  const fake = new FakeIptables();
  const m = manager(fake);
  await m.apply();
  const f = m.table('filter');
  const report = await m.deferApply(async () => {
    f.addChain('x');
    for (let i = 1; i <= 20; i++) f.addRule('x', `-s 10.0.0.${i} -j ACCEPT`);
    assert.equal((await m.apply()).operations, 0);
  });
  assert.equal(report.restores, 1);
  assert.equal(report.operations, 21);
  assert.equal(fake.restores.length, 2);
});

test('clearRulesByTag and emptyChain drop only what they name', () => {
  const m = manager(new FakeIptables());
  const f = m.table('filter');
  f.addChain('x');
  f.addRule('x', '-j ACCEPT', { tag: 'p1' });
  f.addRule('x', '-j DROP', { tag: 'p2' });
  f.clearRulesByTag('p1');
  assert.deepEqual(f.rules('x'), ['-j DROP']);
  f.emptyChain('x');
  assert.equal(f.isChainEmpty('x'), true);
  assert.equal(f.hasChain('x'), true);
});

test('foreign rules and chains keep their places across applies', async () => {
  const fake = new FakeIptables();
  fake.load(
    'ns1',
    4,
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:mine - [0:0]\n-A INPUT -s 1.1.1.1/32 -j DROP\n-A INPUT -j mine\n-A mine -j ACCEPT\nCOMMIT\n',
  );
  const m = manager(fake);
  m.table('filter').addRule('INPUT', '-j DROP');
  await m.apply();
  const input = () => fake.states.get('ns1/4')?.get('filter')?.chains.get('INPUT')?.rules;
  assert.deepEqual(input(), [
    '-m comment --comment "tenantnet:p" -j tn-p-INPUT',
    '-s 1.1.1.1/32 -j DROP',
    '-j mine',
  ]);
  m.table('filter').removeRule('INPUT', '-j DROP');
  await m.apply();
  assert.deepEqual(input()?.slice(1), ['-s 1.1.1.1/32 -j DROP', '-j mine']);
  assert.deepEqual(fake.states.get('ns1/4')?.get('filter')?.chains.get('mine')?.rules, ['-j ACCEPT']);
});

test('several managers share the top chain without fighting over positions', async () => {
  const fake = new FakeIptables();
  const a = manager(fake, 'ta');
  const b = manager(fake, 'tb');
  await a.apply();
  await b.apply();
  assert.equal((await a.apply()).operations, 0);
  assert.equal((await b.apply()).operations, 0);
  const top = fake.states.get('ns1/4')?.get('filter')?.chains.get('tenantnet-filter-top')?.rules;
  assert.equal(top?.length, 2);
  const fwd = fake.states.get('ns1/4')?.get('filter')?.chains.get('FORWARD')?.rules ?? [];
  assert.equal(fwd.filter((x) => x.endsWith('-j tenantnet-filter-top')).length, 1);
  await a.teardown();
  assert.equal(
    fake.states.get('ns1/4')?.get('filter')?.chains.has('tenantnet-filter-top'),
    true,
    'b still uses it',
  );
  await b.teardown();
  const chains = [...(fake.states.get('ns1/4')?.get('filter')?.chains.keys() ?? [])];
  assert.deepEqual(chains, ['INPUT', 'FORWARD', 'OUTPUT']);
});

test('a rule iptables prints differently is learned and stops being rewritten', async () => {
  forgetLearned();
  const fake = new FakeIptables();
  fake.printAs = (rule) => rule.replace('--weird-option 1', '--weird-option 0x1');
  const m = manager(fake);
  m.table('filter').addRule('INPUT', '-m foo --weird-option 1 -j ACCEPT');
  await m.apply();
  assert.equal((await m.apply()).operations, 0, 'learned from the read-back and converged');
  // A new manager in the same process uses what was learned straight away.
  const fake2 = new FakeIptables();
  fake2.printAs = fake.printAs;
  const m2 = manager(fake2);
  m2.table('filter').addRule('INPUT', '-m foo --weird-option 1 -j ACCEPT');
  const r = await m2.apply({ verify: true });
  assert.equal(r.remaining, 0);
  forgetLearned();
});

test('a tampered chain is repaired, not learned', async () => {
  const fake = new FakeIptables();
  const m = manager(fake);
  m.table('filter').addRule('INPUT', '-j ACCEPT');
  await m.apply();
  const chain = fake.states.get('ns1/4')?.get('filter')?.chains.get('tn-p-INPUT');
  chain?.rules.splice(0, 1, '-j DROP');
  const r = await m.apply();
  assert.equal(r.sent[4], '*filter\n-D tn-p-INPUT 1\n-A tn-p-INPUT -j ACCEPT\nCOMMIT\n');
});

test('a refused batch raises IptablesRestoreError quoting the line, and the model can be fixed', async () => {
  const fake = new FakeIptables();
  const m = manager(fake);
  await m.apply();
  m.table('filter').addRule('INPUT', '-m foo --bogus -j ACCEPT');
  await assert.rejects(m.apply(), (e: unknown) => {
    assert.ok(e instanceof IptablesRestoreError);
    assert.equal(e.line, '-A tn-p-INPUT -m foo --bogus -j ACCEPT');
    assert.equal(e.lineNumber, 2);
    assert.match(e.message, /line 2 "-A tn-p-INPUT -m foo --bogus -j ACCEPT"/);
    return true;
  });
  m.table('filter').removeRule('INPUT', '-m foo --bogus -j ACCEPT');
  assert.equal((await m.apply()).operations, 0);
});

test('a batch refused in its second table says the first table was committed, and the next apply repairs', async () => {
  const fake = new FakeIptables();
  const m = manager(fake, 'p', ['filter', 'nat']);
  await m.apply();
  const batch = '*filter\n-A tn-p-INPUT -j ACCEPT\nCOMMIT\n*nat\n-A tn-p-OUTPUT --bogus\nCOMMIT\n';
  await assert.rejects(fake.restore('ns1', 4, batch), (e: unknown) => {
    assert.ok(e instanceof IptablesRestoreError);
    assert.deepEqual(e.committed, ['filter']);
    assert.match(e.message, /nothing from its nat block was applied; the blocks of filter before it were/);
    return true;
  });
  await fake.restore('ns1', 4, '*filter\n-D tn-p-INPUT -j ACCEPT\nCOMMIT\n');
  m.table('filter').addRule('INPUT', '-s 10.0.0.7 -j ACCEPT');
  m.table('nat').addRule('POSTROUTING', '-m foo --bogus -j ACCEPT');
  // The fast batch commits filter and fails in nat; the full diff then sends nat alone and fails.
  await assert.rejects(m.apply(), (e: unknown) => {
    assert.ok(e instanceof IptablesRestoreError);
    assert.deepEqual(e.committed, []);
    assert.doesNotMatch(e.input, /\*filter/);
    return true;
  });
  assert.match(await fake.save('ns1', 4), /-A tn-p-INPUT -s 10\.0\.0\.7\/32 -j ACCEPT/);
  m.table('nat').removeRule('POSTROUTING', '-m foo --bogus -j ACCEPT');
  assert.equal((await m.apply()).operations, 0, 'the committed filter block is read back, not sent again');
});

test('a batch committed only in part teaches no canonical form: the model can go back', async (t) => {
  forgetLearned();
  t.after(forgetLearned); // the learned forms are process-wide: a wrong one would mislead later tests
  const fake = new FakeIptables();
  const m = manager(fake, 'p', ['filter', 'nat']);
  const f = m.table('filter');
  f.addChain('a');
  f.addRule('a', '-s 10.0.0.1 -j ACCEPT');
  await m.apply();
  f.removeRule('a', '-s 10.0.0.1 -j ACCEPT');
  f.addRule('a', '-s 10.0.0.2 -j ACCEPT'); // same target: learning must not take .2 as how .1 prints
  m.table('nat').addRule('POSTROUTING', '-m foo --bogus -j ACCEPT');
  await assert.rejects(m.apply(), IptablesRestoreError); // filter committed, nat refused
  m.table('nat').removeRule('POSTROUTING', '-m foo --bogus -j ACCEPT');
  await m.apply();
  f.removeRule('a', '-s 10.0.0.2 -j ACCEPT');
  f.addRule('a', '-s 10.0.0.1 -j ACCEPT');
  await m.apply();
  assert.match(await fake.save('ns1', 4), /-A tn-p-a -s 10\.0\.0\.1\/32 -j ACCEPT/);
  assert.equal((await m.apply({ verify: true })).operations, 0);
});

test('a fast batch that fails otherwise (a timeout after the commit) is not sent again blind', async () => {
  const fake = new FakeIptables();
  const m = manager(fake);
  const f = m.table('filter');
  f.addChain('a');
  await m.apply();
  const restore = fake.restore.bind(fake);
  let timeOut = true;
  fake.restore = async (ns, family, input) => {
    await restore(ns, family, input);
    if (timeOut) {
      timeOut = false;
      throw new Error('iptables-restore timed out'); // after iptables committed
    }
  };
  f.addRule('a', '-s 10.0.0.1 -j ACCEPT');
  await assert.rejects(m.apply(), /timed out/);
  await m.apply();
  const kernel = await fake.save('ns1', 4);
  assert.equal(kernel.match(/-A tn-p-a -s 10\.0\.0\.1\/32 -j ACCEPT/g)?.length, 1, kernel);
});

test('parseRestoreError reads the three ways iptables-restore names a line', () => {
  const input = '*filter\n-A a -j ACCEPT\n-A a -j NOPE\nCOMMIT\n';
  assert.deepEqual(
    parseRestoreError(
      "iptables-restore v1.8.9 (nf_tables): Chain 'NOPE' does not exist\nError occurred at line: 4\nTry `iptables-restore -h' for more information.\n",
      input,
    ),
    { lineNumber: 3, reason: "Chain 'NOPE' does not exist" },
  );
  assert.deepEqual(
    parseRestoreError('iptables-restore: line 2 failed: Index of deletion too big.\n', input),
    {
      lineNumber: 2,
      reason: 'Index of deletion too big.',
    },
  );
  assert.equal(
    parseRestoreError(
      'iptables-restore v1.8.9 (nf_tables): \nline 2: CHAIN_DEL failed (Device or resource busy): chain bar\n',
      input,
    ).lineNumber,
    2,
  );
});

test('bad prefixes and shared names are refused', () => {
  const fake = new FakeIptables();
  assert.throws(() => manager(fake, 'a-b'), InvalidInputError);
  assert.throws(() => manager(fake, 'x'.repeat(14)), InvalidInputError);
  assert.throws(() => new IptablesManager({ prefix: 'ok', shared: 'Too-Long-Name' }), InvalidInputError);
  const m = manager(fake, 'p'.repeat(13));
  assert.equal(m.table('filter').addChain('a-rather-long-chain-name'), `tn-${'p'.repeat(13)}-a-rather-lo`);
  assert.throws(() => m.table('filter').addChain('a-rather-long-other-name'), /already taken/);
});

test('plan shows what apply would send without running it', () => {
  const m = manager(new FakeIptables());
  const text = m.plan(4, '');
  assert.match(text, /^\*filter\n-N tenantnet-filter-top\n:tn-p-INPUT - \[0:0\]\n/);
});

test('an edit made while a restore runs is sent by the next apply, not believed already sent', async () => {
  for (const fastFirst of [false, true]) {
    const fake = new FakeIptables();
    const m = manager(fake);
    const f = m.table('filter');
    f.addChain('a');
    f.addChain('b');
    if (fastFirst) await m.apply();
    const restore = fake.restore.bind(fake);
    let edit: (() => void) | null = () => f.addRule('a', '-s 10.0.0.1 -j ACCEPT');
    fake.restore = async (ns, family, input) => {
      const e = edit;
      edit = null;
      e?.(); // the caller edits the model while iptables-restore runs
      await restore(ns, family, input);
    };
    f.addRule('b', '-j DROP');
    const first = await m.apply();
    assert.doesNotMatch(first.sent[4] ?? '', /10\.0\.0\.1/);
    f.addRule('b', '-j LOG');
    await m.apply();
    const kernel = await fake.save('ns1', 4);
    assert.match(kernel, /-A tn-p-a -s 10\.0\.0\.1\/32 -j ACCEPT/, `fast path first: ${fastFirst}`);
  }
});

test('a rule read once is not read again, yet what makes it differ (family, comment, owner mark) still does', () => {
  const m4 = new IptablesManager({ prefix: 'p', families: [4, 6], tables: ['filter'] });
  const other = new IptablesManager({ prefix: 'q', shared: 'other', tables: ['filter'] });
  const f = m4.table('filter', 4);
  f.addChain('c');
  const rule = '-p tcp --dport 22 -j ACCEPT';
  assert.equal(f.ruleText('c', rule), '-p tcp -m tcp --dport 22 -j ACCEPT');
  assert.equal(f.ruleText('c', rule), '-p tcp -m tcp --dport 22 -j ACCEPT');
  assert.equal(
    f.ruleText('c', rule, { comment: 'x' }),
    '-p tcp -m tcp --dport 22 -m comment --comment x -j ACCEPT',
  );
  assert.equal(
    f.ruleText('INPUT', rule, { wrap: false }),
    '-p tcp -m tcp --dport 22 -m comment --comment "tenantnet:p" -j ACCEPT',
  );
  assert.equal(
    other.table('filter').ruleText('INPUT', rule, { wrap: false }),
    '-p tcp -m tcp --dport 22 -m comment --comment "other:q" -j ACCEPT',
  );
  assert.equal(f.ruleText('c', '-s 10.0.0.1 -j ACCEPT'), '-s 10.0.0.1/32 -j ACCEPT');
  assert.throws(() => m4.table('filter', 6).ruleText('INPUT', '-s 10.0.0.1 -j ACCEPT'), InvalidInputError);
  assert.throws(() => f.ruleText('c', rule, { comment: 'tenantnet:forged' }), InvalidInputError);
});
