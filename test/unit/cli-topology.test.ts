// The topology verbs' pure parts and their refusals before anything runs: exec targets, the verify
// table, the status text, topology files refused as FILE:LINE:COL lines with exit 2, bad global
// options, and a missing Open vSwitch named with how to start it.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execTarget } from '../../src/cli/commands/exec.js';
import { statusText } from '../../src/cli/commands/status.js';
import { verifyTable } from '../../src/cli/commands/verify.js';
import type { DeploymentStatus } from '../../src/deploy/index.js';
import { OpenVswitchUnavailableError } from '../../src/deploy/index.js';
import { run } from '../../src/exec/run.js';

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const cli = (...args: string[]) =>
  run([process.execPath, '--import', 'tsx', main, ...args], { root: false, check: false });
const dir = mkdtempSync(join(tmpdir(), 'tn-cli-unit-'));

test('exec targets: an instance, router:NAME, dhcp:NETWORK; anything else is refused', () => {
  assert.deepEqual(execTarget('web1'), { kind: 'instance', name: 'web1' });
  assert.deepEqual(execTarget('router:r1'), { kind: 'router', name: 'r1' });
  assert.deepEqual(execTarget('dhcp:web'), { kind: 'dhcp', name: 'web' });
  for (const bad of ['', 'router:', 'a/b', '-x', 'vm:x', 'Web'])
    assert.throws(() => execTarget(bad), /target/, bad);
});

test('verify prints a table with one row per check and the totals', () => {
  const text = verifyTable({
    passed: 1,
    failed: 1,
    checks: [
      {
        index: 0,
        from: 'a',
        to: 'b',
        protocol: 'tcp',
        port: 80,
        expect: 'pass',
        result: 'pass',
        observed: 'pass',
        detail: 'connected',
        destination: '10.0.0.2',
        seenFrom: null,
        ms: 3,
      },
      {
        index: 1,
        from: 'a',
        to: 'c',
        protocol: 'icmp',
        port: null,
        expect: 'block',
        result: 'fail',
        observed: 'pass',
        detail: 'replied',
        destination: '10.0.0.3',
        seenFrom: null,
        ms: 3,
      },
    ] as never,
  });
  const lines = text.split('\n');
  assert.match(lines[1]!, /^ok\s+a\s+b\s+tcp\/80\s+pass/);
  assert.match(lines[2]!, /^FAIL\s+a\s+c\s+icmp\s+block/);
  assert.equal(lines.at(-1), '1 passed, 1 failed');
});

test('status text flags every unhealthy resource with its problems', () => {
  const s: DeploymentStatus = {
    topology: 'demo',
    backend: 'ovs',
    healthy: false,
    problems: [],
    drift: 2,
    leftovers: [],
    networks: [
      {
        name: 'web',
        cidrs: ['10.0.0.0/24'],
        bridge: 'br-int',
        dhcp: { namespace: 'qdhcp-demo.web', pid: null, healthy: false },
        healthy: false,
        problems: ['dnsmasq is not running'],
      },
    ],
    routers: [],
    instances: [
      {
        name: 'vm1',
        namespace: 'vm-demo.vm1',
        device: 'eth0',
        network: 'web',
        ips: ['10.0.0.5'],
        addresses: [],
        mac: 'fa:16:3e:00:00:01',
        floatingIp: null,
        address: 'dhcp',
        healthy: false,
        problems: ['namespace vm-demo.vm1 is missing'],
      },
    ],
    firewall: { groups: [], healthy: true, problems: [] },
  };
  const text = statusText(s);
  assert.match(text, /NOT healthy/);
  assert.match(text, /BAD web 10\.0\.0\.0\/24 bridge br-int dhcp qdhcp-demo\.web pid -/);
  assert.match(text, /! dnsmasq is not running/);
  assert.match(text, /BAD vm1 vm-demo\.vm1 eth0 10\.0\.0\.5/);
});

test('an invalid topology file: every problem as FILE:LINE:COL: message, exit 2, also with --json', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    'name: bad\nnetworks:\n  - { name: a, cidr: 10.0.0.0/33 }\n  - { name: a, cidr: 10.1.0.0/24, colour: red }\n',
  );
  for (const verb of ['plan', 'apply', 'verify', 'status', 'destroy']) {
    const r = await cli('--state-dir', dir, verb, file);
    assert.equal(r.exitCode, 2, `${verb}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.length >= 2, r.stderr);
    for (const l of lines) assert.match(l, new RegExp(`^${file}:\\d+:\\d+: `), l);
  }
  const j = await cli('--state-dir', dir, '--json', 'apply', file);
  const out = JSON.parse(j.stdout);
  assert.equal(out.exitCode, 2);
  assert.ok(out.error.problems.length >= 2);
  const missing = await cli('--state-dir', dir, 'apply', join(dir, 'nope.yaml'));
  assert.equal(missing.exitCode, 2);
  assert.match(missing.stderr, /nope\.yaml:1:1: /);
});

test('bad global options are usage errors naming the option', async () => {
  for (const [opt, value] of [
    ['--host-netns', '-x'],
    ['--host-netns', 'a/b'],
    ['--netns-prefix', 'a b'],
  ] as const) {
    const r = await cli(opt, value, '--state-dir', dir, 'status');
    assert.equal(r.exitCode, 2, `${opt} ${value}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(opt), r.stderr);
  }
});

test('a missing Open vSwitch is named with its socket and how to start it', () => {
  const e = new OpenVswitchUnavailableError('/nowhere/db.sock');
  assert.match(e.message, /\/nowhere\/db\.sock/);
  assert.match(e.message, /ovs-ctl start/);
});

test('backend ovs without a reachable ovsdb-server: exit 1, naming the socket and how to start it', async () => {
  const file = join(dir, 'ovs.yaml');
  writeFileSync(
    file,
    'name: noovs\nnetworks:\n  - { name: a, cidr: 10.0.0.0/24 }\ninstances:\n  - { name: vm1, network: a }\n',
  );
  for (const verb of ['plan', 'apply']) {
    const r = await cli('--state-dir', dir, '--ovsdb', join(dir, 'nowhere.sock'), verb, file);
    assert.equal(r.exitCode, 1, `${verb}: ${r.stderr}`);
    assert.match(r.stderr, /nowhere\.sock/);
    assert.match(r.stderr, /ovs-ctl start/);
  }
});
