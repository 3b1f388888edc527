import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { planInitL3 } from '../../src/interface/init-l3.js';
import { observeNamespace } from '../../src/ip/observe.js';
import { cidr, deviceName, ipAddress, namespaceName } from '../../src/net/types.js';
import { FakeIpKernel } from '../fakes/ip.js';

const dev = deviceName('qr-1');
const ns = namespaceName('qrouter-r1');

function kernel(): FakeIpKernel {
  const k = new FakeIpKernel();
  const space = k.addNamespace(ns);
  space.addLink({
    name: dev,
    kind: 'veth',
    up: true,
    addresses: [
      { cidr: 'fe80::1/64', family: 6, scope: 'link' },
      { cidr: '10.9.9.9/24', family: 4, scope: 'global' },
    ],
  });
  return k;
}

async function converge(k: FakeIpKernel, req: Parameters<typeof planInitL3>[0]) {
  const ops = planInitL3(req, await observeNamespace(ns, { executor: k }));
  if (ops.length > 0) await k.apply(ns, ops);
  return ops;
}

describe('planInitL3 (init_l3 / init_router_port as a plan)', () => {
  test('converges addresses (keeping the IPv6 link-local), the default routes and on-link extra subnets', async () => {
    const k = kernel();
    const req = {
      device: dev,
      place: ns,
      cidrs: [cidr('10.0.0.1/24'), cidr('fd00::1/64')],
      gateways: [ipAddress('10.0.0.254'), ipAddress('fd00::fe')],
      extraSubnets: [cidr('10.1.0.0/24')],
    };
    const ops = await converge(k, req);
    assert.deepEqual(
      ops.map((o) => o.op),
      ['addr.del', 'addr.add', 'addr.add', 'route.replace', 'route.replace', 'route.replace'],
    );
    const seen = (await observeNamespace(ns, { executor: k }))!;
    assert.deepEqual(
      seen.links
        .find((l) => l.name === dev)!
        .addresses.map((a) => a.cidr)
        .sort(),
      ['10.0.0.1/24', 'fd00::1/64', 'fe80::1/64'],
    );
    assert.deepEqual(await converge(k, req), [], 'converged: nothing more');

    // Another gateway replaces the default; an extra subnet no longer wanted goes.
    const next = { ...req, gateways: [ipAddress('10.0.0.253')], extraSubnets: [cidr('10.2.0.0/24')] };
    const ops2 = await converge(k, next);
    assert.deepEqual(
      ops2.map((o) => o.op),
      ['route.del', 'route.replace', 'route.del', 'route.replace'],
    );
    const routes = (await observeNamespace(ns, { executor: k }))!.routes.map((r) => `${r.to} ${r.via ?? ''}`);
    assert.ok(routes.includes('default 10.0.0.253'));
    assert.ok(routes.includes('default fd00::fe'), 'a family without a gateway here keeps its default');
    assert.ok(routes.includes('10.2.0.0/24 '));
    assert.ok(!routes.includes('10.1.0.0/24 '));
    assert.deepEqual(await converge(k, next), []);
  });

  test('two gateways of one family, or a malformed CIDR, are refused before anything is planned', () => {
    assert.throws(
      () =>
        planInitL3({ device: dev, place: ns, cidrs: [], gateways: ['10.0.0.1', '10.0.0.2'] as never }, null),
      InvalidInputError,
    );
    assert.throws(
      () => planInitL3({ device: dev, place: ns, cidrs: ['10.0.0.1/33'] as never }, null),
      (e: unknown) => e instanceof InvalidInputError && /cidrs\[0\]/.test(e.message),
    );
  });
});
