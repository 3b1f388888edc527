// Regressions for issue #8's iptables findings, on the fake: injection, fail-open normalising,
// concurrent applies, ownership, the save parser, Neutron's mark chain.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError, TenantnetError } from '../../src/errors.js';
import {
  deleteConntrackByAddress,
  deleteConntrackZone,
  listConntrackZone,
} from '../../src/iptables/conntrack.js';
import { IpsetManager } from '../../src/iptables/ipset.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import { normaliseRule } from '../../src/iptables/normalise.js';
import { parseSave } from '../../src/iptables/save-parser.js';
import { FakeIptables } from '../fakes/iptables.js';

function manager(fake: FakeIptables, prefix = 'p', tables: ('filter' | 'nat' | 'mangle')[] = ['filter']) {
  return new IptablesManager({ namespace: 'ns1', prefix, families: [4], tables, executor: fake });
}

const filter = (fake: FakeIptables) => fake.states.get('ns1/4')?.get('filter');
const rulesOf = (fake: FakeIptables, chain: string) => filter(fake)?.chains.get(chain)?.rules ?? [];

test('a newline or NUL in a comment, a rule or a tag is refused before anything runs', async () => {
  const fake = new FakeIptables();
  const f = manager(fake).table('filter');
  const refused = (fn: () => unknown, where: string) =>
    assert.throws(fn, (e: unknown) => e instanceof InvalidInputError && e.where === where);
  refused(() => f.addRule('INPUT', '-j ACCEPT', { comment: 'x\n-F SOMECHAIN\n#' }), 'comment');
  refused(() => f.addRule('INPUT', '-j DROP', { comment: 'a\0b' }), 'comment');
  refused(() => f.addRule('INPUT', '-m comment --comment "x\n-A INPUT -j ACCEPT" -j DROP'), 'iptables rule');
  refused(() => f.addRule('INPUT', '-j DROP', { tag: 'a\nb' }), 'tag');
  refused(() => f.addRule('INPUT', '-j DROP\r'), 'iptables rule');
  refused(() => f.addRule('INPUT', '-j DROP', { comment: 'x\u2028y' }), 'comment');
  assert.equal(fake.restores.length, 0);
});

test('rules iptables would refuse are refused, never rewritten into other valid rules', () => {
  for (const rule of [
    '-j DROP -j ACCEPT',
    '-j DROP -g INPUT',
    '-s 10.0.0.1 -s 10.0.0.2 -j ACCEPT',
    '-p tcp -p udp -j ACCEPT',
    '-i a -i b -j ACCEPT',
    '! ! -s 10.0.0.1 -j ACCEPT',
    '! -j ACCEPT',
    '-j ACCEPT !',
    '-j ACCEPT foo',
    '-j DROP\n-A INPUT -j ACCEPT',
    '-p tcp --dport 1 --dport 2 -j ACCEPT',
    '-p tcp -m tcp --dport 1 -m tcp --dport 2 -j ACCEPT', // iptables would silently keep only 2
    '-m comment --comment a --comment b -j ACCEPT',
    '-m tcp --dport 5 -j ACCEPT',
    '-m comment -j ACCEPT',
    '-F INPUT',
    '-j ACCEPT -t nat',
    '-j ACCEPT --flush',
    '-m comment --comment "open -j DROP',
    `-m comment --comment "${'x'.repeat(256)}" -j ACCEPT`,
    '-s 10.0.0.1,10.0.0.2 -j ACCEPT', // iptables would make two rules of it
    '-s localhost -j ACCEPT', // iptables would ask DNS
  ]) {
    assert.throws(() => normaliseRule(rule, 4), InvalidInputError, JSON.stringify(rule));
  }
});

test('a comment value that looks like an option stays the comment', () => {
  assert.equal(normaliseRule('-m comment --comment -s -j ACCEPT', 4), '-m comment --comment -s -j ACCEPT');
  assert.equal(
    normaliseRule('-p tcp --dport 1 -m comment --comment x --sport 2 -j ACCEPT', 4),
    '-p tcp -m tcp --sport 2 --dport 1 -m comment --comment x -j ACCEPT',
  );
  assert.equal(
    normaliseRule('-j MARK -m comment --comment z --set-mark 1', 4),
    '-m comment --comment z -j MARK --set-xmark 0x1/0xffffffff',
  );
});

test('a namespace of "" or a path is refused (it is not the root namespace)', () => {
  for (const namespace of ['', '../../proc/1/ns/net', '/run/netns/x', '.', 'a b']) {
    assert.throws(
      () => new IptablesManager({ namespace, prefix: 'p', executor: new FakeIptables() }),
      (e: unknown) => e instanceof InvalidInputError && e.where === 'namespace',
      JSON.stringify(namespace),
    );
  }
});

test('a prefix that names a foreign family owns none of its chains', async () => {
  const fake = new FakeIptables();
  fake.load(
    'ns1',
    4,
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n' +
      '-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -j RETURN\nCOMMIT\n',
  );
  const m = manager(fake, 'DOCKER');
  await m.apply();
  assert.deepEqual(rulesOf(fake, 'DOCKER-USER'), ['-j RETURN']);
  assert.ok(rulesOf(fake, 'FORWARD').includes('-j DOCKER-USER'));
  assert.ok(filter(fake)?.chains.has('tn-DOCKER-INPUT'));
  await m.teardown();
  assert.deepEqual(rulesOf(fake, 'DOCKER-USER'), ['-j RETURN'], 'teardown leaves it too');
});

test('a prefix equal to the shared name coexists with other managers; reserved names are refused', async () => {
  const fake = new FakeIptables();
  const a = manager(fake, 'tenantnet');
  const b = manager(fake, 'p');
  await a.apply();
  await b.apply();
  assert.equal((await a.apply()).operations + (await b.apply()).operations, 0);
  assert.equal(rulesOf(fake, 'tenantnet-filter-top').length, 2);
  assert.throws(() => manager(fake, 'shared'), InvalidInputError);
  for (const shared of ['tn', 'docker', 'ufw', 'x'.repeat(10), 'A'])
    assert.throws(() => new IptablesManager({ prefix: 'p', shared, executor: fake }), InvalidInputError);
});

test('unwrapped chains in the owned lead and comments that forge an owner mark are refused', () => {
  const f = manager(new FakeIptables()).table('filter');
  assert.throws(() => f.addChain('tn-other-x', { wrap: false }), InvalidInputError);
  assert.throws(
    () => f.addRule('INPUT', '-j ACCEPT', { wrap: false, comment: 'tenantnet:q' }),
    InvalidInputError,
  );
  assert.throws(
    () => f.addRule('INPUT', '-m comment --comment tenantnet:q -j ACCEPT', { wrap: false }),
    InvalidInputError,
  );
});

test('two managers applying at once in one process both keep their jump in the shared chain', async () => {
  for (let round = 0; round < 5; round++) {
    const fake = new FakeIptables();
    const a = manager(fake, 'a');
    const b = manager(fake, 'b');
    await Promise.all([a.apply(), b.apply()]);
    const top = rulesOf(fake, 'tenantnet-filter-top');
    assert.deepEqual(
      top.map((r) => r.split(' ').at(-1)).sort(),
      [a.wrapped('local'), b.wrapped('local')],
      `round ${round}: ${top.join(' | ')}`,
    );
    assert.equal(rulesOf(fake, 'FORWARD').filter((r) => r.endsWith('-j tenantnet-filter-top')).length, 1);
  }
});

test('a teardown and another manager apply at once: the shared chain and its users stay consistent', async () => {
  const fake = new FakeIptables();
  const restore = fake.restore.bind(fake);
  fake.restore = async (ns, family, input) => {
    await new Promise((r) => setTimeout(r, 5)); // widen the window between a read and a write
    await restore(ns, family, input);
  };
  const a = manager(fake, 'a');
  await a.apply();
  const b = manager(fake, 'b');
  await Promise.all([a.teardown(), b.apply()]);
  assert.deepEqual(rulesOf(fake, 'tenantnet-filter-top'), [
    `-m comment --comment "tenantnet:b" -j ${b.wrapped('local')}`,
  ]);
  assert.equal((await b.apply()).operations, 0);
});

test('the fast path notices a jump of ours in a shared chain is gone, and repairs it', async () => {
  const fake = new FakeIptables();
  const m = manager(fake);
  const f = m.table('filter');
  f.addChain('a');
  await m.apply();
  rulesOf(fake, 'tenantnet-filter-top').length = 0; // another manager's declaration emptied it
  f.addRule('a', '-j ACCEPT'); // a change confined to our own chains
  const r = await m.apply();
  assert.equal(r.restores, 2, 'the fast batch is refused by its -C check, then the full diff repairs');
  assert.deepEqual(rulesOf(fake, 'tenantnet-filter-top'), [
    `-m comment --comment "tenantnet:p" -j ${m.wrapped('local')}`,
  ]);
  assert.deepEqual(rulesOf(fake, m.wrapped('a')), ['-j ACCEPT']);
  assert.equal((await m.apply()).operations, 0);
});

test('duplicate shared jumps left by a race are removed, one copy stays', async () => {
  const fake = new FakeIptables();
  const m = manager(fake);
  await m.apply();
  const jump = '-m comment --comment "tenantnet:shared" -j tenantnet-filter-top';
  rulesOf(fake, 'FORWARD').splice(1, 0, jump, '-j LOG');
  rulesOf(fake, 'OUTPUT').push(jump);
  const r = await m.apply();
  assert.equal(r.operations, 2);
  assert.equal(rulesOf(fake, 'FORWARD').filter((x) => x === jump).length, 1);
  assert.equal(rulesOf(fake, 'OUTPUT').filter((x) => x === jump).length, 1);
  assert.ok(rulesOf(fake, 'FORWARD').includes('-j LOG'), 'foreign rules stay');
  assert.equal((await m.apply()).operations, 0);
});

test('foreign rules whose values span lines parse as one rule each, and applies go on', async () => {
  const save =
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:SOMECHAIN - [0:0]\n' +
    '-A INPUT -m comment --comment "x\n-F SOMECHAIN\n#" -j ACCEPT\n' +
    '-A INPUT -i a\nb -j ACCEPT\n' +
    '-A INPUT -m comment --comment "q\\"\nCOMMIT\n*nat" -j DROP\n' +
    '-A INPUT -i x\nCOMMIT\n# -j ACCEPT\n' +
    '-A INPUT -j LOG\n-A SOMECHAIN -j RETURN\nCOMMIT\n';
  const input = parseSave(save).get('filter')?.chains.get('INPUT')?.rules;
  assert.deepEqual(input, [
    '-m comment --comment "x\n-F SOMECHAIN\n#" -j ACCEPT',
    '-i a\nb -j ACCEPT',
    '-m comment --comment "q\\"\nCOMMIT\n*nat" -j DROP',
    '-i x',
    '-j LOG',
  ]);
  assert.deepEqual(parseSave(save).get('filter')?.chains.get('SOMECHAIN')?.rules, ['-j RETURN']);
  const fake = new FakeIptables();
  fake.load('ns1', 4, save);
  const m = manager(fake);
  m.table('filter').addRule('INPUT', '-j DROP');
  await m.apply();
  await m.teardown();
  assert.deepEqual(rulesOf(fake, 'SOMECHAIN'), ['-j RETURN']);
});

test('a table iptables-save cannot show is a typed error, not an empty table', () => {
  assert.throws(
    () => parseSave("# Table `filter' is incompatible, use 'nft' tool.\n"),
    (e: unknown) => e instanceof TenantnetError && /cannot show the filter table/.test(e.message),
  );
});

test("mangle PREROUTING jumps to Neutron's mark chain", async () => {
  const fake = new FakeIptables();
  const m = manager(fake, 'p', ['mangle']);
  await m.apply();
  const mangle = fake.states.get('ns1/4')?.get('mangle');
  assert.deepEqual(mangle?.chains.get(m.wrapped('PREROUTING'))?.rules, [`-j ${m.wrapped('mark')}`]);
  assert.ok(mangle?.chains.has(m.wrapped('mark')));
  m.table('mangle').addRule('mark', '-i qg-1 -j MARK --set-xmark 0x2/0xffff');
  assert.equal((await m.apply()).operations, 1);
});

test('ipset and conntrack refuse a namespace that is "" or a path, before anything runs', async () => {
  for (const namespace of ['', '../../proc/1/ns/net', 'a/b']) {
    assert.throws(
      () => new IpsetManager({ namespace, prefix: 'p' }),
      (e: unknown) => e instanceof InvalidInputError && e.where === 'namespace',
    );
  }
  // A path that does not exist, so that the old code could not reach anything either.
  for (const namespace of ['../../nonexistent-tq9x7k', 'x/../../../nonexistent-tq9x7k']) {
    await assert.rejects(
      deleteConntrackZone(1, { namespace }),
      (e: unknown) => e instanceof InvalidInputError && e.where === 'namespace',
    );
    await assert.rejects(
      deleteConntrackByAddress('10.0.0.1', { namespace }),
      (e: unknown) => e instanceof InvalidInputError && e.where === 'namespace',
    );
    await assert.rejects(
      listConntrackZone(1, { namespace }),
      (e: unknown) => e instanceof InvalidInputError && e.where === 'namespace',
    );
  }
});

test('ipset set ids, members and prefixes with control characters or options are refused', async () => {
  const sets = new IpsetManager({ prefix: 'p' });
  await assert.rejects(sets.setMembers('web', 4, ['10.0.0.1\n-exist']), InvalidInputError);
  await assert.rejects(sets.setMembers('web\nflush', 4, []), InvalidInputError);
  await assert.rejects(sets.setMembers('web', 4, [1 as unknown as string]), InvalidInputError);
  assert.throws(() => new IpsetManager({ prefix: 'p\n' }), InvalidInputError);
});
