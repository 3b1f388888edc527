import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GRPCDeadlineExceededError, GRPCInvalidArgumentError, GRPCUnavailableError } from 'etcd3';
import { InvalidInputError } from '../../src/errors.js';
import { buildModel, type Model, type TopologyInput } from '../../src/model/index.js';
import {
  checkTxnLimits,
  decodeDesired,
  decodeMeta,
  decodeSpec,
  decodeVni,
  planDestroy,
  planStore,
  reservedVnis,
  type StoredTopology,
  StoreKeys,
  StoreLimitError,
  type StorePlan,
  StoreRequestError,
  StoreUnavailableError,
  storeError,
  txnSize,
  VniTakenError,
} from '../../src/store/index.js';
import { threeHosts } from './slice-fixtures.js';

const keys = new StoreKeys('/t/' as never);
const AT = { appliedAt: '2026-01-01T00:00:00.000Z', appliedBy: 'test' };

/** Nothing in the store. */
function empty(topology = 'multi', vnis: StoredTopology['vnis'] = new Map()): StoredTopology {
  return { keys, topology: topology as never, revision: 1, spec: null, meta: null, slices: new Map(), vnis };
}

/**
 * What the store holds after a plan commits at `revision` (the test's stand-in for etcd: the real
 * decoders read every value written back).
 */
function committed(before: StoredTopology, plan: StorePlan, revision: number): StoredTopology {
  let { spec, meta } = before;
  const slices = new Map(before.slices);
  const vnis = new Map(before.vnis);
  for (const d of plan.deletes) {
    const k = keys.parse(d)!;
    if (k.kind === 'spec') spec = null;
    if (k.kind === 'meta') meta = null;
    if (k.kind === 'desired') slices.delete(k.host);
    if (k.kind === 'vni') vnis.delete(k.vni);
  }
  for (const p of plan.puts) {
    const k = keys.parse(p.key)!;
    if (k.kind === 'spec')
      spec = { value: decodeSpec(p.key, p.value, before.topology), modRevision: revision };
    if (k.kind === 'meta') meta = { value: decodeMeta(p.key, p.value), modRevision: revision };
    if (k.kind === 'desired') {
      slices.set(k.host, {
        value: decodeDesired(p.key, p.value, k.host, before.topology),
        modRevision: revision,
      });
    }
    if (k.kind === 'vni') vnis.set(k.vni, { value: decodeVni(p.key, p.value), modRevision: revision });
  }
  return { ...before, revision, spec, meta, slices, vnis };
}

/** Builds a model over what is stored, as `apply --store` does (sticky, other topologies' VNIs skipped). */
const build = (input: TopologyInput, stored: StoredTopology): Model =>
  buildModel(input, {
    ...(stored.spec ? { previous: stored.spec.value } : {}),
    reservedVnis: reservedVnis(stored),
  });

const keyKinds = (plan: StorePlan) => plan.puts.map((p) => keys.parse(p.key)!.kind);

test('first apply: spec, meta, one slice per host, one reservation per VNI, each new VNI guarded', () => {
  const stored = empty();
  const m = build(threeHosts(), stored);
  const plan = planStore(m, stored, AT);
  assert.equal(plan.kind, 'apply');
  assert.deepEqual(keyKinds(plan), [
    'spec',
    'meta',
    'desired',
    'desired',
    'desired',
    'vni',
    'vni',
    'vni',
    'vni',
  ]);
  assert.deepEqual(plan.deletes, []);
  assert.equal(plan.newVnis.length, 4);
  assert.deepEqual(plan.guard, {
    specKey: '/t/topologies/multi/spec',
    spec: 0,
    metaKey: '/t/topologies/multi/meta',
    meta: 0,
  });
  assert.equal(plan.revision, 0);
  assert.equal(plan.generation, 1);
  assert.equal(plan.changes, 9);
  assert.deepEqual(
    plan.hosts.map((h) => [h.host, h.change, h.generation]),
    [
      ['h1', 'create', 1],
      ['h2', 'create', 1],
      ['h3', 'create', 1],
    ],
  );
  assert.deepEqual(
    plan.hosts[2]!.resources.map((r) => `${r.change} ${r.kind} ${r.name}`),
    [
      '+ network db',
      '+ security group admin',
      '+ security group db',
      '+ security group ops',
      '+ security group web',
      '+ instance db1',
      '+ instance tool',
    ],
  );
  const meta = decodeMeta('', plan.puts[1]!.value);
  assert.deepEqual(meta, {
    generation: 1,
    hosts: [
      { host: 'h1', generation: 1 },
      { host: 'h2', generation: 1 },
      { host: 'h3', generation: 1 },
    ],
    appliedBy: 'test',
    appliedAt: AT.appliedAt,
    fileHash: null,
  });
});

test('re-applying an unchanged topology plans no key at all, whatever the clock says', () => {
  const first = planStore(build(threeHosts(), empty()), empty(), AT);
  const stored = committed(empty(), first, 10);
  const again = planStore(build(threeHosts(), stored), stored, {
    appliedAt: 'later',
    appliedBy: 'someone else',
  });
  assert.deepEqual([again.puts, again.deletes, again.newVnis], [[], [], []]);
  assert.equal(again.changes, 0);
  assert.equal(again.specChanged, false);
  assert.equal(again.generation, 1);
  assert.equal(again.revision, 10);
  assert.deepEqual(again.guard.spec, 10);
  assert.ok(again.hosts.every((h) => h.change === 'none'));
});

test('a change writes the spec, the meta and only the slices it touches, at the next generation', () => {
  const s1 = committed(empty(), planStore(build(threeHosts(), empty()), empty(), AT), 10);
  const t = threeHosts();
  t.instances!.push({ name: 'web3', network: 'web', host: 'h1' });
  const plan = planStore(build(t, s1), s1, AT);
  // h1 gets web3; h2 and h3 do not change (other hosts learn of its port by l2pop).
  assert.deepEqual(keyKinds(plan), ['spec', 'meta', 'desired']);
  assert.deepEqual(
    plan.hosts.map((h) => [
      h.host,
      h.change,
      h.generation,
      h.resources.map((r) => `${r.change} ${r.kind} ${r.name}`),
    ]),
    [
      ['h1', 'update', 2, ['+ instance web3']],
      ['h2', 'none', 1, []],
      ['h3', 'none', 1, []],
    ],
  );
  const meta = decodeMeta('', plan.puts[1]!.value);
  assert.deepEqual(meta.hosts, [
    { host: 'h1', generation: 2 },
    { host: 'h2', generation: 1 },
    { host: 'h3', generation: 1 },
  ]);
  assert.equal(plan.guard.meta, 10);
  assert.equal(plan.newVnis.length, 0);
});

test('a host that leaves loses its slice; a network that goes gives its VNI up; moving an instance moves it', () => {
  const s1 = committed(empty(), planStore(build(threeHosts(), empty()), empty(), AT), 10);
  const t = threeHosts();
  // db1 and tool move from h3 to h1; spare goes.
  for (const i of t.instances!) if (i.host === 'h3') i.host = 'h1';
  t.networks = t.networks!.filter((n) => n.name !== 'spare');
  const m = build(t, s1);
  const plan = planStore(m, s1, AT);
  const spareVni = [...s1.vnis].find(([, v]) => v.value.network === 'spare')![0];
  assert.deepEqual(plan.deletes, ['/t/hosts/h3/desired/multi', `/t/vni/${spareVni}`]);
  assert.deepEqual(
    plan.hosts.map((h) => [h.host, h.change]),
    [
      ['h1', 'update'],
      ['h2', 'none'],
      ['h3', 'delete'],
    ],
  );
  assert.ok(plan.hosts[0]!.resources.some((r) => r.name === 'db1' && r.change === '+'));
  assert.ok(plan.hosts[2]!.resources.some((r) => r.name === 'db1' && r.change === '-'));
  // Every other VNI stays where it was.
  for (const n of m.networks) assert.equal(s1.vnis.get(n.vni!)?.value.network, n.name);
});

test("VNIs: another topology's are skipped when building; one taken anyway is a VniTakenError naming the holder", () => {
  const blue = committed(
    empty('blue'),
    planStore(build(threeHosts('blue'), empty('blue')), empty('blue'), AT),
    5,
  );
  const green0 = empty('green', blue.vnis);
  const green = build(threeHosts('green'), green0);
  const blueVnis = new Set(blue.vnis.keys());
  for (const n of green.networks) assert.ok(!blueVnis.has(n.vni!), `green ${n.name} ${n.vni}`);
  assert.equal(planStore(green, green0, AT).newVnis.length, 4);
  // A model built without looking (or a vni: given): the plan refuses it before anything is sent.
  const blind = buildModel(threeHosts('green'));
  const clash = {
    ...blind,
    networks: blind.networks.map((n, i) => (i === 0 ? { ...n, vni: [...blueVnis][0]! } : n)),
  };
  assert.throws(
    () => planStore(clash, green0, AT),
    (e: unknown) =>
      e instanceof VniTakenError && e.vni === [...blueVnis][0] && /topology blue, network/.test(e.message),
  );
});

test('destroy: every key of the topology, guarded like an apply; nothing stored plans nothing', () => {
  const s1 = committed(empty(), planStore(build(threeHosts(), empty()), empty(), AT), 10);
  const other = committed(
    empty('blue'),
    planStore(build(threeHosts('blue'), empty('blue')), empty('blue'), AT),
    11,
  );
  const both = { ...s1, vnis: new Map([...s1.vnis, ...other.vnis]) };
  const plan = planDestroy(both);
  assert.equal(plan.kind, 'destroy');
  assert.equal(plan.deletes.length, 2 + 3 + 4);
  assert.ok(plan.deletes.every((d) => !d.includes('blue')));
  assert.ok(
    plan.deletes.filter((d) => d.includes('/vni/')).every((d) => s1.vnis.has(Number(d.split('/').pop()))),
  );
  assert.deepEqual(plan.guard.meta, 10);
  const gone = committed(both, plan, 12);
  assert.deepEqual([gone.spec, gone.meta, gone.slices.size], [null, null, 0]);
  assert.equal(planDestroy(empty()).changes, 0);
});

test('the transaction is checked against the server limits first, naming the flag to raise', () => {
  const plan = planStore(build(threeHosts(), empty()), empty(), AT);
  const size = txnSize(plan);
  assert.deepEqual([size.compares, size.success, size.failure], [6, 9, 6]);
  assert.ok(size.bytes > plan.puts.reduce((n, p) => n + p.key.length + p.value.length, 0));
  assert.doesNotThrow(() => checkTxnLimits(plan, { maxTxnOps: 9, maxRequestBytes: size.bytes }));
  assert.throws(
    () => checkTxnLimits(plan, { maxTxnOps: 8, maxRequestBytes: 1 << 30 }),
    (e: unknown) =>
      e instanceof StoreLimitError &&
      e.flag === '--max-txn-ops' &&
      e.needed === 9 &&
      e.limit === 8 &&
      /raise --max-txn-ops/.test(e.message),
  );
  assert.throws(
    () => checkTxnLimits(plan, { maxTxnOps: 128, maxRequestBytes: size.bytes - 1 }),
    (e: unknown) => e instanceof StoreLimitError && e.flag === '--max-request-bytes',
  );
});

test('a model of another topology is refused', () => {
  assert.throws(
    () => planStore(buildModel(threeHosts('blue')), empty('multi'), AT),
    (e: unknown) => e instanceof InvalidInputError && e.where === 'model',
  );
});

test('client errors become typed store errors: unreachable and timed out are retryable', () => {
  const eps = ['http://127.0.0.1:1'];
  const timeout = storeError(
    new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded'),
    'read x',
    eps,
  );
  assert.ok(timeout instanceof StoreUnavailableError && timeout.retryable);
  assert.match(timeout.message, /etcd \(http:\/\/127\.0\.0\.1:1\) did not answer: read x/);
  assert.ok(
    storeError(new GRPCUnavailableError('14 UNAVAILABLE: No connection'), 'x', eps) instanceof
      StoreUnavailableError,
  );
  const ops = storeError(
    new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: too many operations in txn request'),
    'apply t',
    eps,
  );
  assert.ok(ops instanceof StoreLimitError && ops.flag === '--max-txn-ops' && !ops.retryable);
  const big = storeError(
    new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: request is too large'),
    'apply t',
    eps,
  );
  assert.ok(big instanceof StoreLimitError && big.flag === '--max-request-bytes');
  const other = storeError(
    new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: key is not provided'),
    'x',
    eps,
  );
  assert.ok(other instanceof StoreRequestError && !other.retryable);
  const bug = new TypeError('not ours');
  assert.equal(storeError(bug, 'x', eps), bug);
});
