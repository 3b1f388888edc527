// The stateful fakes are faithful enough to test against: a manager converges on them, repairs
// what is deleted behind its back, and counts and predicts its operations exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import {
  deleteConntrackByAddress,
  deleteConntrackZone,
  listConntrackZone,
} from '../../src/iptables/conntrack.js';
import { countOps } from '../../src/iptables/diff.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import { FakeConntrack } from '../fakes/conntrack.js';
import { FakeIptables } from '../fakes/iptables.js';

function firewall(fake: FakeIptables): IptablesManager {
  const m = new IptablesManager({ namespace: 'ns1', prefix: 'fw', families: [4, 6], executor: fake });
  for (const family of [4, 6] as const) {
    const f = m.table('filter', family);
    f.addChain('web');
    f.addRule('INPUT', '-p tcp --dport 80 -j $web');
    f.addRule('web', family === 4 ? '-s 10.0.0.0/8 -j ACCEPT' : '-s fd00::/8 -j ACCEPT');
    f.addRule('web', '-j DROP');
    f.addRule('FORWARD', '-o eth1 -j ACCEPT', { wrap: false, comment: 'out' });
    m.table('nat', family).addRule(
      'float-snat',
      family === 4 ? '-s 10.0.0.5 -j SNAT --to-source 192.0.2.5' : '-j RETURN',
    );
  }
  return m;
}

test('a manager on the fake converges in one apply; the next apply sends nothing', async () => {
  const fake = new FakeIptables();
  const m = firewall(fake);
  const pending = await m.pending();
  const first = await m.apply();
  assert.equal(first.restores, 2, 'one restore per family');
  assert.equal(first.operations, countOps(`${first.sent[4]}${first.sent[6]}`));
  assert.equal(pending, first.operations, 'pending() predicted the apply exactly');
  assert.equal(await m.pending(), 0);
  assert.deepEqual(await m.apply(), { operations: 0, sent: {}, restores: 0 });
  assert.equal(fake.restores.length, 2);
  assert.ok(fake.locks >= 3, 'every apply and pending() took the namespace lock');
});

test('deleting a rule from the fake makes the next apply restore exactly it', async () => {
  const fake = new FakeIptables();
  const m = firewall(fake);
  await m.apply();
  const web = fake.states.get('ns1/4')?.get('filter')?.chains.get('tn-fw-web');
  assert.deepEqual(web?.rules.splice(0, 1), ['-s 10.0.0.0/8 -j ACCEPT']);
  const forward = fake.states.get('ns1/6')?.get('filter')?.chains.get('FORWARD');
  const gone = forward?.rules.splice(
    forward.rules.indexOf('-o eth1 -m comment --comment "tenantnet:fw out" -j ACCEPT'),
    1,
  );
  assert.equal(gone?.length, 1);
  assert.equal(await m.pending(), 2);
  const r = await m.apply();
  assert.equal(r.operations, 2);
  assert.equal(r.sent[4], '*filter\n-I tn-fw-web 1 -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n');
  assert.match(
    r.sent[6] ?? '',
    /^\*filter\n-A FORWARD -o eth1 -m comment --comment "tenantnet:fw out" -j ACCEPT\nCOMMIT\n$/,
  );
  assert.equal((await m.apply()).operations, 0);
});

test('a fast batch refused after an earlier table committed counts the committed operations', async () => {
  const fake = new FakeIptables();
  const m = new IptablesManager({
    namespace: 'ns1',
    prefix: 'p',
    families: [4],
    tables: ['filter', 'nat'],
    executor: fake,
  });
  await m.apply();
  fake.states.get('ns1/4')?.get('nat')?.chains.get('tenantnet-postrouting-bottom')?.rules.splice(0); // drift
  m.table('filter').addRule('INPUT', '-j ACCEPT');
  m.table('nat').addRule('snat', '-j RETURN');
  const r = await m.apply();
  assert.equal(r.restores, 2);
  // filter committed in the fast batch (1 insert); nat refused by its -C check, then repaired by the
  // full diff (our jump in the shared chain, and the new rule).
  assert.equal(r.operations, 3);
  assert.equal((await m.apply()).operations, 0);
});

test('conntrack helpers send one filter per direction and family, and delete what matches', async () => {
  const ct = new FakeConntrack();
  ct.add(null, { protocol: 'tcp', src: '10.0.0.9', dst: '10.0.0.5', zone: 7 });
  ct.add(null, { protocol: 'udp', src: '10.0.0.9', dst: '192.0.2.5', replyDst: '10.0.0.5', zone: 7 }); // NATed
  ct.add(null, { protocol: 'udp', src: '10.0.0.9', dst: '10.0.0.6', zone: 7 });
  ct.add(null, { protocol: 'icmp', src: 'fd00::9', dst: 'fd00::5', zone: 8 });
  assert.equal(await deleteConntrackByAddress('10.0.0.5', { zone: 7, executor: ct }), 2);
  assert.deepEqual(
    ct.calls.map((c) => c.filter),
    [
      { family: 4, dst: '10.0.0.5', zone: 7 },
      { family: 4, replyDst: '10.0.0.5', zone: 7 },
    ],
  );
  assert.deepEqual(
    (await listConntrackZone(7, { executor: ct })).map((e) => e.dst),
    ['10.0.0.6'],
  );
  assert.equal(await deleteConntrackZone(8, { executor: ct }), 1);
  assert.equal(await deleteConntrackByAddress('FD00::6', { executor: ct }), 0, 'a v6 address: -f ipv6');
  assert.equal(ct.calls.at(-1)?.filter.family, 6);
  assert.equal(ct.calls.at(-1)?.filter.replyDst, 'fd00::6');
  const before = ct.calls.length;
  for (const bad of ['fe80::1%eth0', '10.0.0.1 ', '-d', '', '10.0.0.256'])
    await assert.rejects(deleteConntrackByAddress(bad, { executor: ct }), InvalidInputError, bad);
  await assert.rejects(deleteConntrackZone(1, { namespace: '', executor: ct }), InvalidInputError);
  await assert.rejects(listConntrackZone(65536, { executor: ct }), InvalidInputError);
  assert.equal(ct.calls.length, before, 'nothing ran');
});
