import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const cli = (...args: string[]) =>
  run([process.execPath, '--import', 'tsx', main, ...args], { root: false, check: false });

test('tenantnet --version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
  const r = await cli('--version');
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('tenantnet --help lists the commands', async () => {
  const r = await cli('--help');
  assert.equal(r.exitCode, 0);
  assert.match(r.stdout, /Usage:/);
  assert.match(r.stdout, /tenantnet demo/);
});

test('an unknown command exits 2 with a message naming it', async () => {
  const r = await cli('frobnicate');
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});

test('an unknown option is a clear error, not a stack trace', async () => {
  const r = await cli('--frob');
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, /tenantnet: .*--frob/);
  assert.doesNotMatch(r.stderr, /internal error/);
});
