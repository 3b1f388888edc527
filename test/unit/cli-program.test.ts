// The CLI's parsing and dispatch in-process: every outcome of a verb mapped to its exit code, --json on
// stdout, progress on stderr, and the global options checked and passed on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CliCommand, defineCommand, type GlobalOptions } from '../../src/cli/command.js';
import { main } from '../../src/cli/program.js';
import { InvalidInputError, TenantnetError } from '../../src/errors.js';
import { ModelError } from '../../src/model/errors.js';

/** A stream that keeps what is written. */
class Recorder {
  text = '';
  constructor(readonly isTTY = false) {}
  write(s: string) {
    this.text += s;
    return true;
  }
}

/** A verb that reports progress, then returns 0 or throws what `fail` gives. */
function verb(fail?: () => unknown): CliCommand {
  return defineCommand({
    name: 'try',
    summary: 'a verb for tests',
    async run(_call, out) {
      out.progress('working');
      out.debug('details');
      if (fail) throw fail();
      out.result({ done: true }, () => 'done');
      return 0;
    },
  });
}

async function cli(argv: string[], commands: CliCommand[]) {
  const stdout = new Recorder();
  const stderr = new Recorder();
  const code = await main(argv, { stdout, stderr, commands });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

test('a verb that succeeds exits 0: result on stdout, progress on stderr', async () => {
  const r = await cli(['try'], [verb()]);
  assert.deepEqual(r, { code: 0, stdout: 'done\n', stderr: 'working\n' });
});

test('--json prints the result as one JSON document on stdout; progress stays on stderr', async () => {
  for (const argv of [
    ['--json', 'try'],
    ['try', '--json'],
  ]) {
    const r = await cli(argv, [verb()]);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), { done: true });
    assert.equal(r.stderr, 'working\n');
  }
});

test('invalid input exits 2 with one line naming the argument', async () => {
  const r = await cli(['try'], [verb(() => new InvalidInputError('prefix: "a b" has a space', 'prefix'))]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'working\ntenantnet: prefix: "a b" has a space\n');
});

test('a ModelError exits 2 with one line per problem, and --json carries the problems', async () => {
  const problems = [
    { path: ['networks', 0, 'cidr'], message: 'is not a CIDR' },
    { path: ['instances', 1, 'network'], message: 'names no network' },
  ];
  const r = await cli(['try'], [verb(() => new ModelError(problems))]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^tenantnet: 2 problems:\n {2}networks\.0\.cidr: is not a CIDR\n {2}instances\.1\.network: names no network\n$/m,
  );
  const j = await cli(['--json', 'try'], [verb(() => new ModelError(problems))]);
  assert.equal(j.code, 2);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.exitCode, 2);
  assert.equal(doc.error.type, 'ModelError');
  assert.equal(doc.error.where, 'networks.0.cidr');
  assert.deepEqual(doc.error.problems, problems);
});

test('a failure tenantnet explains exits 1 with its message, no stack', async () => {
  const r = await cli(['try'], [verb(() => new TenantnetError('device "x" not found'))]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'working\ntenantnet: device "x" not found\n');
  const j = await cli(['try', '--json'], [verb(() => new TenantnetError('device "x" not found'))]);
  assert.deepEqual(JSON.parse(j.stdout), {
    error: { type: 'TenantnetError', message: 'device "x" not found' },
    exitCode: 1,
  });
});

test('anything else is an internal error: exit 70 with the stack trace', async () => {
  const r = await cli(['try'], [verb(() => new TypeError('x is undefined'))]);
  assert.equal(r.code, 70);
  assert.match(r.stderr, /^tenantnet: internal error: TypeError: x is undefined\n\s+at /m);
  const thrown = await cli(['try'], [verb(() => 'a string')]);
  assert.equal(thrown.code, 70);
  assert.match(thrown.stderr, /internal error: a string/);
});

test('a verb may report its own failure with exit 1', async () => {
  const failing = defineCommand({ name: 'try', summary: 's', run: async () => 1 });
  assert.equal((await cli(['try'], [failing])).code, 1);
});

test('usage errors exit 2, also with --json (then with an error document on stdout)', async () => {
  const typed = defineCommand({
    name: 'apply',
    summary: 'takes one file',
    define: (c) => c.argument('<file>').option('--prune'),
    run: async () => 0,
  });
  for (const argv of [
    ['apply'],
    ['apply', 'a', 'b'],
    ['apply', 'a', '--bogus'],
    ['--log-level', 'loud', 'apply', 'a'],
  ]) {
    const r = await cli(argv, [typed]);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, /^tenantnet: .* \(see tenantnet (apply )?--help\)\n$/, argv.join(' '));
    assert.equal(r.stdout, '');
  }
  const j = await cli(['--json', 'apply'], [typed]);
  assert.equal(j.code, 2);
  assert.equal(JSON.parse(j.stdout).exitCode, 2);
  assert.match(j.stderr, /missing required argument 'file'/);
});

test("a verb's operands and options arrive typed, with the global options", async () => {
  let seen: { args: unknown; options: unknown; globals: GlobalOptions } | null = null;
  const typed = defineCommand({
    name: 'apply',
    summary: 'takes one file',
    define: (c) => c.argument('<file>').option('--prune').option('--only <name>'),
    async run(call) {
      const file: string = call.args[0];
      const prune: true | undefined = call.options.prune;
      seen = { args: [file], options: { prune, only: call.options.only }, globals: call.globals };
      return 0;
    },
  });
  const r = await cli(
    [
      '--state-dir',
      'rel/state',
      'apply',
      'topo.yaml',
      '--prune',
      '--only',
      'r1',
      '--ovsdb',
      'unix:/tmp/x.sock',
    ],
    [typed],
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(seen, {
    args: ['topo.yaml'],
    options: { prune: true, only: 'r1' },
    globals: {
      stateDir: `${process.cwd()}/rel/state`,
      ovsdb: '/tmp/x.sock',
      logLevel: 'info',
      json: false,
      hostNetns: null,
      netnsPrefix: '',
    },
  });
});

test('--state-dir defaults to $TENANTNET_STATE_DIR, else /var/lib/tenantnet', async () => {
  let dir = '';
  const probe = defineCommand({
    name: 'try',
    summary: 's',
    async run(call) {
      dir = call.globals.stateDir;
      return 0;
    },
  });
  const saved = process.env.TENANTNET_STATE_DIR;
  try {
    delete process.env.TENANTNET_STATE_DIR;
    await cli(['try'], [probe]);
    assert.equal(dir, '/var/lib/tenantnet');
    process.env.TENANTNET_STATE_DIR = '/srv/tn';
    await cli(['try'], [probe]);
    assert.equal(dir, '/srv/tn');
  } finally {
    if (saved === undefined) delete process.env.TENANTNET_STATE_DIR;
    else process.env.TENANTNET_STATE_DIR = saved;
  }
});

test('a global option with a control character is invalid input naming the option', async () => {
  for (const [option, value] of [
    ['--state-dir', '/var/lib/x\ny'],
    ['--ovsdb', '/run/db.sock\r'],
    ['--state-dir', ''],
  ] as const) {
    const r = await cli([option, value, 'try'], [verb()]);
    assert.equal(r.code, 2, option);
    assert.match(r.stderr, new RegExp(`^tenantnet: ${option}: `), r.stderr);
    assert.equal(r.stderr.includes('working'), false, 'nothing ran');
  }
});

test('--log-level sets how much goes to stderr', async () => {
  assert.equal((await cli(['--log-level', 'warn', 'try'], [verb()])).stderr, '');
  assert.equal((await cli(['--log-level', 'debug', 'try'], [verb()])).stderr, 'working\ndetails\n');
  const failed = await cli(['--log-level', 'error', 'try'], [verb(() => new TenantnetError('no'))]);
  assert.equal(failed.stderr, 'tenantnet: no\n', 'errors are always printed');
});

test('help and version exit 0 and write to stdout', async () => {
  const help = await cli(['try', '--help'], [verb()]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: tenantnet try \[options\]/);
  assert.match(help.stdout, /Global Options:/);
  const helpVerb = await cli(['help', 'try'], [verb()]);
  assert.equal(helpVerb.code, 0);
  assert.equal(helpVerb.stdout, help.stdout);
  const version = await cli(['-V'], [verb()]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
});
