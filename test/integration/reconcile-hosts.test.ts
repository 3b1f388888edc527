import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyChanges, assertApplied } from '../../src/reconcile/apply.js';
import { countingExecutors, stateChanging } from '../../src/reconcile/counting.js';
import { reconcileEnv } from '../helpers/reconcile-env.js';
import { rootOnly } from '../helpers/root.js';

test(
  'one desired state on two simulated hosts converges on each, and destroying one leaves the other',
  rootOnly,
  async (t) => {
    const [one, two] = [await reconcileEnv(t), await reconcileEnv(t)];
    assert.notEqual(one.x.host.namespace, two.x.host.namespace);
    assert.notEqual(one.x.host.netnsPrefix, two.x.host.netnsPrefix);
    // Planned side by side, applied side by side (each host has its own state directory and lock).
    const [p1, p2] = await Promise.all([one.plan('present'), two.plan('present')]);
    const [r1, r2] = await Promise.all([applyChanges(p1, one.x), applyChanges(p2, two.x)]);
    assertApplied(r1);
    assertApplied(r2);
    assert.equal(r1.changes, r2.changes, 'the same work on each host');
    assert.deepEqual(await one.plan('present'), []);
    assert.deepEqual(await two.plan('present'), []);

    await one.converge('absent');
    assert.deepEqual(await one.plan('absent'), []);
    const c = countingExecutors(two.x);
    assert.deepEqual(await two.plan('present', c.executors), [], 'the other host is intact');
    assert.equal(stateChanging(c.counts), 0);
    assert.match(await two.sh(two.n.nsA, ['ping', '-c1', '-W1', '10.77.1.2']), /1 received/);
    assert.deepEqual((await two.ovs.vsctl(['list-ports', two.n.bridge])).trim(), two.n.port);
  },
);
