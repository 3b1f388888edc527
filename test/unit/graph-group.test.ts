// Grouping: past 8 instances a network's instances collapse into one node that keeps the unhealthy
// ones drawn apart; and a generated topology of 200 instances renders to SVG in under 2 s.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGraph, type Graph, type GraphNode, toSvg } from '../../src/graph/index.js';
import { BIG, bigTopology } from './graph-fixtures.js';
import { svgItems } from './graph-xml.js';

function node(g: Graph, id: string): GraphNode {
  const n = g.nodes.find((x) => x.id === id);
  assert.ok(n, `no node ${id}`);
  return n;
}

const sick = {
  resources: {
    'scale.instance.big17': { state: 'missing' as const },
    'scale.instance.big42': { state: 'drifted' as const, problems: ['MAC differs'] },
    'scale.port.vm_big99': { state: 'missing' as const },
    'scale.instance.big1': { state: 'present' as const },
  },
};

test('more than 8 instances on a network become one group node; 8 or fewer stay apart', () => {
  const { model, checks } = bigTopology();
  assert.equal(model.instances.length, 200);
  const g = buildGraph(model, { checks });
  const kinds = (k: string) => g.nodes.filter((n) => n.kind === k);
  assert.equal(kinds('group').length, 2, 'big and mid are grouped');
  assert.equal(kinds('instance').length, BIG.small, 'small keeps its instances');
  const big = node(g, 'scale.network.big/instances');
  assert.equal(big.name, 'big');
  assert.equal(big.label[0], '150 instances: big1 .. big150');
  assert.match(big.label[1]!, /^10\.20\.0\.\d+ \.\. 10\.20\.0\.\d+$/);
  assert.ok(big.label.includes('5 with a floating IP'));
  assert.ok(big.label.includes('groups: none 75, web 75'));
  assert.equal(big.attrs.count, 150);
  assert.equal((big.attrs.members as string[]).length, 150);
  const link = g.edges.find((e) => e.id === 'scale.network.big/instances/ports');
  assert.ok(link);
  assert.deepEqual(
    [link.kind, link.from, link.to, link.label],
    ['instance-port', 'scale.network.big/instances', 'scale.network.big', ['150 ports']],
  );
  // A check from or to a grouped instance is drawn from or to its group, and says who.
  const c1 = g.edges.find((e) => e.id === 'check:1')!;
  assert.deepEqual([c1.from, c1.to], ['scale.instance.small1', 'scale.network.big/instances']);
  assert.deepEqual(c1.label, ['tcp 80 to big7: expect pass']);
  const c0 = g.edges.find((e) => e.id === 'check:0')!;
  assert.equal(c0.from, c0.to, 'big1 to big2: a loop on the group');
  assert.deepEqual(c0.label, ['icmp from big1 to big2: expect pass']);
});

test('unhealthy instances of a group are drawn apart and counted; the group stays healthy', () => {
  const { model } = bigTopology();
  const g = buildGraph(model, { overlay: sick });
  const apart = g.nodes.filter((n) => n.kind === 'instance' && n.name.startsWith('big')).map((n) => n.name);
  assert.deepEqual(apart, ['big17', 'big42', 'big99'], 'a missing port makes its instance unhealthy too');
  const big = node(g, 'scale.network.big/instances');
  assert.equal(big.label[0], '150 instances: big1 .. big150');
  assert.ok(big.label.includes('3 unhealthy, drawn apart'));
  assert.deepEqual(big.attrs.apart, ['big17', 'big42', 'big99']);
  assert.equal((big.attrs.inside as string[]).length, 147);
  assert.deepEqual(big.health, { healthy: true, state: 'present', problems: [] });
  assert.equal(g.edges.find((e) => e.id === 'scale.network.big/instances/ports')?.label[0], '147 ports');
  assert.ok(g.edges.some((e) => e.id === 'scale.port.vm_big99' && e.health?.state === 'missing'));
});

test('past drawUnhealthy, the rest stay inside and make the group unhealthy, naming them', () => {
  const { model } = bigTopology();
  const g = buildGraph(model, { overlay: sick, drawUnhealthy: 1 });
  assert.deepEqual(
    g.nodes.filter((n) => n.kind === 'instance' && n.name.startsWith('big')).map((n) => n.name),
    ['big17'],
  );
  const big = node(g, 'scale.network.big/instances');
  assert.ok(big.label.includes('3 unhealthy, 1 drawn apart'));
  assert.deepEqual(big.health, { healthy: false, state: 'drifted', problems: ['big42: MAC differs'] });
  const ports = g.edges.find((e) => e.id === 'scale.network.big/instances/ports')!;
  assert.deepEqual(ports.health, { healthy: false, state: 'missing', problems: ['big99: missing'] });
});

test('groupAbove: Infinity never groups; groupAbove: 0 groups every network with instances', () => {
  const { model } = bigTopology();
  assert.equal(
    buildGraph(model, { groupAbove: Number.POSITIVE_INFINITY }).nodes.filter((n) => n.kind === 'instance')
      .length,
    200,
  );
  assert.equal(buildGraph(model, { groupAbove: 0 }).nodes.filter((n) => n.kind === 'group').length, 3);
});

test('200 instances render to SVG in under 2 s (grouped, with unhealthy ones apart)', async (t) => {
  const { model, checks } = bigTopology();
  const start = performance.now();
  const g = buildGraph(model, { checks, overlay: sick });
  const svg = await toSvg(g);
  const ms = performance.now() - start;
  t.diagnostic(
    `200 instances, grouped: ${ms.toFixed(0)} ms (model, layout and SVG, WebAssembly load included)`,
  );
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  const { nodes } = svgItems(svg);
  assert.deepEqual([...nodes.keys()].sort(), g.nodes.map((n) => n.id).sort(), 'every node is drawn once');
  // Ungrouped it is slower but still drawn: the number is reported, not judged.
  const flat = performance.now();
  await toSvg(buildGraph(model, { checks, groupAbove: Number.POSITIVE_INFINITY }));
  t.diagnostic(`200 instances, each drawn: ${(performance.now() - flat).toFixed(0)} ms`);
});
