// Issue #8's iptables findings on a real kernel: injection through comments, foreign rules that
// iptables-save prints over several lines, a prefix named like a foreign family.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { run } from '../../src/exec/run.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import { hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';
import { filterManager } from '../helpers/iptables.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';

async function save(ns: string): Promise<string> {
  return (await run(['iptables-save'], { namespace: ns })).stdout
    .split('\n')
    .filter((l) => !l.startsWith('# '))
    .join('\n');
}

test(
  'comments and rules that would inject restore lines are refused; the chain they aimed at keeps its rules',
  rootOnly,
  async (t) => {
    const before = await hostSnapshot();
    const sb = sandbox(t);
    const ns = await sb.namespace('inj');
    await sb.exec(ns, ['iptables', '-N', 'SOMECHAIN']);
    await sb.exec(ns, ['iptables', '-A', 'SOMECHAIN', '-j', 'RETURN']);
    const m = filterManager(sb, ns);
    const f = m.table('filter');
    for (const comment of ['x\n-F SOMECHAIN\n#', 'x\0y', 'x\r-A INPUT -j DROP', `${'a'.repeat(255)}b`])
      assert.throws(() => f.addRule('INPUT', '-j ACCEPT', { comment }), InvalidInputError);
    for (const rule of [
      '-j ACCEPT -m comment --comment "x\n-A INPUT -j DROP"',
      '-j DROP -j ACCEPT',
      '-j DROP\n-A INPUT -j ACCEPT',
    ])
      assert.throws(() => f.addRule('INPUT', rule, { wrap: false }), InvalidInputError);
    f.addRule('INPUT', '-j ACCEPT', { comment: 'a "quoted" #comment; with $(x) and \\ and \'' });
    await m.apply();
    const s = await save(ns);
    assert.match(s, /-A SOMECHAIN -j RETURN/);
    assert.doesNotMatch(s, /-A INPUT -j (DROP|ACCEPT)$/m, 'nothing reached a built-in without a mark');
    assert.equal((await m.apply()).operations, 0, 'the odd but valid comment converges');
    await m.teardown();
    assert.deepEqual(snapshotDiff(before, await hostSnapshot()), []);
  },
);

test(
  'foreign rules whose comment or interface holds a line break do not stop applies or a teardown',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.namespace('odd');
    await sb.exec(ns, ['iptables', '-N', 'SOMECHAIN']);
    await sb.exec(ns, ['iptables', '-A', 'SOMECHAIN', '-j', 'RETURN']);
    const x = (args: string[]) => sb.exec(ns, ['iptables', '-A', 'INPUT', ...args]);
    await x(['-m', 'comment', '--comment', 'x\n-F SOMECHAIN\n#', '-j', 'ACCEPT']);
    await x(['-i', 'a\nb', '-j', 'ACCEPT']);
    await x(['-i', 'c\n-A INPUT', '-j', 'ACCEPT']); // prints a line that looks like a whole rule
    await x(['-m', 'comment', '--comment', 'q"\nCOMMIT\n*nat', '-j', 'DROP']);
    await x(['-s', '10.250.9.9', '-j', 'DROP']);
    const foreign = (s: string) =>
      s.split('\n').filter((l) => !l.includes(sb.prefix) && !l.includes('tenantnet'));
    const ref = foreign(await save(ns));
    const m = filterManager(sb, ns);
    const f = m.table('filter');
    f.addRule('INPUT', '-s 10.250.9.1 -j ACCEPT', { wrap: false });
    f.addRule('INPUT', '-s 10.250.9.2 -j ACCEPT');
    await m.apply();
    f.removeRule('INPUT', '-s 10.250.9.1 -j ACCEPT', { wrap: false }); // deleted in a chain of foreign rules
    f.addRule('INPUT', '-s 10.250.9.3 -j ACCEPT', { wrap: false });
    await m.apply();
    assert.equal((await m.apply()).operations, 0);
    assert.deepEqual(foreign(await save(ns)), ref, 'every foreign rule kept, in order');
    await m.teardown();
    assert.deepEqual(foreign(await save(ns)), ref);
    assert.doesNotMatch(await save(ns), /tenantnet|tn-/);
  },
);

test(
  'a manager whose prefix is a foreign family name (DOCKER) never touches that family',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = await sb.namespace('dk');
    for (const args of [
      ['-N', 'DOCKER'],
      ['-N', 'DOCKER-USER'],
      ['-A', 'DOCKER-USER', '-j', 'RETURN'],
      ['-A', 'FORWARD', '-j', 'DOCKER-USER'],
    ])
      await sb.exec(ns, ['iptables', ...args]);
    const m = new IptablesManager({ namespace: ns, prefix: 'DOCKER', families: [4], tables: ['filter'] });
    m.table('filter').addRule('INPUT', '-j ACCEPT');
    await m.apply();
    await m.teardown();
    const s = await save(ns);
    assert.match(s, /^:DOCKER - /m);
    assert.match(s, /^-A DOCKER-USER -j RETURN$/m);
    assert.match(s, /^-A FORWARD -j DOCKER-USER$/m);
    assert.doesNotMatch(s, /tn-DOCKER/);
  },
);
