// `tenantnet graph`: the overlay made from a deployment's status and the last verify (pure), and the verb
// itself in-process: formats, -o OUT, --plan-only, --json, bad options as usage errors.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { graphFormat } from '../../src/cli/commands/graph.js';
import type { OutputStream } from '../../src/cli/output.js';
import { main } from '../../src/cli/program.js';
import type { DeploymentStatus } from '../../src/deploy/index.js';
import { buildGraph, type GraphNode } from '../../src/graph/index.js';
import type { Model } from '../../src/model/index.js';
import { deviceFor } from '../../src/net/index.js';
import { overlayFromStatus, verifyResults } from '../../src/ui/index.js';
import { demo } from './graph-fixtures.js';

const DEMO = join(import.meta.dirname, '..', '..', 'examples', 'demo.yaml');

/** The status of a healthy demo deployment, as `deploymentStatus` reports it. */
function healthy(model: Model): DeploymentStatus {
  const ok = { healthy: true, problems: [] as string[] };
  return {
    topology: model.topology,
    backend: model.backend,
    networks: model.networks.map((n) => ({
      name: n.name,
      cidrs: n.subnets.map((s) => s.cidr),
      bridge: 'br-int',
      dhcp: n.dhcp ? { namespace: `qdhcp-demo.${n.name}`, pid: 100 + n.name.length, healthy: true } : null,
      ...ok,
    })),
    routers: model.routers.map((r) => ({
      name: r.name,
      namespace: `qrouter-demo.${r.name}`,
      ports: [],
      gatewayIp: r.gateway?.ip ?? null,
      floatingIps: [],
      ...ok,
    })),
    instances: model.instances.map((i) => ({
      name: i.name,
      namespace: `vm-demo.${i.name}`,
      device: 'eth0',
      network: i.network,
      ips: i.port.fixedIps.map((f) => f.address),
      addresses: [],
      mac: i.port.mac,
      floatingIp: null,
      address: i.address,
      ...ok,
    })),
    firewall: { groups: model.securityGroups.map((g) => g.name), ...ok },
    leftovers: [],
    drift: 0,
    ...ok,
  };
}

const node = (nodes: readonly GraphNode[], id: string) => {
  const n = nodes.find((x) => x.id === id);
  assert.ok(n, id);
  return n;
};

test('a healthy status draws every resource present and healthy, dnsmasq alive with its pid', async () => {
  const { model, checks } = await demo();
  const overlay = overlayFromStatus(model, healthy(model), null, checks);
  const g = buildGraph(model, { checks, overlay });
  assert.equal(g.observed, true);
  for (const n of g.nodes) assert.equal(n.health?.healthy, true, n.id);
  for (const e of g.edges.filter((x) => x.kind !== 'check')) assert.equal(e.health?.healthy, true, e.id);
  assert.ok(node(g.nodes, 'demo.network.web').label.includes('dnsmasq alive, pid 103'));
  assert.ok(g.edges.filter((e) => e.kind === 'check').every((e) => e.result === undefined));
});

test('a missing router namespace, a dead dnsmasq, a missing DHCP namespace, a drifted firewall: each drawn so', async () => {
  const { model, checks } = await demo();
  const s = healthy(model);
  const r1 = model.routers[0]!;
  const qrDb = deviceFor('qr-', r1.interfaces.find((i) => i.network === 'db')!.port.owner);
  const broken: DeploymentStatus = {
    ...s,
    healthy: false,
    routers: [{ ...s.routers[0]!, healthy: false, problems: ['namespace qrouter-demo.r1 is missing'] }],
    networks: s.networks.map((n) =>
      n.name === 'web'
        ? {
            ...n,
            healthy: false,
            dhcp: { namespace: 'qdhcp-demo.web', pid: null, healthy: false },
            problems: ['dnsmasq (pid 4321) is dead', 'apply would: dhcp web: restart dnsmasq'],
          }
        : n.name === 'db'
          ? {
              ...n,
              healthy: false,
              dhcp: { namespace: 'qdhcp-demo.db', pid: null, healthy: false },
              problems: ['DHCP namespace qdhcp-demo.db is missing', 'dnsmasq is not running'],
            }
          : n,
    ),
    instances: s.instances.map((i) =>
      i.name === 'web2' ? { ...i, healthy: false, problems: ['device eth0 is missing'] } : i,
    ),
    firewall: { ...s.firewall, healthy: false, problems: ['apply would: firewall demo: 2 rules'] },
  };
  const g = buildGraph(model, { checks, overlay: overlayFromStatus(model, broken, null, checks) });

  const router = node(g.nodes, 'demo.router.r1');
  assert.equal(router.health?.state, 'missing');
  for (const e of g.edges.filter((x) => x.from === 'demo.router.r1' && x.kind !== 'check')) {
    assert.equal(e.health?.state, 'missing', `${e.id}: a router without its namespace has no ports`);
  }
  assert.ok(g.edges.some((e) => e.health?.problems.includes(`${qrDb} is missing`)));

  const web = node(g.nodes, 'demo.network.web');
  assert.equal(web.health?.state, 'drifted');
  assert.deepEqual(web.health?.problems, [
    'apply would: dhcp web: restart dnsmasq',
    'dnsmasq not running (no pidfile)',
  ]);
  const db = node(g.nodes, 'demo.network.db');
  assert.equal(db.health?.state, 'missing');
  assert.ok(db.health?.problems.includes('DHCP: namespace qdhcp-demo.db is missing'));

  const web2 = node(g.nodes, 'demo.instance.web2');
  assert.equal(web2.health?.state, 'drifted');
  assert.ok(web2.health?.problems.includes('security group web: apply would: firewall demo: 2 rules'));
  const port = g.edges.find((e) => e.id === 'demo.port.vm_web2');
  assert.equal(port?.health?.state, 'missing');
  assert.equal(node(g.nodes, 'demo.instance.upstream').health?.healthy, true, 'no groups: no firewall');
});

test("verify results mark the check arrows; results that no longer fit the file's checks are dropped", async () => {
  const { model, checks } = await demo();
  const report = {
    checks: [
      { index: 0, from: 'web1', to: 'web2', result: 'pass', detail: 'answered' },
      { index: 1, from: 'web1', to: 'db1', result: 'fail', detail: 'no answer within 1500 ms' },
      { index: 4, from: 'db1', to: 'web1', result: 'block', detail: 'refused' },
      { index: 5, from: 'somebody', to: 'else', result: 'pass' },
      { index: 99, from: 'web1', to: 'web2', result: 'pass' },
      { index: 2, from: 'web1', to: 'db1', result: 'maybe' },
    ],
  };
  assert.deepEqual(verifyResults(report, checks), [
    { index: 0, result: 'pass', detail: 'answered' },
    { index: 1, result: 'fail', detail: 'no answer within 1500 ms' },
    { index: 4, result: 'block', detail: 'refused' },
  ]);
  assert.deepEqual(verifyResults(null, checks), []);
  assert.deepEqual(verifyResults({ checks: 'nope' } as never, checks), []);
  const g = buildGraph(model, { checks, overlay: overlayFromStatus(model, healthy(model), report, checks) });
  const byIndex = (i: number) => g.edges.find((e) => e.kind === 'check' && e.attrs.index === i);
  assert.equal(byIndex(0)?.result, 'pass');
  assert.equal(byIndex(1)?.result, 'fail');
  assert.equal(byIndex(4)?.result, 'block');
  assert.equal(byIndex(0)?.detail, undefined, 'only a failure says what happened on the arrow');
  assert.equal(byIndex(5)?.result, undefined);
});

test('--format is svg by default, json with --json alone, and anything else is refused naming it', () => {
  assert.equal(graphFormat(undefined, false), 'svg');
  assert.equal(graphFormat(undefined, true), 'json');
  assert.equal(graphFormat('mermaid', true), 'mermaid');
  assert.throws(() => graphFormat('png', false), { name: 'InvalidInputError', where: '--format' });
});

/** Runs `tenantnet ARGS` in this process with a fresh state directory; stdout and stderr recorded. */
async function graphCli(args: string[]) {
  const state = mkdtempSync(join(tmpdir(), 'tn-graph-'));
  let stdout = '';
  let stderr = '';
  const streams = (add: (s: string) => void): OutputStream => ({ write: (s: string) => add(s) });
  try {
    const code = await main(['--state-dir', state, ...args], {
      stdout: streams((s) => {
        stdout += s;
      }),
      stderr: streams((s) => {
        stderr += s;
      }),
    });
    return { code, stdout, stderr, state };
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

test('tenantnet graph draws the file alone before any apply, in every format, to stdout or -o OUT', async () => {
  const svg = await graphCli(['graph', DEMO]);
  assert.equal(svg.code, 0, svg.stderr);
  assert.match(svg.stdout, /^<\?xml [\s\S]*<svg [\s\S]*demo: the file \(plan only\)[\s\S]*<\/svg>\n$/);

  const json = await graphCli(['graph', DEMO, '--format', 'json', '--plan-only']);
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as { format: string; observed: boolean; nodes: { id: string }[] };
  assert.equal(doc.format, 'tenantnet-graph');
  assert.equal(doc.observed, false);
  assert.ok(doc.nodes.some((n) => n.id === 'demo.router.r1'));

  const mermaid = await graphCli(['graph', DEMO, '--format', 'mermaid']);
  assert.match(mermaid.stdout, /^%% tenantnet graph of demo: the file \(plan only\)\nflowchart TB\n/);
  const dot = await graphCli(['graph', DEMO, '--format', 'dot', '--netns-prefix', 'h1-']);
  assert.match(dot.stdout, /^digraph /);
  assert.ok(dot.stdout.includes('h1-qrouter-demo.r1'), 'namespace names carry the netns prefix');

  const dir = mkdtempSync(join(tmpdir(), 'tn-graph-out-'));
  try {
    const out = join(dir, 'demo.svg');
    const written = await graphCli(['--json', 'graph', DEMO, '--format', 'svg', '-o', out]);
    assert.equal(written.code, 0, written.stderr);
    assert.deepEqual(JSON.parse(written.stdout), { format: 'svg', observed: false, file: out });
    assert.match(readFileSync(out, 'utf8'), /<\/svg>\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tenantnet graph: a bad --format or -o is a usage error (exit 2) before anything is drawn', async () => {
  const bad = await graphCli(['graph', DEMO, '--format', 'png']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^tenantnet: --format: "png" is not one of svg, dot, json, mermaid$/m);
  assert.equal(bad.stdout, '');
  const ctl = await graphCli(['graph', DEMO, '-o', 'a\nb.svg']);
  assert.equal(ctl.code, 2);
  assert.match(ctl.stderr, /--output/);
  const missing = await graphCli(['graph', '/nonexistent/topology.yaml']);
  assert.equal(missing.code, 2, missing.stderr);
});
