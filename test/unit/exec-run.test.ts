import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { waitFor } from '../../src/exec/proc.js';
import { CommandNotFoundError, ProcessError } from '../../src/exec/process-error.js';
import { buildArgv, failedToEnterNamespace, run } from '../../src/exec/run.js';

test('run returns stdout and stderr of a successful command, feeding stdin', async () => {
  const r = await run(['sh', '-c', 'cat; echo err >&2'], { input: 'hello\n', root: false });
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.stderr, 'err\n');
});

test('a non-zero exit throws a ProcessError with argv, code, stdout, stderr and a one-line message', async () => {
  const e = await run(['sh', '-c', 'echo out; echo "bad thing" >&2; exit 3'], { root: false }).catch(
    (x) => x,
  );
  assert.ok(e instanceof ProcessError);
  assert.equal(e.exitCode, 3);
  assert.equal(e.signal, null);
  assert.equal(e.stdout, 'out\n');
  assert.equal(e.stderr, 'bad thing\n');
  assert.deepEqual(e.argv.slice(0, 2), ['sh', '-c']);
  assert.match(e.message, /^command failed with exit code 3: sh -c .*: bad thing$/);
  assert.ok(!e.message.includes('\n'));
});

test('extraOkCodes accepts listed exit codes and still rejects others', async () => {
  const ok = await run(['sh', '-c', 'exit 1'], { extraOkCodes: [1], root: false });
  assert.equal(ok.exitCode, 1);
  await assert.rejects(run(['sh', '-c', 'exit 2'], { extraOkCodes: [1], root: false }), ProcessError);
});

test('check:false resolves with a failing outcome instead of throwing', async () => {
  const r = await run(['sh', '-c', 'exit 7'], { check: false, root: false });
  assert.equal(r.exitCode, 7);
});

test('a process killed by a signal reports the signal', async () => {
  const e = await run(['sh', '-c', 'kill -TERM $$'], { root: false }).catch((x) => x);
  assert.ok(e instanceof ProcessError);
  assert.equal(e.signal, 'SIGTERM');
  assert.equal(e.exitCode, null);
  assert.match(e.message, /killed by SIGTERM/);
});

test('a timeout kills the process and throws a timed-out ProcessError', async () => {
  const started = Date.now();
  const e = await run(['sleep', '10'], { timeoutMs: 200, root: false }).catch((x) => x);
  assert.ok(e instanceof ProcessError);
  assert.equal(e.timedOut, true);
  assert.equal(e.signal, 'SIGKILL');
  assert.match(e.message, /timed out/);
  assert.ok(Date.now() - started < 3000);
});

test('a timeout is not held back by a grandchild that keeps the output pipe open', async () => {
  // A duration no other process on the machine uses, so pgrep finds only this test's sleeps.
  const secs = `20.${process.pid}${Math.floor(Math.random() * 1000)}`;
  const started = Date.now();
  const e = await run(['sh', '-c', `sleep ${secs} & sleep ${secs}`], { timeoutMs: 200, root: false }).catch(
    (x) => x,
  );
  assert.ok(e instanceof ProcessError);
  assert.equal(e.timedOut, true);
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  const gone = await waitFor(async () => {
    const left = await run(['pgrep', '-f', `^sleep ${secs}$`], { root: false, check: false });
    return left.stdout.trim() === '';
  }, 2000);
  assert.ok(gone, 'the grandchild was killed too');
});

test('a missing binary throws CommandNotFoundError naming it', async () => {
  const e = await run(['tenantnet-no-such-binary', 'x'], { root: false }).catch((x) => x);
  assert.ok(e instanceof CommandNotFoundError);
  assert.equal(e.command, 'tenantnet-no-such-binary');
  assert.match(e.message, /command not found: "tenantnet-no-such-binary"/);
});

test('extra env reaches the child', async () => {
  const r = await run(['sh', '-c', 'echo "$TN_X"'], { env: { TN_X: 'forty-two' }, root: false });
  assert.equal(r.stdout, 'forty-two\n');
});

test('buildArgv adds the namespace prefix, env through `env`, and the root helper in front', () => {
  assert.deepEqual(buildArgv(['ip', 'a'], { namespace: 'ns1', rootHelper: null }), [
    'nsenter',
    '--net=/run/netns/ns1',
    'ip',
    'a',
  ]);
  assert.deepEqual(buildArgv(['x'], { namespace: 'n', rootHelper: ['sudo', '-n'], env: { A: '1' } }), [
    'sudo',
    '-n',
    'nsenter',
    '--net=/run/netns/n',
    'env',
    'A=1',
    'x',
  ]);
  assert.deepEqual(buildArgv(['x'], { root: false, rootHelper: ['sudo'] }), ['x']);
  assert.throws(
    () => buildArgv([]),
    (e: unknown) => e instanceof InvalidInputError && e.where === 'argv',
  );
});

test('failing to enter a namespace is an error even when the exit code is in extraOkCodes', async () => {
  // nsenter exits 1 when it cannot open the namespace; 1 is "nothing matched" for conntrack -D.
  const e = await run(['true'], { namespace: 'tn-no-such-ns', extraOkCodes: [1], root: false }).catch(
    (x) => x,
  );
  assert.ok(e instanceof ProcessError, String(e));
  assert.equal(failedToEnterNamespace(e), true);
  assert.match(e.message, /cannot open \/run\/netns\/tn-no-such-ns/);
});

test('a NUL in an argv word is an InvalidInputError naming the word, as a rejection, before anything runs', async () => {
  const e = await run(['echo', 'ok', 'a\0b'], { root: false }).catch((x) => x);
  assert.ok(e instanceof InvalidInputError, String(e));
  assert.equal(e.where, 'argv[2]');
  assert.match(e.message, /argv\[2\]: "a\\u0000b" contains a NUL/);
  await assert.rejects(
    run(['sh', '-c', 'echo "$X"'], { env: { X: 'a\0b' }, root: false }),
    InvalidInputError,
  );
  await assert.rejects(run(['true'], { env: { 'A=B': 'x' }, root: false }), InvalidInputError);
  await assert.rejects(run([], { root: false }), InvalidInputError);
});

test("a namespace of '' or a path is refused, never taken for the host's namespace or a path", async () => {
  for (const namespace of ['', '../../proc/1/ns/net', '/proc/1/ns/net', '.', 'a b']) {
    const e = await run(['readlink', '/proc/self/ns/net'], { namespace, root: false }).catch((x) => x);
    assert.ok(e instanceof InvalidInputError, `${JSON.stringify(namespace)}: ${e}`);
    assert.equal(e.where, 'namespace');
  }
});
