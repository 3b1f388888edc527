import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceName } from '../../src/net/types.js';
import { applyChanges } from '../../src/reconcile/apply.js';
import type { Change } from '../../src/reconcile/step.js';
import { fakeExecutors } from '../fakes/executors.js';

test('deleting a link that is already gone is done, not failed (the kernel got there first)', async () => {
  const f = fakeExecutors();
  const change: Change = {
    resource: { topology: 't1', kind: 'port', name: 'p1' } as Change['resource'],
    action: 'delete',
    summary: '- port p1',
    steps: [
      { via: 'ip', phase: 'bridge', place: 'host', ops: [{ op: 'link.del', name: deviceName('tapgone') }] },
    ],
  };
  const r = await applyChanges([change], f.executors);
  assert.equal(r.ok, true);
  assert.equal(r.changes, 0, 'nothing was deleted');
});
