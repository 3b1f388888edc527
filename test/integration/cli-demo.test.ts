// The main job end to end through the CLI, as a user runs it: `tenantnet demo` on the demo topology
// (OVS backend on a private Open vSwitch whose namespace stands for the host) applies it, proves
// every check with real packets (expected blocks included), shows a healthy status, destroys it, and
// leaves nothing behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ovsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { cliHost } from './cli-helpers.js';

test(
  'tenantnet demo applies the demo topology, every check meets its expectation, destroy leaves nothing',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ovs = await ovsSandbox(t);
    const host = cliHost(sb, { ovs });
    const file = host.topologyFile('demo.yaml', sb.prefix);
    const r = await host.cli(['demo', '--file', file, '--json'], { timeoutMs: 180_000 });
    const out = r.json<{
      ok: boolean;
      apply: { changes: number; ok: boolean; error: string | null };
      verify: {
        passed: number;
        failed: number;
        checks: { result: string; expect: string; detail: string; from: string; to: string }[];
      };
      status: { healthy: boolean };
      destroyed: boolean;
      leftovers: string[];
    }>();
    assert.equal(out.apply.ok, true, `${out.apply.error}\n${r.stderr}`);
    const failed = out.verify.checks.filter((c) => c.result === 'fail');
    assert.deepEqual(failed, [], r.stderr);
    assert.equal(out.verify.passed, 12);
    assert.ok(
      out.verify.checks.some((c) => c.expect === 'block' && c.result === 'block'),
      'expected blocks are proved',
    );
    assert.equal(out.status.healthy, true, JSON.stringify(out.status, null, 2));
    assert.equal(out.destroyed, true);
    assert.deepEqual(out.leftovers, []);
    assert.equal(out.ok, true);
    assert.equal(r.exitCode, 0);
    assert.match(r.stderr, /demo: applying/, 'progress goes to stderr');
  },
);
