import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { applyChanges, assertApplied } from '../../src/reconcile/apply.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { ApplyLockTimeoutError, applyLockPath, takeApplyLock } from '../../src/reconcile/lock.js';
import type { Change, ResourceRef } from '../../src/reconcile/step.js';
import { fakeExecutors } from '../fakes/executors.js';

const FIXTURE = new URL('../fixtures/reconcile-lock.ts', import.meta.url).pathname;

async function stateDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tn-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a process that takes the lock; resolves once it holds it. */
function holder(dir: string, holdMs: number): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, String(holdMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('locked')) resolve({ child, exited });
    });
    child.once('exit', () => reject(new Error('the lock holder ended before taking the lock')));
  });
}

const ref = { topology: 't', kind: 'instance', name: 'a' } as ResourceRef;
const makeNs = (name: string): Change => ({
  resource: { ...ref, name } as ResourceRef,
  action: 'create',
  summary: name,
  steps: [{ via: 'ip', phase: 'namespace', place: 'host', ops: [{ op: 'netns.add', name: name as never }] }],
});

test('a second apply waits for the lock, then fails naming the process that holds it', async (t) => {
  const dir = await stateDir(t);
  const f = fakeExecutors({ stateDir: dir });
  const h = await holder(dir, 0);
  t.after(async () => {
    h.child.kill('SIGKILL');
    await h.exited;
  });
  const t0 = performance.now();
  await assert.rejects(
    applyChanges([makeNs('ns1')], f.executors, { lockWaitMs: 300 }),
    (e: unknown) =>
      e instanceof ApplyLockTimeoutError &&
      e.holder === h.child.pid &&
      e.message.includes(`(process ${h.child.pid})`) &&
      e.message.includes(applyLockPath(dir)),
  );
  assert.ok(performance.now() - t0 >= 290, 'it waited');
  assert.deepEqual(f.kernel.namespaces(), [], 'nothing ran');
});

test('a second apply that outlasts the holder runs once the lock is released', async (t) => {
  const dir = await stateDir(t);
  const f = fakeExecutors({ stateDir: dir });
  const h = await holder(dir, 400);
  const t0 = performance.now();
  assertApplied(await applyChanges([makeNs('ns1')], f.executors, { lockWaitMs: 10_000 }));
  const waited = performance.now() - t0;
  await h.exited;
  assert.ok(waited >= 200, `waited ${waited.toFixed(0)} ms for the holder`);
  assert.deepEqual(f.kernel.namespaces(), ['ns1']);
  assert.equal(existsSync(applyLockPath(dir)), false, 'released after the apply');
});

test('a lock left by a process killed with SIGKILL is taken over at once', async (t) => {
  const dir = await stateDir(t);
  const f = fakeExecutors({ stateDir: dir });
  const h = await holder(dir, 0);
  h.child.kill('SIGKILL');
  await h.exited;
  assert.ok(existsSync(applyLockPath(dir)), 'the dead holder left its lock file');
  const t0 = performance.now();
  assertApplied(await applyChanges([makeNs('ns1')], f.executors, { lockWaitMs: 5000 }));
  assert.ok(performance.now() - t0 < 1000);
});

test('two applies in one process never interleave', async (t) => {
  const dir = await stateDir(t);
  const f = fakeExecutors({ stateDir: dir });
  const trace: string[] = [];
  const slow: Executors = {
    ...f.executors,
    ip: {
      ...f.executors.ip,
      async settle(ns, ops) {
        trace.push(`start ${ops.map((o) => ('name' in o ? o.name : '')).join()}`);
        await new Promise((r) => setTimeout(r, 30));
        trace.push(`end ${ops.map((o) => ('name' in o ? o.name : '')).join()}`);
        return f.executors.ip.settle(ns, ops);
      },
      apply: (ns, ops) => f.executors.ip.apply(ns, ops),
    },
  };
  await Promise.all([applyChanges([makeNs('a')], slow), applyChanges([makeNs('b')], slow)]);
  assert.deepEqual(trace, ['start a', 'end a', 'start b', 'end b']);
});

test('an apply inside an apply, or given the lock its caller holds, does not wait for itself', async (t) => {
  const dir = await stateDir(t);
  const f = fakeExecutors({ stateDir: dir });
  // A nested apply from inside the outer one (here: from an executor call it makes).
  let inner: Promise<unknown> | null = null;
  const nesting: Executors = {
    ...f.executors,
    ip: {
      ...f.executors.ip,
      async settle(ns, ops) {
        if (inner === null) inner = applyChanges([makeNs('inner')], f.executors, { lockWaitMs: 1000 });
        await inner;
        return f.executors.ip.settle(ns, ops);
      },
      apply: (ns, ops) => f.executors.ip.apply(ns, ops),
    },
  };
  assertApplied(await applyChanges([makeNs('outer')], nesting, { lockWaitMs: 1000 }));
  assert.deepEqual(f.kernel.namespaces(), ['inner', 'outer']);
  // A caller holding the lock passes it.
  const lock = await takeApplyLock(dir, 1000);
  try {
    assertApplied(await applyChanges([makeNs('given')], f.executors, { lock, lockWaitMs: 200 }));
    assert.equal(lock.held, true, 'not released by the apply it was lent to');
  } finally {
    lock.release();
  }
  assert.equal(existsSync(applyLockPath(dir)), false);
});
