import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { IpsetError } from '../../src/iptables/errors.js';
import { canonicalMembers, IpsetManager, MAX_SET_NAME, observeIpsets } from '../../src/iptables/ipset.js';
import { NamespaceNotFoundError } from '../../src/net/namespace.js';
import { FakeIpset } from '../fakes/ipset.js';

const members = (f: FakeIpset, name: string, ns: string | null = null) => [
  ...(f.sets(ns).get(name)?.members ?? []),
];

test('members are canonical: bare host addresses, cleared host bits, /0 as two /1 halves', () => {
  assert.deepEqual(canonicalMembers(['10.0.0.1/32', '10.0.0.1', '10.1.2.3/16', '0.0.0.0/0'], 4), [
    '10.0.0.1',
    '10.1.0.0/16',
    '0.0.0.0/1',
    '128.0.0.0/1',
  ]);
  assert.deepEqual(canonicalMembers(['::/0', '2001:DB8::1/128'], 6), ['::/1', '8000::/1', '2001:db8::1']);
  assert.throws(() => canonicalMembers(['nonsense'], 4), InvalidInputError);
});

test('set names carry the prefix and family and leave room for the swap suffix', () => {
  const m = new IpsetManager({ prefix: 'tn', executor: new FakeIpset() });
  assert.equal(m.setName('web', 4), 'tn4-web');
  assert.equal(m.setName('web', 6), 'tn6-web');
  const long = m.setName('x'.repeat(60), 4);
  assert.equal(`${long}-n`.length, MAX_SET_NAME);
  assert.throws(() => m.setName('bad id', 4), InvalidInputError);
  assert.throws(() => new IpsetManager({ prefix: 'bad-prefix' }), InvalidInputError);
  assert.equal(m.setName('x'.repeat(60), 4), long, 'the same id keeps its name');
  assert.throws(
    () => m.setName(`${'x'.repeat(59)}y`, 4),
    /both shorten to the set name/,
    'two ids that would share one set are refused',
  );
});

test('first use creates the set with its members in one ipset restore', async () => {
  const f = new FakeIpset();
  const m = new IpsetManager({ namespace: 'ns', prefix: 'tn', executor: f });
  const c = await m.setMembers('web', 4, ['10.0.0.1', '10.0.0.2']);
  assert.equal(c.method, 'create');
  assert.equal(
    c.sent,
    'create tn4-web hash:net family inet -exist\nadd tn4-web 10.0.0.1 -exist\nadd tn4-web 10.0.0.2 -exist\n',
  );
  assert.deepEqual(members(f, 'tn4-web', 'ns'), ['10.0.0.1', '10.0.0.2']);
  assert.equal(c.operations, 3);
});

test('a few changes go as add/del lines; many go through a temporary set and a swap', async () => {
  const f = new FakeIpset();
  const m = new IpsetManager({ prefix: 'tn', executor: f });
  await m.setMembers('web', 4, ['10.0.0.1', '10.0.0.2']);
  const small = await m.setMembers('web', 4, ['10.0.0.2', '10.0.0.3']);
  assert.equal(small.method, 'incremental');
  assert.deepEqual(small.added, ['10.0.0.3']);
  assert.deepEqual(small.removed, ['10.0.0.1']);
  assert.equal(small.sent, 'del tn4-web 10.0.0.1 -exist\nadd tn4-web 10.0.0.3 -exist\n');
  const many = Array.from({ length: 20 }, (_, i) => `10.0.1.${i}`);
  const big = await m.setMembers('web', 4, many);
  assert.equal(big.method, 'swap');
  assert.match(big.sent, /^create tn4-web-n hash:net family inet -exist\nflush tn4-web-n\n/);
  assert.match(big.sent, /swap tn4-web-n tn4-web\ndestroy tn4-web-n\n$/);
  assert.deepEqual(members(f, 'tn4-web').sort(), [...many].sort());
  assert.equal(f.sets(null).has('tn4-web-n'), false);
  const same = await m.setMembers('web', 4, many);
  assert.equal(same.method, 'none');
  assert.equal(same.sent, '');
  assert.equal(same.operations, 0);
});

test('an existing set is read from the kernel the first time (a restart does not recreate it)', async () => {
  const f = new FakeIpset();
  f.sets(null).set('tn4-web', { family: 'inet', members: new Set(['10.0.0.1']) });
  const m = new IpsetManager({ prefix: 'tn', executor: f });
  const c = await m.setMembers('web', 4, ['10.0.0.1']);
  assert.equal(c.method, 'none');
  assert.deepEqual(await m.members('web', 4), ['10.0.0.1']);
  assert.deepEqual(await m.list(), ['tn4-web']);
});

test('destroying a set still referenced by a rule is a clear error; an absent set is fine', async () => {
  const f = new FakeIpset();
  f.inUse.add('tn4-web');
  const m = new IpsetManager({ prefix: 'tn', executor: f });
  await m.setMembers('web', 4, ['10.0.0.1']);
  await assert.rejects(
    m.destroy('web', 4),
    (e: unknown) => e instanceof IpsetError && /still in use/.test(e.message),
  );
  assert.equal(await m.destroy('gone', 4), false);
});

test('after a failed ipset restore (not atomic) the next change reads the kernel and converges', async () => {
  const f = new FakeIpset();
  const m = new IpsetManager({ prefix: 'tn', executor: f });
  await m.setMembers('web', 4, ['10.0.0.1', '10.0.0.2']);
  const m2 = new IpsetManager({ prefix: 'tn', executor: f });
  await m2.members('web', 4);
  f.failAt = 2; // the first line (del 10.0.0.1) is applied, then ipset stops at the second
  await assert.rejects(m2.setMembers('web', 4, ['10.0.0.2', '10.0.0.3']), (e: unknown) => {
    assert.ok(e instanceof IpsetError);
    assert.equal(e.set, 'tn4-web');
    assert.equal(e.lineNumber, 2);
    return true;
  });
  // Back to the members the cache last knew: the kernel lost 10.0.0.1 meanwhile, so it is sent again.
  await m2.setMembers('web', 4, ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(members(f, 'tn4-web').sort(), ['10.0.0.1', '10.0.0.2']);
});

test('observe reads the sets of one prefix with their members in one save; a missing namespace is null', async () => {
  const f = new FakeIpset();
  const m = new IpsetManager({ namespace: 'ns', prefix: 'tn', executor: f });
  await m.setMembers('web', 4, ['10.0.0.1']);
  await m.setMembers('web', 6, ['2001:db8::1']);
  f.sets('ns').set('other4-x', { family: 'inet', members: new Set(['10.9.9.9']) });
  f.sets('ns').set('tnx4-x', { family: 'inet', members: new Set() });
  const seen = await m.observe();
  assert.deepEqual(
    [...(seen?.values() ?? [])].map((s) => [s.name, s.family, s.members]),
    [
      ['tn4-web', 4, ['10.0.0.1']],
      ['tn6-web', 6, ['2001:db8::1']],
    ],
  );
  const gone = { ...f, save: async () => Promise.reject(new NamespaceNotFoundError('ns')) };
  assert.equal(await observeIpsets('ns', { prefix: 'tn', executor: gone as unknown as FakeIpset }), null);
  await assert.rejects(observeIpsets('', { prefix: 'tn', executor: f }), InvalidInputError);
});
