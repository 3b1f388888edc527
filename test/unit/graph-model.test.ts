// The graph model of a topology: nodes, edges and labels from the demo file (plan only), and from a
// fake overlay (missing router, dead dnsmasq, failed check) as status and verify will supply it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { buildGraph, type Graph, type GraphEdge, type GraphNode } from '../../src/graph/index.js';
import { deviceFor } from '../../src/net/naming.js';
import { brokenDemoOverlay, demo } from './graph-fixtures.js';

function node(g: Graph, id: string): GraphNode {
  const n = g.nodes.find((x) => x.id === id);
  assert.ok(n, `no node ${id} in ${g.nodes.map((x) => x.id).join(', ')}`);
  return n;
}

function edge(g: Graph, id: string): GraphEdge {
  const e = g.edges.find((x) => x.id === id);
  assert.ok(e, `no edge ${id} in ${g.edges.map((x) => x.id).join(', ')}`);
  return e;
}

test('the demo file gives one node per network, router and instance, ids being owner marks', async () => {
  const { model, checks } = await demo();
  const g = buildGraph(model, { checks });
  assert.equal(g.topology, 'demo');
  assert.equal(g.observed, false);
  assert.deepEqual(
    g.nodes.map((n) => [n.id, n.kind]),
    [
      ['demo.network.public', 'external-network'],
      ['demo.network.db', 'network'],
      ['demo.network.web', 'network'],
      ['demo.router.r1', 'router'],
      ['demo.instance.upstream', 'instance'],
      ['demo.instance.db1', 'instance'],
      ['demo.instance.web1', 'instance'],
      ['demo.instance.web2', 'instance'],
    ],
  );
  assert.ok(
    g.nodes.every((n) => n.health === undefined),
    'a plan-only picture has no health marks',
  );
});

test('network, router and instance labels carry what the issue asks for, with kernel names', async () => {
  const { model } = await demo();
  const g = buildGraph(model);
  assert.deepEqual(node(g, 'demo.network.web').label, [
    'web',
    '10.10.1.0/24, gateway 10.10.1.1',
    'DHCP on: qdhcp-demo.web 10.10.1.2',
    'MTU 1450',
  ]);
  assert.deepEqual(node(g, 'demo.network.public').label, [
    'public (external)',
    '172.24.4.0/24, gateway 172.24.4.1',
    'DHCP off',
  ]);
  assert.deepEqual(node(g, 'demo.router.r1').label, ['r1', 'qrouter-demo.r1', 'SNAT on']);
  const web1 = node(g, 'demo.instance.web1');
  assert.deepEqual(web1.label, [
    'web1',
    'vm-demo.web1',
    '10.10.1.10 (dhcp)',
    model.instances.find((i) => i.name === 'web1')!.port.mac,
    'floating IP 172.24.4.20',
    'groups: web',
  ]);
  assert.equal(web1.attrs.floatingIp, '172.24.4.20');
  assert.deepEqual(web1.attrs.securityGroups, ['web']);
  assert.deepEqual(node(g, 'demo.instance.upstream').label.slice(2), [
    '172.24.4.1 (static)',
    model.instances.find((i) => i.name === 'upstream')!.port.mac,
    'no groups',
  ]);
});

test('router interfaces carry their qr- device and addresses, the gateway its qg- device and address', async () => {
  const { model } = await demo();
  const g = buildGraph(model);
  const r1 = model.routers[0]!;
  const web = edge(g, 'demo.port.qr_r1_web');
  assert.equal(web.kind, 'router-interface');
  assert.equal(web.from, 'demo.router.r1');
  assert.equal(web.to, 'demo.network.web');
  const qr = deviceFor('qr-', r1.interfaces.find((i) => i.network === 'web')!.port.owner);
  assert.match(qr, /^qr-[a-z2-7]{11}$/);
  assert.deepEqual(web.label, [qr, '10.10.1.1/24']);
  const gw = edge(g, 'demo.port.qg_r1');
  assert.equal(gw.kind, 'gateway');
  assert.equal(gw.to, 'demo.network.public');
  assert.deepEqual(gw.label, [deviceFor('qg-', r1.gateway!.port.owner), '172.24.4.10']);
  const ports = g.edges.filter((e) => e.kind === 'instance-port');
  assert.deepEqual(
    ports.map((e) => [e.from, e.to]),
    [
      ['demo.instance.upstream', 'demo.network.public'],
      ['demo.instance.db1', 'demo.network.db'],
      ['demo.instance.web1', 'demo.network.web'],
      ['demo.instance.web2', 'demo.network.web'],
    ],
  );
});

test('checks are arrows from source to the namespace that owns the destination, one per check', async () => {
  const { model, checks } = await demo();
  const g = buildGraph(model, { checks });
  const arrows = g.edges.filter((e) => e.kind === 'check');
  assert.equal(arrows.length, checks.length);
  assert.deepEqual(
    arrows.map((e) => e.id),
    checks.map((c) => `check:${c.index}`),
  );
  const toFip = edge(g, 'check:6');
  assert.equal(toFip.from, 'demo.instance.upstream');
  assert.equal(toFip.to, 'demo.instance.web1', 'a floating IP is drawn to the instance it forwards to');
  assert.deepEqual(toFip.label, ['tcp 80 to fip:web1: expect pass']);
  assert.deepEqual(edge(g, 'check:0').label, ['icmp: expect pass']);
  assert.deepEqual(edge(g, 'check:4').label, ['tcp 22: expect block']);
  assert.ok(arrows.every((e) => e.result === undefined));
});

test('namespace names take the netns prefix; a bad prefix or count is refused naming the option', async () => {
  const { model } = await demo();
  const g = buildGraph(model, { netnsPrefix: 'h1-' });
  assert.equal(node(g, 'demo.router.r1').attrs.namespace, 'h1-qrouter-demo.r1');
  assert.equal(node(g, 'demo.network.db').attrs.dhcpNamespace, 'h1-qdhcp-demo.db');
  assert.equal(node(g, 'demo.instance.db1').label[1], 'h1-vm-demo.db1');
  for (const [options, where] of [
    [{ netnsPrefix: 'a/b' }, 'netnsPrefix'],
    [{ groupAbove: -1 }, 'groupAbove'],
    [{ groupAbove: 1.5 }, 'groupAbove'],
    [{ drawUnhealthy: Number.POSITIVE_INFINITY }, 'drawUnhealthy'],
  ] as const) {
    assert.throws(
      () => buildGraph(model, options),
      (e: unknown) => e instanceof InvalidInputError && e.where === where,
    );
  }
});

test('the same model gives the same graph (stable ids and order)', async () => {
  const { model, checks } = await demo();
  const again = await demo();
  assert.deepEqual(buildGraph(model, { checks }), buildGraph(again.model, { checks: again.checks }));
  assert.deepEqual(JSON.parse(JSON.stringify(buildGraph(model, { checks }))), buildGraph(model, { checks }));
});

test('an overlay marks the missing router, the dead dnsmasq, the missing port and the failed check', async () => {
  const { model, checks } = await demo();
  const g = buildGraph(model, { checks, overlay: brokenDemoOverlay() });
  assert.equal(g.observed, true);
  assert.deepEqual(node(g, 'demo.router.r1').health, {
    healthy: false,
    state: 'missing',
    problems: ['missing'],
  });
  const web = node(g, 'demo.network.web');
  assert.deepEqual(web.health, {
    healthy: false,
    state: 'drifted',
    problems: ['dnsmasq not running (pid 4321 is gone)'],
  });
  assert.equal(web.attrs.dnsmasq, 'dead');
  const db = node(g, 'demo.network.db');
  assert.deepEqual(db.health, { healthy: true, state: 'present', problems: [] });
  assert.ok(db.label.includes('dnsmasq alive, pid 99'));
  assert.deepEqual(node(g, 'demo.instance.web1').health, {
    healthy: false,
    state: 'missing',
    problems: ['floating IP 172.24.4.20: missing'],
  });
  assert.deepEqual(node(g, 'demo.instance.web2').health?.problems, [
    'address 10.10.1.94/24 missing on its port',
  ]);
  assert.equal(
    node(g, 'demo.instance.db1').health,
    undefined,
    'what the overlay does not name is not judged',
  );
  assert.deepEqual(edge(g, 'demo.port.qr_r1_db').health, {
    healthy: false,
    state: 'missing',
    problems: ['missing'],
  });
  assert.equal(edge(g, 'demo.port.vm_web1').health?.healthy, true);

  const failed = edge(g, 'check:1');
  assert.equal(failed.result, 'fail');
  assert.equal(failed.detail, 'expected pass, but: no answer within 1500 ms');
  assert.deepEqual(failed.label, ['tcp 5432: FAIL (expected pass)']);
  assert.equal(edge(g, 'check:0').result, 'pass');
  assert.deepEqual(edge(g, 'check:4').label, ['tcp 22: block']);
  assert.equal(edge(g, 'check:2').result, undefined);
  assert.deepEqual(edge(g, 'check:2').label, ['icmp: expect pass']);
});

test('a malformed overlay is refused naming the value; odd keys reach no prototype', async () => {
  const { model } = await demo();
  const bad: [unknown, string][] = [
    [[], 'overlay'],
    [{ resources: { 'demo.router.r1': { state: 'gone' } } }, 'overlay.resources["demo.router.r1"].state'],
    [{ resources: { x: { state: 'missing', problems: 'no' } } }, 'overlay.resources["x"].problems'],
    [{ resources: { x: { state: 'missing', problems: [1] } } }, 'overlay.resources["x"].problems[0]'],
    [{ dhcp: { web: { pid: -3, alive: false } } }, 'overlay.dhcp["web"].pid'],
    [{ dhcp: { web: { pid: 3 } } }, 'overlay.dhcp["web"].alive'],
    [{ checks: {} }, 'overlay.checks'],
    [{ checks: [{ index: 0, result: 'maybe' }] }, 'overlay.checks[0].result'],
    [{ checks: [{ index: '1', result: 'pass' }] }, 'overlay.checks[0].index'],
  ];
  for (const [overlay, where] of bad) {
    assert.throws(
      () => buildGraph(model, { overlay: overlay as never }),
      (e: unknown) => e instanceof InvalidInputError && e.where === where,
      where,
    );
  }
  const odd = JSON.parse(
    '{"resources": {"__proto__": {"state": "missing"}, "toString": {"state": "drifted"}}}',
  );
  const g = buildGraph(model, { overlay: odd });
  assert.ok(g.nodes.every((n) => n.health === undefined));
  assert.equal(({} as Record<string, unknown>).state, undefined);
});

test('a check to an address no network holds gets an address node; to a network address, the network', async () => {
  const { model, checks } = await demo();
  const base = checks[0]!;
  const out = { ...base, index: 20, to: '192.0.2.7', destination: '192.0.2.7', server: null } as typeof base;
  const inNet = {
    ...base,
    index: 21,
    to: '10.10.2.99',
    destination: '10.10.2.99',
    server: null,
  } as typeof base;
  const g = buildGraph(model, { checks: [out, inNet] });
  assert.deepEqual(node(g, 'address:192.0.2.7').label, ['192.0.2.7']);
  assert.equal(edge(g, 'check:20').to, 'address:192.0.2.7');
  assert.equal(edge(g, 'check:21').to, 'demo.network.db');
  assert.deepEqual(edge(g, 'check:21').label, ['icmp to 10.10.2.99: expect pass']);
  const ghost = { ...base, source: { ...base.source, name: 'nobody' } } as typeof base;
  assert.throws(
    () => buildGraph(model, { checks: [ghost] }),
    (e: unknown) => e instanceof InvalidInputError && e.where === 'checks[0].source',
  );
});
