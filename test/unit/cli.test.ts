// The tenantnet command as a process: version, help, and usage errors with their exit codes.
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

test('tenantnet --help lists the verbs, the global options and the exit codes', async () => {
  const r = await cli('--help');
  assert.equal(r.exitCode, 0);
  assert.match(r.stdout, /^Usage: tenantnet /m);
  for (const verb of [
    'demo',
    'plan',
    'apply',
    'verify',
    'status',
    'graph',
    'ui',
    'exec',
    'destroy',
    'cleanup',
  ]) {
    assert.match(r.stdout, new RegExp(`^ {2}${verb}\\b`, 'm'), verb);
  }
  for (const option of [
    '--state-dir <dir>',
    '--ovsdb <socket>',
    '--log-level <level>',
    '--json',
    '--host-netns <ns>',
    '--netns-prefix <prefix>',
  ]) {
    assert.ok(r.stdout.includes(option), option);
  }
  assert.match(r.stdout, /Exit codes: 0 success, 1 .*, 2 a usage error/);
  assert.equal(r.stderr, '');
});

test('tenantnet with no arguments prints the help and exits 0', async () => {
  const r = await cli();
  assert.equal(r.exitCode, 0);
  assert.match(r.stdout, /^Usage: tenantnet /m);
});

test('an unknown command exits 2 with a message naming it', async () => {
  const r = await cli('frobnicate');
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /^tenantnet: unknown command 'frobnicate' \(see tenantnet --help\)$/m);
  assert.equal(r.stdout, '');
});

test('an unknown option exits 2 (a usage error, as the README says), not 1 and not a stack trace', async () => {
  for (const args of [['--frob'], ['demo', '--frob']]) {
    const r = await cli(...args);
    assert.equal(r.exitCode, 2, args.join(' '));
    assert.match(r.stderr, /^tenantnet: unknown option '--frob'/m);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  }
});
