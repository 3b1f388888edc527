import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/errors.js';
import { MarkerFrame } from '../../src/ip/batch.js';
import * as ip from '../../src/ip/index.js';
import { FakeBridge } from '../fakes/bridge.js';
import { FakeIpKernel } from '../fakes/ip.js';
import { hostileString } from '../helpers/host-snapshot.js';

const E = (o: Record<string, unknown>) => o as never;

test('fdb lines: append, replace, del, show, exactly as bridge takes them', () => {
  const line = ip.fdbLine;
  assert.equal(
    line({ op: 'fdb.append', entry: E({ mac: '00:00:00:00:00:00', dev: 'vx-1', dst: '10.254.0.12' }) }),
    'fdb append 00:00:00:00:00:00 dev vx-1 dst 10.254.0.12 self permanent',
  );
  assert.equal(
    line({ op: 'fdb.replace', entry: E({ mac: 'FA:16:3E:00:00:01', dev: 'vx-1', dst: 'fd00::12' }) }),
    'fdb replace fa:16:3e:00:00:01 dev vx-1 dst fd00::12 self permanent',
  );
  assert.equal(
    line({
      op: 'fdb.replace',
      entry: E({ mac: 'fa:16:3e:00:00:01', dev: 'tap1', table: 'master', state: 'static' }),
    }),
    'fdb replace fa:16:3e:00:00:01 dev tap1 master static',
  );
  assert.equal(
    line(E({ op: 'fdb.del', mac: 'fa:16:3e:00:00:01', dev: 'vx-1' })),
    'fdb del fa:16:3e:00:00:01 dev vx-1 self',
  );
  assert.equal(
    line(E({ op: 'fdb.del', mac: '00:00:00:00:00:00', dev: 'vx-1', dst: '10.254.0.13' })),
    'fdb del 00:00:00:00:00:00 dev vx-1 dst 10.254.0.13 self',
  );
  assert.equal(line(E({ op: 'fdb.show' })), 'fdb show');
  assert.equal(line(E({ op: 'fdb.show', dev: 'vx-1' })), 'fdb show dev vx-1');
  assert.equal(line(E({ op: 'fdb.show', br: 'br-1' })), 'fdb show br br-1');
});

test('a forged or malformed op never becomes a line: an InvalidInputError naming the field', () => {
  const bad: [unknown, string][] = [
    [{ op: 'fdb.append', entry: { mac: 'ff:ff:ff:ff:ff:ff', dev: 'vx1' } }, 'fdb.append mac'],
    [
      { op: 'fdb.append', entry: { mac: 'fa:16:3e:00:00:01', dev: `help${'x'.repeat(20)}` } },
      'fdb.append dev',
    ],
    [
      { op: 'fdb.append', entry: { mac: 'fa:16:3e:00:00:01', dev: 'vx1', dst: '10.9.9.300' } },
      'fdb.append dst',
    ],
    [
      { op: 'fdb.replace', entry: { mac: 'fa:16:3e:00:00:01', dev: 'vx1', table: 'router' } },
      'fdb.replace table',
    ],
    [
      { op: 'fdb.replace', entry: { mac: 'fa:16:3e:00:00:01', dev: 'vx1', state: 'dynamic' } },
      'fdb.replace state',
    ],
    [{ op: 'fdb.replace', entry: null }, 'fdb.replace entry'],
    [{ op: 'fdb.del', mac: 'fa:16:3e:00:00:01', dev: 'vx1\nfdb flush' }, 'fdb.del dev'],
    [{ op: 'fdb.show', dev: 'a b' }, 'fdb.show dev'],
    [{ op: 'fdb.flush', dev: 'vx1' }, 'op'],
    [null, 'op'],
  ];
  for (const [op, where] of bad) {
    assert.throws(
      () => ip.fdbLine(op as never),
      (e: unknown) => e instanceof InvalidInputError && e.where === where,
      where,
    );
  }
});

test('property: hostile text in any field is refused before a line exists', () => {
  fc.assert(
    fc.property(hostileString(), fc.constantFrom('mac', 'dev', 'dst'), (bad, field) => {
      const entry = { mac: 'fa:16:3e:00:00:01', dev: 'vx1', dst: '10.0.0.1', [field]: bad };
      let line: string;
      try {
        line = ip.fdbLine({ op: 'fdb.replace', entry: E(entry) });
      } catch (e) {
        assert.ok(e instanceof InvalidInputError);
        return;
      }
      // Whatever got through is one plain line of known words.
      assert.match(line, /^fdb replace [0-9a-f:]+ dev [A-Za-z0-9_.-]{1,15} dst [0-9a-f.:]+ self permanent$/);
    }),
    { numRuns: 300 },
  );
});

test('bridge answers are framed by the marker line, as ip answers are', () => {
  const ok = new MarkerFrame(3, 'Cannot find device "tn/mark"');
  assert.equal(
    ok.push('[{"mac":"00:00:00:00:00:00","dst":"10.0.0.2","flags":["self"],"state":"permanent"}]'),
    undefined,
  );
  assert.equal(ok.push('Cannot find device "tn/mark"'), undefined);
  assert.deepEqual(ok.push('Command failed -:4'), {
    ok: true,
    output: ['[{"mac":"00:00:00:00:00:00","dst":"10.0.0.2","flags":["self"],"state":"permanent"}]'],
  });
  const failed = new MarkerFrame(7, 'Cannot find device "tn/mark"');
  failed.push('RTNETLINK answers: No such file or directory');
  failed.push('Command failed -:7');
  failed.push('Cannot find device "tn/mark"');
  assert.deepEqual(failed.push('Command failed -:8'), {
    ok: false,
    errorText: 'RTNETLINK answers: No such file or directory',
  });
});

test('parseFdb reads bridge -j fdb show, with or without dev', () => {
  const out = [
    { mac: 'FA:16:3E:00:00:01', dst: '10.0.0.2', flags: ['self'], state: 'permanent' },
    { mac: 'aa:d8:2d:bf:7c:a2', ifname: 'vx1', flags: [], master: 'br1', state: 'permanent' },
    { mac: '52:54:00:00:00:01', ifname: 'tap1', flags: [], master: 'br1' },
  ];
  assert.deepEqual(ip.parseFdb(out, 'vx1'), [
    {
      mac: 'fa:16:3e:00:00:01',
      dev: 'vx1',
      dst: '10.0.0.2',
      flags: ['self'],
      master: null,
      state: 'permanent',
    },
    { mac: 'aa:d8:2d:bf:7c:a2', dev: 'vx1', dst: null, flags: [], master: 'br1', state: 'permanent' },
    { mac: '52:54:00:00:00:01', dev: 'tap1', dst: null, flags: [], master: 'br1', state: '' },
  ]);
  assert.deepEqual(ip.parseFdb('nonsense'), []);
});

test('the verbs on the fake: append twice is one entry, a unicast MAC keeps one destination, replace moves, delete reports absence, a missing device is typed', async () => {
  const kernel = new FakeIpKernel();
  const bridge = new FakeBridge(kernel);
  await ip.createNamespace('h1', { executor: kernel, promoteSecondaries: false });
  await ip.addVxlan({ executor: kernel, namespace: 'h1', name: 'vx1', vni: 42, learning: false });
  const at = { executor: bridge, namespace: 'h1' };
  const flood = { ...at, mac: '00:00:00:00:00:00', dev: 'vx1' };
  await ip.appendFdb({ ...flood, dst: '10.0.0.2' });
  await ip.appendFdb({ ...flood, dst: '10.0.0.2' });
  await ip.appendFdb({ ...flood, dst: '10.0.0.3' });
  await ip.replaceFdb({ ...at, mac: 'fa:16:3e:00:00:01', dev: 'vx1', dst: '10.0.0.2' });
  await ip.appendFdb({ ...at, mac: 'fa:16:3e:00:00:01', dev: 'vx1', dst: '10.0.0.4' });
  await ip.replaceFdb({ ...at, mac: 'fa:16:3e:00:00:01', dev: 'vx1', dst: '10.0.0.3' });
  const seen = (await ip.listFdb({ ...at, dev: 'vx1' })).map(
    (e) => `${e.mac} ${e.dst} ${e.flags} ${e.state}`,
  );
  assert.deepEqual(seen, [
    '00:00:00:00:00:00 10.0.0.2 self permanent',
    '00:00:00:00:00:00 10.0.0.3 self permanent',
    'fa:16:3e:00:00:01 10.0.0.3 self permanent',
  ]);
  assert.equal(await ip.deleteFdb({ ...flood, dst: '10.0.0.2' }), true);
  assert.equal(await ip.deleteFdb({ ...flood, dst: '10.0.0.2' }), false);
  assert.equal(await ip.deleteFdb({ ...at, mac: 'fa:16:3e:00:00:01', dev: 'vx1' }), true);
  assert.deepEqual(
    (await ip.listFdb(at)).map((e) => [e.dev, e.dst]),
    [['vx1', '10.0.0.3']],
  );
  await assert.rejects(
    ip.replaceFdb({ ...at, mac: 'fa:16:3e:00:00:01', dev: 'vx9', dst: '10.0.0.2' }),
    ip.DeviceNotFoundError,
  );
  await assert.rejects(ip.listFdb({ ...at, namespace: 'h2' }), /namespace "h2" does not exist/);
  // Bad input: refused before the executor is called.
  const before = bridge.applied.length;
  for (const bad of [{ mac: 'zz' }, { dst: '10.0.0.300' }, { dev: 'a/b' }, { namespace: '' }]) {
    await assert.rejects(
      ip.replaceFdb({ ...at, mac: 'fa:16:3e:00:00:01', dev: 'vx1', dst: '10.0.0.2', ...bad }),
      InvalidInputError,
    );
  }
  assert.equal(bridge.applied.length, before);
  // A deleted device takes its entries with it.
  await ip.deleteLink({ executor: kernel, namespace: 'h1', name: 'vx1' });
  await ip.addVxlan({ executor: kernel, namespace: 'h1', name: 'vx1', vni: 42, learning: false });
  assert.deepEqual(await ip.listFdb({ ...at, dev: 'vx1' }), []);
});
