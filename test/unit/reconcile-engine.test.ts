import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IpOp } from '../../src/ip/ops.js';
import type { NamespaceName } from '../../src/net/types.js';
import { type ApplyEvent, ApplyFailedError, applyChanges, assertApplied } from '../../src/reconcile/apply.js';
import { countingExecutors } from '../../src/reconcile/counting.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { DependencyCycleError, schedule } from '../../src/reconcile/order.js';
import type { Change, Phase, Place, ResourceRef, Step } from '../../src/reconcile/step.js';
import { fakeExecutors } from '../fakes/executors.js';

const ns = (s: string) => s as NamespaceName;
const ref = (name: string, kind: ResourceRef['kind'] = 'instance'): ResourceRef =>
  ({ topology: 't', kind, name }) as ResourceRef;
const ipStep = (phase: Phase, place: Place, ops: IpOp[]): Step => ({ via: 'ip', phase, place, ops });
const lo = (up = true): IpOp => ({ op: 'link.set', name: 'lo' as never, set: { up } });

/** A namespace with a veth to a second one, as steps (the planners' shape, written out). */
function instance(name: string, extra: Partial<Change> = {}): Change {
  const me = ns(`ns-${name}`);
  return {
    resource: ref(name),
    action: 'create',
    summary: `+ ${name}`,
    steps: [
      ipStep('namespace', 'host', [{ op: 'netns.add', name: me }]),
      ipStep('namespace', me, [lo()]),
      ipStep('l3', me, [{ op: 'bridge.add', name: `br-${name}` as never }, lo()]),
    ],
    ...extra,
  };
}

/** Records each ip call (namespace and op count) and the order of every executor call. */
function recording(x: Executors) {
  const calls: { ns: string; ops: string[] }[] = [];
  const order: string[] = [];
  const wrapped = new WeakSet<object>();
  const executors: Executors = {
    ...x,
    ip: {
      ...x.ip,
      apply: (n, ops) => x.ip.apply(n, ops),
      async settle(n, ops) {
        calls.push({ ns: n ?? 'root', ops: ops.map((o) => o.op) });
        order.push(`ip:${n ?? 'root'}:${ops.map((o) => o.op).join(',')}`);
        return x.ip.settle(n, ops);
      },
      release: x.ip.release?.bind(x.ip),
    },
    ovs: async () => {
      const sw = await x.ovs();
      if (!sw || wrapped.has(sw)) return sw;
      wrapped.add(sw);
      const commit = sw.commit.bind(sw);
      const deferred = sw.commitDeferred.bind(sw);
      sw.commit = async (tx, o) => {
        order.push(
          `ovs:${tx.ops
            .filter((op) => op.op !== 'wait')
            .map((op) => `${op.op} ${'table' in op ? op.table : ''}`)
            .join(',')}`,
        );
        return commit(tx, o);
      };
      sw.commitDeferred = async (tx, o) => {
        order.push(
          `ovs-deferred:${tx.ops.map((op) => `${op.op} ${'table' in op ? op.table : ''}`).join(',')}`,
        );
        return deferred(tx, o);
      };
      return sw;
    },
  };
  return { executors, calls, order };
}

test('steps of one phase are merged: one ip batch per namespace, one for the host, the namespaces side by side', async () => {
  const f = fakeExecutors();
  const r = recording(f.executors);
  const result = assertApplied(
    await applyChanges([instance('a'), instance('b'), instance('c')], r.executors),
  );
  // namespace phase: one host batch with three netns.add, then one batch per namespace; l3: one per namespace.
  assert.deepEqual(r.calls, [
    { ns: 'root', ops: ['netns.add', 'netns.add', 'netns.add'] },
    { ns: 'ns-a', ops: ['link.set'] },
    { ns: 'ns-b', ops: ['link.set'] },
    { ns: 'ns-c', ops: ['link.set'] },
    { ns: 'ns-a', ops: ['bridge.add', 'link.set'] },
    { ns: 'ns-b', ops: ['bridge.add', 'link.set'] },
    { ns: 'ns-c', ops: ['bridge.add', 'link.set'] },
  ]);
  assert.equal(result.changes, 12, 'every write op counts');
  assert.deepEqual(
    result.outcomes.map((o) => [o.status, o.operations]),
    [
      ['done', 4],
      ['done', 4],
      ['done', 4],
    ],
  );
});

test('all OVS ops of a phase go in one OVSDB transaction, before the host and namespace batches', async () => {
  const f = fakeExecutors({ hostNamespace: 'host0' });
  const c = countingExecutors(f.executors);
  const r = recording(c.executors);
  const port = (name: string): Change => ({
    resource: ref(name, 'port'),
    action: 'create',
    summary: `+ port ${name}`,
    steps: [
      {
        via: 'ovs',
        phase: 'port',
        ops: [{ op: 'port.add', bridge: 'br-int', spec: { name, type: 'internal' }, owner: 't.port.x' }],
      },
      ipStep('port', 'host', [{ op: 'link.set', name: name as never, set: { up: true } }]),
    ],
  });
  const bridge: Change = {
    resource: ref('br', 'network'),
    action: 'create',
    summary: '+ bridge',
    steps: [{ via: 'ovs', phase: 'bridge', ops: [{ op: 'bridge.ensure', name: 'br-int', observed: null }] }],
  };
  assertApplied(await applyChanges([port('p1'), port('p2'), bridge], r.executors));
  assert.equal(c.counts.ovs.writeTransactions, 2, 'one for the bridge phase, one for the port phase');
  assert.deepEqual(
    r.order.map((o) => o.split(':')[0]),
    ['ovs', 'ovs', 'ip'],
    'bridge phase, then the port phase: OVS rows, then the host batch',
  );
  assert.equal(r.calls[0]?.ops.length, 2, 'both ports in one host batch');
  assert.ok(
    f.kernel.ns('host0')?.link('p1')?.up,
    "vswitchd made the internal port's device and it was raised",
  );
});

test('deletions run first, phases reversed; OVS rows go before namespaces, committed without waiting for vswitchd', async () => {
  const f = fakeExecutors();
  await applyChanges([instance('a')], f.executors);
  const sw = (await f.executors.ovs())!;
  const { OvsBridge } = await import('../../src/ovs/bridge.js');
  await new OvsBridge(sw, 'br0').create();
  await new OvsBridge(sw, 'br0').addPorts([{ name: 'pa', type: 'internal' }]);
  const uuid = String(f.ovsdb.row('Port', 'pa')!._uuid);
  const r = recording(f.executors);
  const del: Change = {
    resource: ref('a'),
    action: 'delete',
    summary: '- a',
    steps: [
      ipStep('namespace', 'host', [{ op: 'netns.del', name: ns('ns-a') }]),
      { via: 'ovs', phase: 'port', ops: [{ op: 'port.del', bridge: 'br0', name: 'pa', uuid }] },
    ],
  };
  const create = instance('b');
  const events: string[] = [];
  const result = await applyChanges([create, del], r.executors, {
    onProgress: (e: ApplyEvent) => {
      if (e.type === 'phase-start') events.push(`${e.pass}/${e.phase}`);
    },
  });
  assertApplied(result);
  assert.deepEqual(events, ['delete/port', 'delete/namespace', 'apply/namespace', 'apply/l3']);
  assert.deepEqual(
    r.order.map((o) => o.split(':').slice(0, 2).join(':')),
    ['ovs-deferred:mutate Bridge,delete Port', 'ip:root', 'ip:root', 'ip:ns-b', 'ip:ns-b'],
  );
  assert.equal(f.kernel.ns('ns-a'), undefined);
  assert.equal(f.ovsdb.row('Port', 'pa'), undefined);
  assert.ok(result.vswitchdWaitMs >= 0);
});

test('a failing step fails its change, skips what comes after it, and independent changes still run', async () => {
  const f = fakeExecutors();
  f.kernel.addNamespace('ns-a'); // "netns add" of a is fine (already so), but its bridge exists: fails
  f.kernel.ns('ns-a')!.addLink({ name: 'br-a', kind: 'bridge' });
  const a = instance('a');
  const b = instance('b', { after: [ref('a')] });
  const c = instance('c', { after: [ref('b')] });
  const d = instance('d');
  const skipped: string[] = [];
  const result = await applyChanges([a, b, c, d], f.executors, {
    onProgress: (e) => {
      if (e.type === 'change-skipped') skipped.push(`${e.change.resource.name}: ${e.reason}`);
    },
  });
  assert.equal(result.ok, false);
  const [oa, ob, oc, od] = result.outcomes;
  assert.equal(oa?.status, 'failed');
  assert.equal(oa?.status === 'failed' && (oa.error as Error).constructor.name, 'LinkAlreadyExistsError');
  assert.equal(ob?.status, 'skipped');
  assert.equal(ob?.status === 'skipped' && ob.partial, true, 'its namespace phase had run');
  assert.equal(oc?.status, 'skipped');
  assert.equal(od?.status, 'done');
  assert.deepEqual(skipped, ['b: after t/instance/a, which failed', 'c: after t/instance/a, which failed']);
  assert.equal(f.kernel.ns('ns-b')?.link('br-b'), undefined, "b's l3 phase did not run");
  assert.ok(f.kernel.ns('ns-d')?.link('br-d'), 'd is independent and done');
  assert.throws(() => assertApplied(result), ApplyFailedError);
});

test('a dependant in the same batch goes in a later wave, so a failure there still skips it', async () => {
  const f = fakeExecutors();
  f.kernel.addNamespace('ns-x');
  f.kernel.ns('ns-x')!.addLink({ name: 'dup', kind: 'bridge' });
  const first: Change = {
    resource: ref('one'),
    action: 'create',
    summary: 'one',
    steps: [ipStep('l3', ns('ns-x'), [{ op: 'bridge.add', name: 'dup' as never }])],
  };
  const second: Change = {
    resource: ref('two'),
    action: 'create',
    summary: 'two',
    after: [ref('one')],
    steps: [ipStep('l3', ns('ns-x'), [{ op: 'bridge.add', name: 'other' as never }])],
  };
  const r = recording(f.executors);
  const result = await applyChanges([second, first], r.executors);
  assert.deepEqual(
    result.outcomes.map((o) => o.status),
    ['skipped', 'failed'],
  );
  assert.equal(r.calls.length, 1, 'the second wave was never sent');
  assert.equal(f.kernel.ns('ns-x')?.link('other'), undefined);
});

test('an OVS op that fails is pinned on its change; the others are committed without it', async () => {
  const f = fakeExecutors();
  const sw = (await f.executors.ovs())!;
  const { OvsBridge } = await import('../../src/ovs/bridge.js');
  await new OvsBridge(sw, 'br0').create();
  const port = (name: string, bridge: string): Change => ({
    resource: ref(name, 'port'),
    action: 'create',
    summary: name,
    steps: [{ via: 'ovs', phase: 'port', ops: [{ op: 'port.add', bridge, spec: { name }, owner: 'o' }] }],
  });
  const c = countingExecutors(f.executors);
  const result = await applyChanges(
    [port('p1', 'br0'), port('p2', 'nobridge'), port('p3', 'br0')],
    c.executors,
  );
  assert.deepEqual(
    result.outcomes.map((o) => o.status),
    ['done', 'failed', 'done'],
  );
  const failed = result.outcomes[1];
  assert.equal(
    failed?.status === 'failed' && (failed.error as Error).constructor.name,
    'BridgeNotFoundError',
  );
  assert.ok(f.ovsdb.row('Port', 'p1') && f.ovsdb.row('Port', 'p3'));
  assert.equal(c.counts.ovs.writeTransactions, 2, 'the failed transaction, then the one without p2');
  assert.equal(result.changes, 2);
});

test('changes that depend on each other in a cycle are refused before anything runs', async () => {
  const f = fakeExecutors();
  const a = instance('a', { after: [ref('b')] });
  const b = instance('b', { after: [ref('a')] });
  assert.throws(
    () => schedule([a, b]),
    (e: unknown) =>
      e instanceof DependencyCycleError &&
      /t\/instance\/a -> t\/instance\/b -> t\/instance\/a/.test(e.message),
  );
  await assert.rejects(applyChanges([a, b], f.executors), DependencyCycleError);
  assert.deepEqual(f.kernel.namespaces(), []);
});

test('converged state sends nothing: no restore for a converged manager, no rewrite of an unchanged file, no restart of an active service', async () => {
  const f = fakeExecutors();
  const { IptablesManager } = await import('../../src/iptables/manager.js');
  const m = new IptablesManager({ prefix: 'x', families: [4], executor: f.iptables });
  m.table('filter').addRule('INPUT', '-s 10.0.0.0/8 -j ACCEPT');
  const path = `${f.executors.host.stateDir}/t/hosts`;
  const pidfile = `${f.executors.host.stateDir}/t/svc.pid`;
  const change: Change = {
    resource: ref('svc', 'dhcp'),
    action: 'update',
    summary: 'svc',
    steps: [
      {
        via: 'iptables',
        phase: 'netfilter',
        place: 'host',
        manager: m,
        planned: { operations: 1, text: {} },
      },
      { via: 'file', phase: 'service', path, content: 'a b\n' },
      {
        via: 'process',
        phase: 'service',
        action: 'enable',
        service: {
          uuid: 'svc1',
          service: 'test',
          place: 'host',
          pidfile,
          argv: ['sleepy', 'svc1'],
          mode: 'foreground',
        },
      },
    ],
  };
  const c = countingExecutors(f.executors);
  const first = assertApplied(await applyChanges([change], c.executors));
  assert.ok(first.changes >= 3, `first apply: ${first.changes}`);
  assert.equal(c.counts.files.writes, 1);
  assert.equal(c.counts.processes.spawns, 1);
  c.reset();
  const again = assertApplied(await applyChanges([change], c.executors));
  assert.equal(again.changes, 0);
  assert.equal(c.counts.iptables.restores, 0, 'the manager read and found nothing to send');
  assert.equal(c.counts.files.writes, 0);
  assert.equal(c.counts.processes.spawns + c.counts.processes.signals + c.counts.processes.runs, 0);
  const { rm } = await import('node:fs/promises');
  await rm(`${f.executors.host.stateDir}/t`, { recursive: true, force: true });
});

test('a file outside the state directory is refused, and nothing is written', async () => {
  const f = fakeExecutors();
  const change: Change = {
    resource: ref('x', 'dhcp'),
    action: 'create',
    summary: 'x',
    steps: [
      { via: 'file', phase: 'service', path: `${f.executors.host.stateDir}/../etc/passwd`, content: 'x' },
    ],
  };
  const r = await applyChanges([change], f.executors);
  const o = r.outcomes[0];
  assert.equal(o?.status === 'failed' && (o.error as Error).constructor.name, 'InvalidInputError');
  assert.equal(f.files.log.length, 0);
});

test('progress events: phases start and end, each change starts once and ends once', async () => {
  const f = fakeExecutors();
  const events: ApplyEvent[] = [];
  await applyChanges([instance('a'), instance('b')], f.executors, { onProgress: (e) => events.push(e) });
  const kinds = events.map((e) =>
    'phase' in e ? `${e.type} ${e.phase}` : `${e.type} ${e.change.resource.name}`,
  );
  assert.deepEqual(kinds, [
    'phase-start namespace',
    'change-start a',
    'change-start b',
    'phase-done namespace',
    'phase-start l3',
    'change-done a',
    'change-done b',
    'phase-done l3',
  ]);
});

test('a change that moves a link into a missing namespace fails alone; the rest of the batch goes', async () => {
  const f = fakeExecutors();
  f.kernel.addNamespace('ns-here');
  for (const n of ['d1', 'd2']) f.kernel.ns(null)!.addLink({ name: n, kind: 'veth' });
  const move = (name: string, dev: string, to: string): Change => ({
    resource: ref(name, 'port'),
    action: 'update',
    summary: name,
    steps: [ipStep('port', 'host', [{ op: 'link.set', name: dev as never, set: { namespace: ns(to) } }])],
  });
  const result = await applyChanges(
    [move('lost', 'd1', 'ns-gone'), move('fine', 'd2', 'ns-here')],
    f.executors,
  );
  const [lost, fine] = result.outcomes;
  assert.equal(lost?.status === 'failed' && (lost.error as Error).constructor.name, 'NamespaceNotFoundError');
  assert.equal(fine?.status, 'done');
  assert.ok(f.kernel.ns('ns-here')?.link('d2'));
});
