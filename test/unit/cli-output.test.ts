// The CLI's output module: progress as a status line on a terminal and as lines when piped, the result
// on stdout, and the exit code of every kind of error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommanderError } from '@commander-js/extra-typings';
import { EXIT, exitCodeOf, Output } from '../../src/cli/output.js';
import { InvalidInputError, TenantnetError } from '../../src/errors.js';
import { ProcessError } from '../../src/exec/process-error.js';
import { ModelError } from '../../src/model/errors.js';
import { NamespaceNotFoundError } from '../../src/net/namespace.js';

class Recorder {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns = 80,
  ) {}
  write(s: string) {
    this.text += s;
    return true;
  }
}

test('piped, every progress step is its own line on stderr', () => {
  const stdout = new Recorder();
  const stderr = new Recorder();
  const out = new Output({ stdout, stderr });
  out.progress('one');
  out.progress('two');
  out.result(3, (n) => `three is ${n}`);
  assert.equal(stderr.text, 'one\ntwo\n');
  assert.equal(stdout.text, 'three is 3\n');
});

test('on a terminal, progress rewrites one status line, cleared before anything else is written', () => {
  const stderr = new Recorder(true, 20);
  const stdout = new Recorder();
  const out = new Output({ stdout, stderr });
  out.progress('one');
  out.progress('a step with a long description');
  out.info('kept');
  out.progress('three');
  out.close();
  assert.equal(stderr.text, '\r\x1b[2Kone\r\x1b[2Ka step with a long…\r\x1b[2Kkept\n\r\x1b[2Kthree\r\x1b[2K');
  out.close();
  assert.ok(stderr.text.endsWith('three\r\x1b[2K'), 'a second close writes nothing');
});

test('exit codes: 2 for invalid input and usage errors, 1 for explained failures, 70 for the rest', () => {
  assert.equal(exitCodeOf(new InvalidInputError('bad', 'x')), EXIT.usage);
  assert.equal(exitCodeOf(new ModelError([{ path: ['a'], message: 'b' }])), EXIT.usage);
  assert.equal(exitCodeOf(new CommanderError(1, 'commander.unknownOption', 'unknown option')), EXIT.usage);
  assert.equal(exitCodeOf(new TenantnetError('explained')), EXIT.failure);
  assert.equal(exitCodeOf(new NamespaceNotFoundError('ns')), EXIT.failure);
  const outcome = { argv: ['false'], exitCode: 1, signal: null, stdout: '', stderr: '', timedOut: false };
  assert.equal(exitCodeOf(new ProcessError(outcome)), EXIT.failure);
  assert.equal(exitCodeOf(new Error('bug')), EXIT.internal);
  assert.equal(exitCodeOf(Object.assign(new Error('bug'), { code: 'ENOENT' })), EXIT.internal);
  assert.equal(exitCodeOf('thrown text'), EXIT.internal);
  assert.deepEqual(EXIT, { ok: 0, failure: 1, usage: 2, internal: 70 });
});

test('an error already shown by commander is not printed twice, but --json still gets its document', () => {
  const stdout = new Recorder();
  const stderr = new Recorder();
  const code = new Output({ json: true, stdout, stderr }).fail(
    new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"),
    true,
  );
  assert.equal(code, 2);
  assert.equal(stderr.text, '');
  assert.deepEqual(JSON.parse(stdout.text), {
    error: { type: 'CommanderError', message: "unknown option '--x'" },
    exitCode: 2,
  });
});
