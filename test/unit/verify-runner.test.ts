import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { buildTopology, parseTopology } from '../../src/topology/index.js';
import { answerPeer, type CheckResult, runChecks, verifyReport } from '../../src/verify/index.js';

// Namespaces that cannot exist on this machine: the checks resolve, the probes find nowhere to run.
const { checks } = buildTopology(
  parseTopology({
    text: `name: nowhere-${process.pid}
networks: [{ name: lan, cidr: 10.9.0.0/24, dhcp: false }]
instances: [{ name: a, network: lan }, { name: b, network: lan }]
checks:
  - { from: a, to: b }
  - { from: b, to: a, protocol: tcp, port: 80, expect: block }
`,
    file: 'n.yaml',
  }),
);

test('bad options are refused before anything runs', async () => {
  for (const options of [
    { netnsPrefix: '../x' },
    { concurrency: 0 },
    { concurrency: 1.5 },
    { timeoutMs: 5 },
  ]) {
    await assert.rejects(runChecks(checks, options), InvalidInputError, JSON.stringify(options));
  }
});

test('a malformed hand-made check is refused, naming the field, before anything runs', async () => {
  const bad = [
    [{ ...checks[1]!, port: '80,fork' as unknown as number }, 'checks[0].port'],
    [{ ...checks[1]!, destination: '10.9.0.1:22' }, 'checks[0].destination'],
    [{ ...checks[0]!, destination: 'FD00::1', family: 6 }, 'checks[0].destination'],
    [{ ...checks[0]!, port: 7 }, 'checks[0].port'],
    [{ ...checks[1]!, server: { ...checks[1]!.server!, name: 'b/../x' } }, 'checks[0].server.name'],
  ] as const;
  for (const [check, where] of bad) {
    await assert.rejects(
      runChecks([check as never]),
      (e: unknown) => e instanceof InvalidInputError && e.where === where,
    );
  }
});

test('a check whose namespace does not exist fails with the reason (the topology is not applied)', async () => {
  const seen: CheckResult[] = [];
  const results = await runChecks(checks, { netnsPrefix: 'hostA-', onResult: (r) => seen.push(r) });
  assert.deepEqual(
    results.map((r) => [r.index, r.result, r.observed, r.expect]),
    [
      [0, 'fail', 'error', 'pass'],
      [1, 'fail', 'error', 'block'],
    ],
  );
  assert.match(
    results[0]!.detail,
    /^namespace "hostA-vm-nowhere-\d+\.a" does not exist \(is the topology applied\?\)$/,
  );
  assert.equal(seen.length, 2);
  assert.deepEqual(verifyReport(results), { passed: 0, failed: 2, checks: results });
  assert.deepEqual(await runChecks([]), []);
});

test('an onResult that throws is handed back once every check is done', async () => {
  let calls = 0;
  await assert.rejects(
    runChecks(checks, {
      concurrency: 1,
      onResult: () => {
        calls++;
        throw new Error('caller failed');
      },
    }),
    /caller failed/,
  );
  assert.equal(calls, 2);
});

test('the echo server answer gives the source address it saw, canonical', () => {
  assert.equal(answerPeer('tn01 10.0.0.1', 'tn01'), '10.0.0.1');
  assert.equal(answerPeer('tn01 [fd00:0000:0000:0000:0000:0000:0000:0001]', 'tn01'), 'fd00::1');
  assert.equal(answerPeer('tn01 ', 'tn01'), null);
  assert.equal(answerPeer('tn01 $(id)', 'tn01'), null);
});

test('verifyReport counts met expectations as passed, the rest as failed', () => {
  const r = (result: CheckResult['result']) => ({ result }) as CheckResult;
  assert.deepEqual(verifyReport([r('pass'), r('block'), r('fail')]), {
    passed: 2,
    failed: 1,
    checks: [r('pass'), r('block'), r('fail')],
  });
});
