// The per-namespace apply lock: exclusive across processes, stale locks taken over, FIFO in-process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LockTimeoutError, lockPath, serialised, takeFileLock } from '../../src/iptables/lock.js';

function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
}

function dir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'tn-lock-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('the lock file names this process while held and is gone after release', async (t) => {
  const path = lockPath(join(dir(t), 'locks'), 'ns1');
  assert.match(path, /locks\/iptables\.ns1\.lock$/);
  assert.match(lockPath('/x', null), /^\/x\/iptables\.lock$/);
  const release = await takeFileLock(path, 1000);
  assert.equal(readFileSync(path, 'utf8'), `${process.pid} ${startTime(process.pid)}\n`);
  release();
  release();
  assert.equal(existsSync(path), false);
});

test('a live holder makes others wait (and time out); once it is gone its lock is taken over', async (t) => {
  const path = lockPath(dir(t), 'ns1');
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 50));
  const pid = child.pid as number;
  writeFileSync(path, `${pid} ${startTime(pid)}\n`);
  await assert.rejects(
    takeFileLock(path, 100),
    (e: unknown) => e instanceof LockTimeoutError && e.holder === pid,
  );
  const waiting = takeFileLock(path, 5000);
  child.kill('SIGKILL');
  await once(child, 'exit');
  const release = await waiting;
  assert.match(readFileSync(path, 'utf8'), new RegExp(`^${process.pid} `));
  release();
});

test('a lock naming a dead process, a reused PID or garbage is stale and taken over', async (t) => {
  const path = lockPath(dir(t), 'ns1');
  for (const stale of ['999999999 1\n', `${process.ppid} 1\n`, 'garbage', '']) {
    writeFileSync(path, stale);
    const release = await takeFileLock(path, 200);
    release();
    assert.equal(existsSync(path), false, JSON.stringify(stale));
  }
});

test('serialised runs calls with one key one after another, in order, whatever they throw', async () => {
  const order: string[] = [];
  const step = (name: string, ms: number, fail = false) =>
    serialised('k', async () => {
      order.push(`${name}+`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`${name}-`);
      if (fail) throw new Error(name);
      return name;
    });
  const other = serialised('other', async () => {
    order.push('o');
  });
  const results = await Promise.allSettled([step('a', 20), step('b', 1, true), step('c', 5)]);
  await other;
  assert.deepEqual(
    order.filter((x) => x !== 'o'),
    ['a+', 'a-', 'b+', 'b-', 'c+', 'c-'],
  );
  assert.ok(order.indexOf('o') < order.indexOf('a-'), 'another key does not wait');
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
});
