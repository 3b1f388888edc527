import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AsyncProcess, AsyncProcessStateError } from '../../src/exec/async-process.js';
import { readCmdline, waitFor } from '../../src/exec/proc.js';

async function take(it: AsyncIterable<string>, n: number): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) {
    out.push(l);
    if (out.length === n) break;
  }
  return out;
}

test('stdout and stderr arrive as lines in order', async (t) => {
  const p = new AsyncProcess(
    ['sh', '-c', 'i=0; while [ $i -lt 500 ]; do echo "o$i"; echo "e$i" >&2; i=$((i+1)); done; sleep 30'],
    {
      root: false,
    },
  );
  t.after(() => (p.isRunning ? p.stop() : undefined));
  await p.start();
  const [out, err] = await Promise.all([take(p.stdout(), 500), take(p.stderr(), 500)]);
  assert.deepEqual(
    out,
    Array.from({ length: 500 }, (_, i) => `o${i}`),
  );
  assert.deepEqual(
    err,
    Array.from({ length: 500 }, (_, i) => `e${i}`),
  );
});

test('starting twice and stopping a stopped process are errors', async (t) => {
  const p = new AsyncProcess(['sleep', '30'], { root: false });
  t.after(() => (p.isRunning ? p.stop() : undefined));
  await p.start();
  await assert.rejects(p.start(), AsyncProcessStateError);
  await p.stop();
  await assert.rejects(p.stop(), AsyncProcessStateError);
  assert.throws(() => new AsyncProcess(['true'], { respawnIntervalMs: -1 }), RangeError);
});

test('stop kills the whole process tree and ends the line iterables', async (t) => {
  const p = new AsyncProcess(['sh', '-c', 'sleep 300 & echo "$!"; wait'], { root: false });
  t.after(() => (p.isRunning ? p.stop() : undefined)); // a failed assertion must not leave the tree running
  await p.start();
  const [grandchild] = await take(p.stdout(), 1);
  const gpid = Number(grandchild);
  // The forked child may not have exec'd sleep yet: wait until it has.
  assert.ok(await waitFor(async () => (await readCmdline(gpid)).includes('sleep'), 3000));
  const lines = p.stdout()[Symbol.asyncIterator]();
  await p.stop();
  assert.deepEqual(await lines.next(), { value: undefined, done: true });
  assert.ok(
    await waitFor(async () => (await readCmdline(gpid)).length === 0, 3000),
    'the grandchild is gone',
  );
});

test('after kill -9 it respawns within the interval: new PID, same command line', async (t) => {
  // A command line that stays the same for the process's whole life (no exec into another program).
  const p = new AsyncProcess(
    [process.execPath, '-e', 'console.log("up"); setInterval(() => {}, 1000)', 'tn-respawn'],
    {
      root: false,
      respawnIntervalMs: 100,
    },
  );
  t.after(() => (p.isRunning ? p.stop() : undefined));
  await p.start();
  const first = p.pid!;
  const before = await readCmdline(first);
  const lines = p.stdout()[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'up');
  process.kill(first, 'SIGKILL');
  await once(p, 'respawn');
  const second = p.pid!;
  assert.notEqual(second, first);
  assert.equal((await lines.next()).value, 'up', 'output of the new child continues the same iterable');
  assert.ok(await waitFor(async () => (await readCmdline(second)).length > 0, 2000));
  assert.deepEqual(await readCmdline(second), before);
  await p.stop();
  assert.equal(p.isRunning, false);
});

test('without a respawn interval an exit ends the process and its iterables', async () => {
  const p = new AsyncProcess(['sh', '-c', 'echo one; echo two'], { root: false });
  await p.start();
  const got: string[] = [];
  for await (const l of p.stdout()) got.push(l);
  assert.deepEqual(got, ['one', 'two']);
  assert.equal(p.isRunning, false);
});

test('a respawn that cannot spawn the command stops the process and ends its iterables', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tn-async-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const script = join(dir, 'once.sh');
  // Runs once: it removes itself, so the respawn finds no program (ENOENT).
  await writeFile(script, '#!/bin/sh\necho up\nrm -f "$0"\n', { mode: 0o755 });
  const p = new AsyncProcess([script], { root: false, respawnIntervalMs: 20 });
  t.after(() => (p.isRunning ? p.stop() : undefined));
  await p.start();
  const got: string[] = [];
  for await (const l of p.stdout()) got.push(l); // ends instead of waiting forever
  assert.deepEqual(got, ['up']);
  assert.equal(p.isRunning, false);
  assert.equal(p.pid, null);
});

test('a start that cannot spawn rejects and ends the iterables', async () => {
  const p = new AsyncProcess(['/nonexistent/tn-no-such-program'], { root: false });
  const lines = p.stdout()[Symbol.asyncIterator]();
  await assert.rejects(p.start(), /ENOENT/);
  assert.equal(p.isRunning, false);
  assert.deepEqual(await lines.next(), { value: undefined, done: true });
});
