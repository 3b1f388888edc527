import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TenantnetError } from '../../src/errors.js';
import { applyChanges } from '../../src/reconcile/apply.js';
import { renderChanges } from '../../src/reconcile/render.js';
import type { Change, ResourceRef, Step } from '../../src/reconcile/step.js';
import { fakeExecutors } from '../fakes/executors.js';
import { hostileString } from '../helpers/host-snapshot.js';

const ref = (name: string) => ({ topology: 't', kind: 'instance', name }) as ResourceRef;

/** A step carrying `s` in one field, as a forged or careless planner would hand it over. */
const SLOTS: Record<string, (s: string, stateDir: string) => Step> = {
  'netns name': (s) => ({
    via: 'ip',
    phase: 'namespace',
    place: 'host',
    ops: [{ op: 'netns.add', name: s as never }],
  }),
  'device name': (s) => ({
    via: 'ip',
    phase: 'l3',
    place: 'host',
    ops: [{ op: 'bridge.add', name: s as never }],
  }),
  alias: (s) => ({
    via: 'ip',
    phase: 'l3',
    place: 'host',
    ops: [{ op: 'link.set', name: 'lo' as never, set: { alias: s } }],
  }),
  cidr: (s) => ({
    via: 'ip',
    phase: 'l3',
    place: 'host',
    ops: [{ op: 'addr.add', cidr: s as never, dev: 'lo' as never }],
  }),
  place: (s) => ({
    via: 'ip',
    phase: 'l3',
    place: s as never,
    ops: [{ op: 'link.set', name: 'lo' as never, set: { up: true } }],
  }),
  'ovs port name': (s) => ({
    via: 'ovs',
    phase: 'port',
    ops: [{ op: 'port.add', bridge: 'br0', spec: { name: s }, owner: 'o' }],
  }),
  'ovs owner': (s) => ({
    via: 'ovs',
    phase: 'port',
    ops: [{ op: 'port.add', bridge: 'br0', spec: { name: 'p1' }, owner: s }],
  }),
  'ovs uuid': (s) => ({
    via: 'ovs',
    phase: 'port',
    ops: [{ op: 'port.del', bridge: 'br0', name: 'p1', uuid: s }],
  }),
  'file path': (s, dir) => ({ via: 'file', phase: 'service', path: `${dir}/${s}`, content: 'x\n' }),
  'command word': (s) => ({ via: 'command', phase: 'l3', place: 'host', argv: [s, 'x'] }),
  'conntrack address': (s) => ({
    via: 'conntrack',
    phase: 'netfilter',
    place: 'host',
    filters: [{ family: 4, dst: s }],
  }),
  'service uuid': (s, dir) => ({
    via: 'process',
    phase: 'service',
    action: 'enable',
    service: {
      uuid: s,
      service: 'svc',
      place: 'host',
      pidfile: `${dir}/svc.pid`,
      argv: ['svc', s],
      mode: 'foreground',
    },
  }),
};

test('hostile text in any field of a step fails that change with a typed error, changes nothing of it, and the others still run', async () => {
  await fc.assert(
    fc.asyncProperty(hostileString(), fc.constantFrom(...Object.keys(SLOTS)), async (s, slot) => {
      const f = fakeExecutors();
      const sw = (await f.executors.ovs())!;
      const { OvsBridge } = await import('../../src/ovs/bridge.js');
      await new OvsBridge(sw, 'br0').create();
      const ovsBefore = f.ovsdb.snapshot();
      const bad: Change = {
        resource: ref('bad'),
        action: 'create',
        summary: 'bad',
        steps: [SLOTS[slot]!(s, f.executors.host.stateDir)],
      };
      const good: Change = {
        resource: ref('good'),
        action: 'create',
        summary: 'good',
        steps: [
          { via: 'ip', phase: 'namespace', place: 'host', ops: [{ op: 'netns.add', name: 'safe' as never }] },
        ],
      };
      try {
        renderChanges([bad], f.executors.host);
      } catch (e) {
        assert.ok(e instanceof TenantnetError, `render: ${String(e)}`);
      }
      const r = await applyChanges([bad, good], f.executors);
      const [ob, og] = r.outcomes;
      assert.equal(og?.status, 'done', 'the independent change ran');
      if (ob?.status === 'failed') {
        assert.ok(ob.error instanceof TenantnetError, `${slot}: ${String(ob.error)}`);
        assert.deepEqual(f.kernel.namespaces(), ['safe'], 'nothing of it reached the kernel');
        assert.deepEqual(
          f.kernel.applied.map((a) => a.line),
          ['netns add safe'],
        );
        assert.equal(f.ovsdb.snapshot(), ovsBefore);
        assert.deepEqual(f.files.log, []);
        assert.deepEqual(f.processes.ran, []);
        assert.deepEqual(f.conntrack.calls, []);
      }
    }),
    { numRuns: 150 },
  );
});
