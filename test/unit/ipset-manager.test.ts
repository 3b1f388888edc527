import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { ProcessError } from '../../src/exec/process-error.js';
import { IpsetError } from '../../src/iptables/errors.js';
import { canonicalMembers, IpsetManager, type IpsetRunner, MAX_SET_NAME } from '../../src/iptables/ipset.js';

// A fake ipset: sets in memory, `save`, `restore` (create/add/del/flush/swap/destroy), `destroy`.
function fakeIpset(inUse = new Set<string>()) {
  const sets = new Map<string, Set<string>>();
  const calls: string[][] = [];
  const fail = (stderr: string) =>
    new ProcessError({ argv: ['ipset'], exitCode: 1, signal: null, stdout: '', stderr, timedOut: false });
  const runner: IpsetRunner = async (_ns, args, input) => {
    calls.push([...args]);
    if (args[0] === 'save') {
      const s = sets.get(args[1] as string);
      if (!s) throw fail('ipset v7.17: The set with the given name does not exist');
      return [`create ${args[1]} hash:net family inet`, ...[...s].map((m) => `add ${args[1]} ${m}`)].join(
        '\n',
      );
    }
    if (args[0] === 'destroy') {
      if (inUse.has(args[1] as string))
        throw fail('ipset v7.17: Set cannot be destroyed: it is in use by a kernel component');
      if (!sets.delete(args[1] as string))
        throw fail('ipset v7.17: The set with the given name does not exist');
      return '';
    }
    if (args[0] === 'list') return [...sets.keys()].join('\n');
    for (const line of (input ?? '').split('\n').filter(Boolean)) {
      const [verb, name = '', arg] = line.split(' ');
      if (verb === 'create') sets.set(name, sets.get(name) ?? new Set());
      else if (verb === 'add') sets.get(name)?.add(arg as string);
      else if (verb === 'del') sets.get(name)?.delete(arg as string);
      else if (verb === 'flush') sets.get(name)?.clear();
      else if (verb === 'destroy') sets.delete(name);
      else if (verb === 'swap') {
        const a = sets.get(name);
        const b = sets.get(arg as string);
        if (a && b) {
          sets.set(name, b);
          sets.set(arg as string, a);
        }
      }
    }
    return '';
  };
  return { sets, calls, runner };
}

test('members are canonical: bare host addresses, cleared host bits, /0 as two /1 halves', () => {
  assert.deepEqual(canonicalMembers(['10.0.0.1/32', '10.0.0.1', '10.1.2.3/16', '0.0.0.0/0'], 'ipv4'), [
    '10.0.0.1',
    '10.1.0.0/16',
    '0.0.0.0/1',
    '128.0.0.0/1',
  ]);
  assert.deepEqual(canonicalMembers(['::/0', '2001:DB8::1/128'], 'ipv6'), [
    '::/1',
    '8000::/1',
    '2001:db8::1',
  ]);
  assert.throws(() => canonicalMembers(['nonsense'], 'ipv4'), InvalidInputError);
});

test('set names carry the prefix and family and leave room for the swap suffix', () => {
  const m = new IpsetManager({ prefix: 'tn', runner: fakeIpset().runner });
  assert.equal(m.setName('web', 'ipv4'), 'tn4-web');
  assert.equal(m.setName('web', 'ipv6'), 'tn6-web');
  const long = m.setName('x'.repeat(60), 'ipv4');
  assert.equal(`${long}-n`.length, MAX_SET_NAME);
  assert.throws(() => m.setName('bad id', 'ipv4'), InvalidInputError);
  assert.throws(() => new IpsetManager({ prefix: 'bad-prefix' }), InvalidInputError);
  assert.equal(m.setName('x'.repeat(60), 'ipv4'), long, 'the same id keeps its name');
  assert.throws(
    () => m.setName(`${'x'.repeat(59)}y`, 'ipv4'),
    /both shorten to the set name/,
    'two ids that would share one set are refused',
  );
});

test('first use creates the set with its members in one ipset restore', async () => {
  const f = fakeIpset();
  const m = new IpsetManager({ namespace: 'ns', prefix: 'tn', runner: f.runner });
  const c = await m.setMembers('web', 'ipv4', ['10.0.0.1', '10.0.0.2']);
  assert.equal(c.method, 'create');
  assert.equal(
    c.sent,
    'create tn4-web hash:net family inet -exist\nadd tn4-web 10.0.0.1 -exist\nadd tn4-web 10.0.0.2 -exist\n',
  );
  assert.deepEqual([...(f.sets.get('tn4-web') ?? [])], ['10.0.0.1', '10.0.0.2']);
});

test('a few changes go as add/del lines; many go through a temporary set and a swap', async () => {
  const f = fakeIpset();
  const m = new IpsetManager({ prefix: 'tn', runner: f.runner });
  await m.setMembers('web', 'ipv4', ['10.0.0.1', '10.0.0.2']);
  const small = await m.setMembers('web', 'ipv4', ['10.0.0.2', '10.0.0.3']);
  assert.equal(small.method, 'incremental');
  assert.deepEqual(small.added, ['10.0.0.3']);
  assert.deepEqual(small.removed, ['10.0.0.1']);
  assert.equal(small.sent, 'del tn4-web 10.0.0.1 -exist\nadd tn4-web 10.0.0.3 -exist\n');
  const many = Array.from({ length: 20 }, (_, i) => `10.0.1.${i}`);
  const big = await m.setMembers('web', 'ipv4', many);
  assert.equal(big.method, 'swap');
  assert.match(big.sent, /^create tn4-web-n hash:net family inet -exist\nflush tn4-web-n\n/);
  assert.match(big.sent, /swap tn4-web-n tn4-web\ndestroy tn4-web-n\n$/);
  assert.deepEqual([...(f.sets.get('tn4-web') ?? [])].sort(), [...many].sort());
  assert.equal(f.sets.has('tn4-web-n'), false);
  const same = await m.setMembers('web', 'ipv4', many);
  assert.equal(same.method, 'none');
  assert.equal(same.sent, '');
});

test('an existing set is read from the kernel the first time (a restart does not recreate it)', async () => {
  const f = fakeIpset();
  f.sets.set('tn4-web', new Set(['10.0.0.1']));
  const m = new IpsetManager({ prefix: 'tn', runner: f.runner });
  const c = await m.setMembers('web', 'ipv4', ['10.0.0.1']);
  assert.equal(c.method, 'none');
  assert.deepEqual(await m.members('web', 'ipv4'), ['10.0.0.1']);
  assert.deepEqual(await m.list(), ['tn4-web']);
});

test('destroying a set still referenced by a rule is a clear error; an absent set is fine', async () => {
  const f = fakeIpset(new Set(['tn4-web']));
  const m = new IpsetManager({ prefix: 'tn', runner: f.runner });
  await m.setMembers('web', 'ipv4', ['10.0.0.1']);
  await assert.rejects(
    m.destroy('web', 'ipv4'),
    (e: unknown) => e instanceof IpsetError && /still in use/.test(e.message),
  );
  await m.destroy('gone', 'ipv4');
});

test('after a failed ipset restore (not atomic) the next change reads the kernel and converges', async () => {
  const f = fakeIpset();
  const m = new IpsetManager({ prefix: 'tn', runner: f.runner });
  await m.setMembers('web', 'ipv4', ['10.0.0.1', '10.0.0.2']);
  const runner = f.runner;
  let failOnce = true;
  const flaky: IpsetRunner = async (ns, args, input) => {
    if (args[0] !== 'restore' || !failOnce) return runner(ns, args, input);
    failOnce = false;
    // The first line is applied, then ipset stops at the second.
    await runner(ns, args, `${(input ?? '').split('\n')[0]}\n`);
    throw new ProcessError({
      argv: ['ipset', 'restore'],
      exitCode: 1,
      signal: null,
      stdout: '',
      stderr: 'ipset v7.17: Error in line 2: Kernel error received: out of memory',
      timedOut: false,
    });
  };
  const m2 = new IpsetManager({ prefix: 'tn', runner: flaky });
  await m2.members('web', 'ipv4');
  await assert.rejects(m2.setMembers('web', 'ipv4', ['10.0.0.3']), (e: unknown) => {
    assert.ok(e instanceof IpsetError);
    assert.equal(e.set, 'tn4-web');
    return true;
  });
  // Back to the members the cache last knew: the kernel lost 10.0.0.1 meanwhile, so it is sent again.
  await m2.setMembers('web', 'ipv4', ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual([...(f.sets.get('tn4-web') ?? [])].sort(), ['10.0.0.1', '10.0.0.2']);
});
