import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { replaceFileAtomic } from '../../src/exec/atomic-file.js';
import { Daemon } from '../../src/exec/daemon.js';
import { AlreadyRunningError, Pidfile } from '../../src/exec/pidfile.js';
import { waitFor } from '../../src/exec/proc.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tn-pid-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test('a pidfile held by a live process cannot be taken; a stale one is taken over', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'x.pid');
  const sleeper = spawn('sleep', ['30']);
  t.after(() => sleeper.kill('SIGKILL'));
  await once(sleeper, 'spawn');
  const held = await Pidfile.acquire(path, sleeper.pid);
  assert.equal((await readFile(path, 'utf8')).trim(), String(sleeper.pid));
  const e = await Pidfile.acquire(path).catch((x) => x);
  assert.ok(e instanceof AlreadyRunningError);
  assert.equal(e.pid, sleeper.pid);
  assert.match(e.message, /already running/);
  void held;
  // A pidfile naming a dead PID is stale: it is replaced.
  await writeFile(path, '999999999\n');
  const mine = await Pidfile.acquire(path);
  assert.equal((await readFile(path, 'utf8')).trim(), String(process.pid));
  mine.releaseSync();
  assert.equal(existsSync(path), false);
});

test('a second daemon with the same pidfile fails with "already running"; SIGTERM removes the pidfile', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'd.pid');
  const child = join(import.meta.dirname, '..', 'fixtures', 'daemon-child.ts');
  const first = spawn(process.execPath, ['--import', 'tsx', child, path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => first.kill('SIGKILL'));
  await once(first.stdout!, 'data');
  assert.equal((await readFile(path, 'utf8')).trim(), String(first.pid));

  const second = spawn(process.execPath, ['--import', 'tsx', child, path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  second.stderr!.on('data', (b) => {
    err += b;
  });
  const [code] = await once(second, 'exit');
  assert.equal(code, 1);
  assert.match(err, /already running/);
  assert.equal(
    (await readFile(path, 'utf8')).trim(),
    String(first.pid),
    'the loser did not touch the pidfile',
  );

  first.kill('SIGTERM');
  const [firstCode] = await once(first, 'exit');
  assert.equal(firstCode, 0);
  assert.ok(await waitFor(async () => !existsSync(path), 2000), 'pidfile removed on exit');
});

test('Daemon.release removes the pidfile and every process handler it installed', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'd.pid');
  const count = () => ['exit', 'SIGTERM', 'SIGINT'].map((e) => process.listenerCount(e));
  const before = count();
  const d = await Daemon.start({ pidfile: path });
  assert.equal(d.pid, process.pid);
  assert.ok(existsSync(path));
  d.release();
  assert.equal(existsSync(path), false);
  assert.deepEqual(count(), before, 'no exit or signal listener is left behind');
});

test('taking over a stale pidfile never removes the one a competitor took over first', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'race.pid');
  const competitor = spawn('sleep', ['30']);
  t.after(() => competitor.kill('SIGKILL'));
  await once(competitor, 'spawn');
  await writeFile(path, '999999999\n'); // stale: a dead PID
  let first = true;
  const isHolder = async (p: number) => {
    if (first) {
      // While this caller judges the stale file, the competitor removes it and takes the name.
      first = false;
      await rm(path);
      await writeFile(path, `${competitor.pid}\n`);
      return false;
    }
    return p === competitor.pid;
  };
  const e = await Pidfile.acquire(path, process.pid, isHolder).catch((x) => x);
  assert.ok(e instanceof AlreadyRunningError, String(e));
  assert.equal(e.pid, competitor.pid);
  assert.equal(
    (await readFile(path, 'utf8')).trim(),
    String(competitor.pid),
    "the competitor's pidfile stays",
  );
});

test('replaceFileAtomic creates the directory, replaces the content whole, and leaves no temporary file', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'conf', 'hosts');
  await replaceFileAtomic(path, 'one\n');
  assert.equal(await readFile(path, 'utf8'), 'one\n');
  assert.equal((await stat(path)).mode & 0o777, 0o644);
  await replaceFileAtomic(path, Buffer.from('two\n'), 0o600);
  assert.equal(await readFile(path, 'utf8'), 'two\n');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(join(dir, 'conf')), ['hosts']);
});
