// The examples through the CLI: examples/linuxbridge.yaml on a sandbox namespace standing for the
// host (one bridge per network, `brq` + 11 characters of the network id, marked, no OVS row at all)
// and examples/overlap.yaml on a private Open vSwitch (the same CIDR and address in two tenants behind
// two routers, floating IPs included): applied, every check proved with real packets, destroyed with
// nothing left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { ovsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { cliHost } from './cli-helpers.js';

interface Verify {
  passed: number;
  failed: number;
  checks: { result: string; from: string; to: string; detail: string }[];
}

test(
  'examples/linuxbridge.yaml: one marked brq per network in the host namespace, no OVS, every check passes',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const hostNs = await sb.namespace('host');
    const host = cliHost(sb, { hostNs });
    const file = host.topologyFile('linuxbridge.yaml', sb.prefix);
    const applied = await host.cli(['apply', file, '--json']);
    assert.equal(applied.exitCode, 0, applied.stderr);
    assert.ok(applied.json<{ changes: number }>().changes > 0);

    const links = JSON.parse(
      (await run(['ip', '-n', hostNs, '-j', 'link', 'show', 'type', 'bridge'])).stdout,
    ) as {
      ifname: string;
      ifalias?: string;
    }[];
    const bridges = links.filter((l) => l.ifname.startsWith('brq'));
    assert.equal(bridges.length, 3, JSON.stringify(links));
    for (const b of bridges) {
      assert.match(b.ifname, /^brq[a-z0-9]{11}$/);
      assert.match(b.ifalias ?? '', new RegExp(`^tenantnet:${sb.prefix}\\.network\\.`));
    }

    const v = await host.cli(['verify', file, '--json']);
    const report = v.json<Verify>();
    assert.deepEqual(
      report.checks.filter((c) => c.result === 'fail'),
      [],
      v.stderr,
    );
    assert.equal(v.exitCode, 0);

    const again = await host.cli(['apply', file, '--json']);
    assert.equal(again.json<{ changes: number }>().changes, 0, 'a re-apply changes nothing');

    const destroyed = await host.cli(['destroy', file]);
    assert.equal(destroyed.exitCode, 0, destroyed.stderr);
    const left = (await run(['ip', '-n', hostNs, '-o', 'link', 'show'])).stdout;
    assert.doesNotMatch(left, /tenantnet:/, 'nothing marked is left in the host namespace');
  },
);

test(
  'examples/overlap.yaml: overlapping tenant networks behind two routers, floating IPs included',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ovs = await ovsSandbox(t);
    const host = cliHost(sb, { ovs });
    const file = host.topologyFile('overlap.yaml', sb.prefix);
    const applied = await host.cli(['apply', file]);
    assert.equal(applied.exitCode, 0, applied.stderr);
    const v = await host.cli(['verify', file, '--json']);
    const report = v.json<Verify>();
    assert.deepEqual(
      report.checks.filter((c) => c.result === 'fail'),
      [],
      v.stderr,
    );
    assert.equal(report.passed, 5);
    const destroyed = await host.cli(['destroy', file]);
    assert.equal(destroyed.exitCode, 0, destroyed.stderr);
    const again = await host.cli(['destroy', file]);
    assert.equal(again.exitCode, 0, 'destroying twice is fine');
    const rows = await run(['ovs-vsctl', '--db', `unix:${ovs.socketPath}`, 'list-ports', 'br-int'], {
      check: false,
    });
    assert.equal(rows.stdout.trim(), '', 'no OVS port is left');
  },
);
