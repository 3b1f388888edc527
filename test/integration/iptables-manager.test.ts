import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { deleteConntrackZone, listConntrackZone } from '../../src/iptables/conntrack.js';
import { IptablesRestoreError, LegacyTablesError } from '../../src/iptables/errors.js';
import { IpsetManager } from '../../src/iptables/ipset.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import { NamespaceNotFoundError } from '../../src/net/namespace.js';
import { filterManager } from '../helpers/iptables.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';

/** A restore input without the fast path's `-C` checks: the lines that change something. */
function changes(text: string | undefined): string {
  return (text ?? '')
    .split('\n')
    .filter((l) => !l.startsWith('-C '))
    .join('\n');
}

/** iptables-save of a namespace without the timestamp comments. */
async function save(ns: string, family: 4 | 6 = 4): Promise<string> {
  const r = await run([family === 4 ? 'iptables-save' : 'ip6tables-save'], { namespace: ns });
  return r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
}

function chainRules(saveText: string, chain: string): string[] {
  return saveText
    .split('\n')
    .filter((l) => l.startsWith(`-A ${chain} `))
    .map((l) => l.slice(chain.length + 4));
}

test(
  'bootstrap then re-apply: the second apply sends nothing and iptables-save is identical, even for rules written non-canonically',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.namespace('m');
    const m = new IptablesManager({ namespace: ns, prefix: sb.prefix });
    const f = m.table('filter');
    f.addChain('web');
    f.addRule('INPUT', '--protocol tcp --dport 80 -j $web');
    f.addRule('web', '-s 10.250.0.1 -p 6 --destination-port 80 --jump ACCEPT -m comment --comment "from a"');
    f.addRule('web', '-m mac --mac-source AA:BB:CC:00:11:22 -j DROP');
    f.addRule('web', '-d 0.0.0.0/0 -p icmp --icmp-type echo-request -j ACCEPT');
    f.addRule('web', '-p tcp --syn -j REJECT');
    f.addRule('web', '-m limit --limit 300/hour -j ACCEPT'); // printed back as 5/min: learned
    m.table('filter', 6).addRule('INPUT', '-s 2001:DB8:0::1 -p icmpv6 --icmpv6-type echo-request -j ACCEPT');
    m.table('nat').addRule('float-snat', '-s 10.250.0.0/24 -j SNAT --to-source 10.250.1.1');
    m.table('raw').addRule('PREROUTING', '-i lo -j CT --zone 5');
    const first = await m.apply();
    assert.equal(first.restores, 2, 'one restore per family');
    const before4 = await save(ns);
    const before6 = await save(ns, 6);
    const second = await m.apply();
    assert.deepEqual(second, { operations: 0, sent: {}, restores: 0 });
    assert.equal(await save(ns), before4);
    assert.equal(await save(ns, 6), before6);
    assert.ok(before4.includes(`-A tn-${sb.prefix}-web -m limit --limit 5/min -j ACCEPT`));
    // A second manager object for the same prefix (a restart) converges at once too.
    const again = new IptablesManager({ namespace: ns, prefix: sb.prefix });
    again.table('filter').addChain('web');
    for (const r of f.rules('web')) again.table('filter').addRule('web', r);
    again.table('filter').addRule('INPUT', '-p tcp --dport 80 -j $web');
    again.table('filter', 6).addRule('INPUT', '-s 2001:db8::1 -p ipv6-icmp --icmpv6-type 128 -j ACCEPT');
    again.table('nat').addRule('float-snat', '-s 10.250.0.0/24 -j SNAT --to-source 10.250.1.1');
    again.table('raw').addRule('PREROUTING', '-i lo -j CT --zone 5');
    assert.equal((await again.apply()).operations, 0);
  },
);

test(
  'rules and chains come and go, and removing a chain cascades to the jumps into it',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.namespace('c');
    const m = filterManager(sb, ns);
    const f = m.table('filter');
    const [a, b, c] = ['a', 'b', 'c'].map((x) => f.addChain(x));
    f.addRule('INPUT', '-j $a');
    f.addRule('a', '-j $b');
    f.addRule('a', '-s 10.250.0.9 -j DROP');
    f.addRule('b', '-j $c');
    f.addRule('c', '-j RETURN');
    await m.apply();
    let s = await save(ns);
    assert.deepEqual(chainRules(s, a as string), [`-j ${b}`, '-s 10.250.0.9/32 -j DROP']);
    f.removeChain('b');
    const r = await m.apply();
    // Only owned chains changed: the fast path deletes the jump by its text, without reading first.
    assert.equal(changes(r.sent[4]), `*filter\n-D ${a} -j ${b}\n-F ${b}\n-X ${b}\nCOMMIT\n`);
    s = await save(ns);
    assert.deepEqual(chainRules(s, a as string), ['-s 10.250.0.9/32 -j DROP']);
    assert.ok(!s.includes(`:${b} `));
    assert.ok(s.includes(`:${c} `), 'c stays: only b was removed');
    f.removeRule('a', '-s 10.250.0.9 -j DROP');
    f.addRule('a', '-s 10.250.0.10 -j DROP');
    const r2 = await m.apply();
    assert.equal(
      changes(r2.sent[4]),
      `*filter\n-D ${a} -s 10.250.0.9/32 -j DROP\n-I ${a} 1 -s 10.250.0.10/32 -j DROP\nCOMMIT\n`,
    );
    assert.deepEqual(chainRules(await save(ns), a as string), ['-s 10.250.0.10/32 -j DROP']);
    assert.equal((await m.apply()).operations, 0);
  },
);

test(
  'foreign rules and chains, and a second manager, survive many applies in the same order',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.namespace('f');
    const x = (args: string[]) => run(['iptables', ...args], { namespace: ns });
    await x(['-N', 'foreign']);
    await x(['-A', 'foreign', '-j', 'RETURN']);
    await x(['-A', 'INPUT', '-s', '10.250.7.7', '-j', 'DROP']);
    await x(['-A', 'FORWARD', '-j', 'foreign']);
    const m1 = filterManager(sb, ns);
    const m2 = new IptablesManager({
      namespace: ns,
      prefix: `${sb.prefix}b`,
      families: [4],
      tables: ['filter'],
    });
    await m1.apply();
    await m2.apply();
    await x(['-A', 'INPUT', '-s', '10.250.8.8', '-j', 'DROP']);
    const foreign = (s: string) =>
      s.split('\n').filter((l) => l.includes('10.250.') || l.includes('foreign'));
    const ref = foreign(await save(ns));
    for (let i = 0; i < 5; i++) {
      m1.table('filter').addRule('INPUT', `-p udp --dport ${5000 + i} -j ACCEPT`);
      m2.table('filter').addRule('local', `-p udp --dport ${6000 + i} -j ACCEPT`);
      if (i > 0) m1.table('filter').removeRule('INPUT', `-p udp --dport ${4999 + i} -j ACCEPT`);
      await m1.apply();
      await m2.apply();
      assert.deepEqual(foreign(await save(ns)), ref);
    }
    assert.equal((await m1.apply()).operations + (await m2.apply()).operations, 0);
    await m1.teardown();
    await m2.teardown();
    const after = await save(ns);
    assert.ok(!after.includes(sb.prefix), after);
    assert.ok(!after.includes('tenantnet'), after);
    assert.deepEqual(foreign(after), ref);
  },
);

test(
  'an invalid rule in a batch changes nothing and the error quotes the failing line',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.namespace('i');
    const m = filterManager(sb, ns);
    await m.apply();
    const before = await save(ns);
    const f = m.table('filter');
    f.addRule('INPUT', '-s 10.250.0.1 -j ACCEPT');
    f.addRule('INPUT', '-m set --match-set nosuchset src -j DROP');
    f.addRule('INPUT', '-s 10.250.0.2 -j ACCEPT');
    await assert.rejects(m.apply(), (e: unknown) => {
      assert.ok(e instanceof IptablesRestoreError, String(e));
      assert.equal(e.line, `-A tn-${sb.prefix}-INPUT -m set --match-set nosuchset src -j DROP`);
      assert.match(e.message, /line 3 .*nosuchset/);
      return true;
    });
    assert.equal(await save(ns), before, 'nothing from the batch was applied');
    f.removeRule('INPUT', '-m set --match-set nosuchset src -j DROP');
    assert.equal((await m.apply()).operations, 2);
  },
);

test('a vanished namespace and legacy tables give clear typed errors', rootOnly, async (t) => {
  const sb = sandbox(t);
  const gone = new IptablesManager({ namespace: sb.ns('never'), prefix: sb.prefix, families: [4] });
  await assert.rejects(gone.apply(), NamespaceNotFoundError);
  // One class for a vanished namespace everywhere: ipset and conntrack too.
  const sets = new IpsetManager({ namespace: sb.ns('never'), prefix: 'tn' });
  await assert.rejects(sets.setMembers('x', 4, ['10.0.0.1']), NamespaceNotFoundError);
  await assert.rejects(deleteConntrackZone(7, { namespace: sb.ns('never') }), NamespaceNotFoundError);
  await assert.rejects(listConntrackZone(7, { namespace: sb.ns('never') }), NamespaceNotFoundError);
  const ns = await sb.namespace('l');
  await run(['iptables-legacy', '-N', 'legacychain'], { namespace: ns });
  const m = filterManager(sb, ns);
  await assert.rejects(m.apply(), (e: unknown) => e instanceof LegacyTablesError && /legacy/.test(e.message));
  await run(['iptables-legacy', '-X', 'legacychain'], { namespace: ns });
});

test(
  "a chain changed behind the manager's back is repaired: the fast batch is refused and a full diff follows",
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.namespace('drift');
    const m = filterManager(sb, ns);
    const f = m.table('filter');
    const a = f.addChain('a');
    f.addRule('INPUT', '-j $a');
    for (const host of [1, 2, 3]) f.addRule('a', `-s 10.250.7.${host} -j DROP`);
    await m.apply();
    // Someone else deletes one of our rules; then we remove that same rule and add another.
    await sb.exec(ns, ['iptables', '-w', '-D', a as string, '-s', '10.250.7.2/32', '-j', 'DROP']);
    f.removeRule('a', '-s 10.250.7.2 -j DROP');
    f.addRule('a', '-s 10.250.7.4 -j DROP');
    const r = await m.apply();
    assert.equal(r.restores, 2, 'the fast batch was refused, then the full diff ran');
    const [fast = '', full = ''] = (r.sent[4] ?? '').split(/(?<=COMMIT\n)/);
    assert.match(fast, /-D \S+ -s 10\.250\.7\.2/, 'the fast batch deleted by rule text');
    assert.doesNotMatch(full, /-D \S+ -s 10\.250\.7\.2/, 'the full diff saw the rule was already gone');
    assert.equal(r.operations, 1, 'only what iptables committed is counted');
    assert.deepEqual(chainRules(await save(ns), a as string), [
      '-s 10.250.7.1/32 -j DROP',
      '-s 10.250.7.3/32 -j DROP',
      '-s 10.250.7.4/32 -j DROP',
    ]);
    assert.equal((await m.apply({ verify: true })).operations, 0);
  },
);
