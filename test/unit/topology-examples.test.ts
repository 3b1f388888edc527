import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildTopology, loadTopology } from '../../src/topology/index.js';

const examples = join(import.meta.dirname, '..', '..', 'examples');
const files = (await readdir(examples)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();

test('the examples are there: demo, linuxbridge, overlap', () => {
  for (const f of ['demo.yaml', 'linuxbridge.yaml', 'overlap.yaml']) assert.ok(files.includes(f), f);
});

for (const file of files) {
  test(`examples/${file} loads, builds its model and resolves its checks without a problem`, async () => {
    const { model, checks } = buildTopology(await loadTopology(join(examples, file)));
    assert.ok(model.instances.length > 0);
    assert.ok(checks.length > 0, 'an example shows checks');
  });
}

test('examples/demo.yaml shows what it is for: tenants, SNAT router, upstream, floating IP, DHCP, groups, blocks', async () => {
  const { model, checks } = buildTopology(await loadTopology(join(examples, 'demo.yaml')));
  const tenants = model.networks.filter((n) => !n.external);
  assert.ok(tenants.length >= 2 && tenants.every((n) => n.dhcp));
  const [r1] = model.routers;
  assert.equal(r1!.gateway?.snat, true);
  assert.equal(model.networks.find((n) => n.name === r1!.gateway!.network)!.external, true);
  assert.ok(r1!.floatingIps.length >= 1);
  assert.ok(
    model.instances.some((i) => i.network === r1!.gateway!.network),
    'an upstream instance',
  );
  assert.ok(model.securityGroups.length >= 2);
  assert.ok(checks.some((c) => c.expect === 'block') && checks.some((c) => c.expect === 'pass'));
  assert.ok(new Set(checks.map((c) => c.protocol)).size === 3, 'icmp, tcp and udp checks');
});

test('examples/linuxbridge.yaml uses the Linux bridge; examples/overlap.yaml overlaps tenant CIDRs behind two routers', async () => {
  const lb = buildTopology(await loadTopology(join(examples, 'linuxbridge.yaml')));
  assert.equal(lb.model.backend, 'linuxbridge');
  const ov = buildTopology(await loadTopology(join(examples, 'overlap.yaml')));
  const cidrs = ov.model.networks.filter((n) => !n.external).map((n) => n.subnets[0]!.cidr);
  assert.equal(new Set(cidrs).size, 1, 'one CIDR for both tenants');
  assert.equal(ov.model.routers.length, 2);
  assert.ok(ov.model.routers.every((r) => r.floatingIps.length === 1 && r.gateway?.network === 'public'));
});
