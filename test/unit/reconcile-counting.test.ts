import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IpExecutor } from '../../src/ip/executor.js';
import type { NamespaceName } from '../../src/net/types.js';
import { countingExecutors } from '../../src/reconcile/counting.js';
import { fakeExecutors } from '../fakes/executors.js';

test('a counting bundle passes release and restart through to the ip executor', async () => {
  const f = fakeExecutors();
  const calls: string[] = [];
  const ip: IpExecutor = {
    ...f.executors.ip,
    apply: (ns, ops) => f.kernel.apply(ns, ops),
    settle: (ns, ops) => f.kernel.settle(ns, ops),
    release: async (ns) => {
      calls.push(`release ${ns}`);
    },
    restart: async (ns) => {
      calls.push(`restart ${ns}`);
    },
  };
  const c = countingExecutors({ ...f.executors, ip });
  await c.executors.ip.release!('a' as NamespaceName);
  // The engine retries "No such device" in a fresh ip only when the executor can restart one.
  assert.ok(c.executors.ip.restart, 'restart is there');
  await c.executors.ip.restart!('b' as NamespaceName);
  assert.deepEqual(calls, ['release a', 'restart b']);
});
