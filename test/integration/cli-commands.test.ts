// `tenantnet plan FILE --commands` is exact: the printed commands, run by bash on a clean (sandboxed)
// host, build the same state apply builds — afterwards tenantnet plans nothing for the file, and
// every check of the topology passes with real packets; destroy then removes it all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { ovsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { cliHost } from './cli-helpers.js';

test(
  'plan --commands run by bash builds what apply builds (OVS, DHCP, routers, firewall)',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ovs = await ovsSandbox(t);
    const host = cliHost(sb, { ovs });
    const file = host.topologyFile('demo.yaml', sb.prefix);
    const human = await host.cli(['plan', file]);
    assert.match(human.stdout, /\+ instance web1/, 'plan groups the changes by resource');
    const plan = await host.cli(['plan', file, '--commands']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    assert.match(plan.stdout, /^#!\/bin\/bash\nset -euo pipefail\n/);
    assert.match(plan.stdout, /ip netns add /);
    assert.match(plan.stdout, /ovs-vsctl /);
    assert.match(plan.stdout, /iptables-restore -w --noflush <<'EOF'/);
    assert.match(plan.stdout, /dnsmasq /);
    sb.defer(() => host.cli(['destroy', file]));
    const r = await run(['bash', '-c', plan.stdout], {
      check: false,
      timeoutMs: 120_000,
      env: { ...(process.env as Record<string, string>), ...ovs.env },
    });
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    const after = await host.cli(['plan', file, '--json']);
    const left = after.json<{ changes: number; operations: { resource: string; command: string }[] }>();
    assert.deepEqual(
      left.operations.map((o) => `${o.resource}: ${o.command}`),
      [],
      'after the script tenantnet plans nothing: the host is what apply would have made',
    );
    const v = await host.cli(['verify', file, '--json']);
    const report = v.json<{ failed: number; checks: { result: string; from: string; to: string }[] }>();
    assert.deepEqual(
      report.checks.filter((c) => c.result === 'fail'),
      [],
      v.stderr,
    );
    const d = await host.cli(['destroy', file]);
    assert.equal(d.exitCode, 0, d.stderr);
  },
);
