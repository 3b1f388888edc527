// The model's side of many hosts: placement, MTU from the underlay, VNIs from a range and unique
// across topologies (what sliceForHost and the store rely on).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { buildModel, DEFAULT_VNI_RANGE, type Model, ModelError } from '../../src/model/index.js';
import { expectProblem } from './model-fixtures.js';
import { threeHosts } from './slice-fixtures.js';

const mtuOf = (m: Model, name: string) => m.networks.find((n) => n.name === name)!.mtu;
const vniOf = (m: Model, name: string) => m.networks.find((n) => n.name === name)!.vni;

test('placement: once anything names a host, an instance or router without one is a problem at its host', () => {
  const t = threeHosts();
  delete (t.instances![2] as { host?: string }).host;
  delete (t.routers![0] as { host?: string }).host;
  expectProblem(t, ['instances', 2, 'host'], 'instance web2 has no host', 'defaults.host');
  expectProblem(t, ['routers', 0, 'host'], 'router r1 has no host');
  // defaults.host places every resource without one.
  const d = threeHosts();
  delete (d.instances![2] as { host?: string }).host;
  d.defaults = { host: 'h2' };
  assert.equal(buildModel(d).instances.find((i) => i.name === 'web2')!.host, 'h2');
});

test('MTU on many hosts: the smallest underlay MTU among the network hosts minus 50 (IPv4) or 70 (IPv6)', () => {
  // Unknown hosts count as 1500 over IPv4.
  const m = buildModel(threeHosts());
  assert.deepEqual(
    ['web', 'db', 'public', 'spare'].map((n) => mtuOf(m, n)),
    [1450, 1450, 1450, 1450],
  );
  const underlay = new Map([
    ['h1', { mtu: 9000 }],
    ['h2', { mtu: 9000 }],
    ['h3', { mtu: 1600, family: 6 as const }],
  ]);
  const j = buildModel(threeHosts(), { underlay });
  assert.equal(mtuOf(j, 'web'), 8950, 'h1 and h2 at 9000');
  assert.equal(mtuOf(j, 'db'), 1530, 'h3: 1600 over IPv6 minus 70');
  assert.equal(mtuOf(j, 'public'), 8950);
  assert.equal(mtuOf(j, 'spare'), 1450, 'on no host: the default underlay');
});

test('an mtu: above what a host carries is refused, naming the host; unknown hosts do not refuse', () => {
  const t = threeHosts();
  t.networks![0]!.mtu = 1500;
  assert.throws(
    () => buildModel(t, { underlay: new Map([['h1', { mtu: 1500 }]]) }),
    (e: unknown) =>
      e instanceof ModelError &&
      e.problems.some(
        (p) =>
          p.path.join('.') === 'networks.0.mtu' &&
          p.message.includes('host h1') &&
          p.message.includes('1450'),
      ),
  );
  assert.throws(
    () => buildModel(t, { underlay: new Map([['h2', { mtu: 1500 }]]) }),
    (e: Error) => /host h2/.test(e.message),
  );
  // Without underlay figures nothing is known, so nothing is refused: 1500 it is.
  assert.equal(mtuOf(buildModel(t, { underlay: new Map() }), 'web'), 1500);
  assert.equal(mtuOf(buildModel(t, { underlay: new Map([['h1', { mtu: 9000 }]]) }), 'web'), 1500);
  // An underlay too small for IPv6 is a problem, not a silent 1230.
  const v6 = threeHosts();
  v6.networks![0] = { name: 'web', subnets: [{ cidr: '10.10.1.0/24' }, { cidr: 'fd00:1::/64' }] };
  assert.throws(
    () => buildModel(v6, { underlay: new Map([['h1', { mtu: 1300 }]]) }),
    (e: Error) => /1250.*below 1280/.test(e.message),
  );
});

test('one host: MTU 1500 by default whatever the underlay option says', () => {
  const m = buildModel(
    { name: 'one', networks: [{ name: 'n', cidr: '10.0.0.0/24' }] },
    { underlay: new Map([['h1', { mtu: 1400 }]]) },
  );
  assert.equal(mtuOf(m, 'n'), 1500);
  assert.equal(vniOf(m, 'n'), null);
});

test('VNIs come from the range (default 4096-16777215), skip VNIs other topologies hold, and stick', () => {
  assert.deepEqual(DEFAULT_VNI_RANGE, { min: 4096, max: 16777215 });
  const m = buildModel(threeHosts());
  for (const n of m.networks) assert.ok(n.vni! >= 4096 && n.vni! <= 16777215, String(n.vni));
  // A tiny range: four networks take all four VNIs.
  const small = buildModel(threeHosts(), { vniRange: { min: 100, max: 103 } });
  assert.deepEqual(small.networks.map((n) => n.vni).sort(), [100, 101, 102, 103]);
  // Held by another topology: skipped.
  const reservedVnis = new Map([
    [100, 'topology blue, network a'],
    [101, 'topology blue, network b'],
  ]);
  const five = threeHosts();
  five.networks!.push({ name: 'extra', cidr: '10.98.0.0/24' });
  assert.throws(
    () => buildModel(five, { vniRange: { min: 100, max: 104 }, reservedVnis }),
    (e: Error) => /no free VNI left in 100-104/.test(e.message),
  );
  const skipping = buildModel(threeHosts(), { vniRange: { min: 100, max: 105 }, reservedVnis });
  assert.deepEqual(skipping.networks.map((n) => n.vni).sort(), [102, 103, 104, 105]);
  // Sticky: rebuilt with previous, every VNI stays, even when the range moves away.
  const again = buildModel(threeHosts(), { previous: skipping, vniRange: { min: 5000, max: 6000 } });
  assert.deepEqual(
    again.networks.map((n) => n.vni),
    skipping.networks.map((n) => n.vni),
  );
  // ...unless another topology took a previous VNI meanwhile.
  const moved = buildModel(threeHosts(), {
    previous: skipping,
    reservedVnis: new Map([[vniOf(skipping, 'web')!, 'topology green, network x']]),
  });
  assert.notEqual(vniOf(moved, 'web'), vniOf(skipping, 'web'));
  assert.equal(vniOf(moved, 'db'), vniOf(skipping, 'db'));
});

test('a vni: another topology holds is a problem naming the holder; outside the range is fine', () => {
  const t = threeHosts();
  t.networks![1]!.vni = 42;
  assert.equal(vniOf(buildModel(t), 'db'), 42);
  assert.throws(
    () => buildModel(t, { reservedVnis: new Map([[42, 'topology blue, network a']]) }),
    (e: unknown) =>
      e instanceof ModelError &&
      e.problems.some(
        (p) =>
          p.path.join('.') === 'networks.1.vni' && /VNI 42 is already used by topology blue/.test(p.message),
      ),
  );
});

test('bad options are InvalidInputErrors naming the option, before anything else', () => {
  const bad: [Parameters<typeof buildModel>[1], string][] = [
    [{ vniRange: { min: 0, max: 10 } }, 'vniRange min'],
    [{ vniRange: { min: 10, max: 2 ** 24 } }, 'vniRange max'],
    [{ vniRange: { min: 10, max: 5 } }, 'vniRange'],
    [{ reservedVnis: { 5: 'x' } as never }, 'reservedVnis'],
    [{ underlay: new Map([['h1', { mtu: 20 }]]) }, 'underlay "h1" mtu'],
    [{ underlay: new Map([['h1', { mtu: 1500, family: 5 as never }]]) }, 'underlay "h1"'],
    [{ underlay: { h1: { mtu: 1500 } } as never }, 'underlay'],
  ];
  for (const [options, where] of bad) {
    assert.throws(
      () => buildModel(threeHosts(), options),
      (e: unknown) => e instanceof InvalidInputError && e.where === where,
      where,
    );
  }
});
