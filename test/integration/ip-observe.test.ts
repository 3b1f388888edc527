import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { run } from '../../src/exec/run.js';
import * as ip from '../../src/ip/index.js';
import type * as net from '../../src/net/index.js';
import { oracle, vethSpace } from '../helpers/ip-oracle.js';
import { rootOnly } from '../helpers/root.js';

after(() => ip.closeIpBatches());

test(
  'observeNamespace reads links, addresses, routes and rules of both families, and neighbours',
  rootOnly,
  async (t) => {
    const { sb, ns, x } = await vethSpace(t, '10.250.20.1/24');
    const owner = { owner: `obs-${sb.prefix}`, group: 2020 };
    await ip.addBridge({ namespace: ns, name: sb.dev('br'), up: true, owner });
    await ip.addAddress({ namespace: ns, dev: x, cidr: 'fd00:20::1/64' });
    await ip.addRoute({ namespace: ns, to: '10.250.21.0/24', via: '10.250.20.254', table: 120 });
    await ip.addRoute({ namespace: ns, to: 'fd00:21::/64', dev: x, table: 121 });
    await ip.addRule({ namespace: ns, from: '10.250.20.0/24', table: 120, priority: 2000 });
    await ip.addRule({ namespace: ns, from: 'fd00:20::/64', table: 121, priority: 2001 });
    await ip.addNeighbour({ namespace: ns, dev: x, address: '10.250.20.9', mac: '02:00:00:00:20:09' });
    const seen = await ip.observeNamespace(ns);
    assert.ok(seen);
    const truth = await oracle(ns, 'link', 'show');
    assert.deepEqual(seen.links.map((l) => l.name).sort(), truth.map((l) => String(l.ifname)).sort());
    assert.equal(seen.links.find((l) => l.name === sb.dev('br'))?.owner, owner.owner);
    const port = seen.links.find((l) => l.name === x)!;
    assert.ok(port.addresses.some((a) => a.cidr === '10.250.20.1/24'));
    assert.ok(port.addresses.some((a) => a.cidr === 'fd00:20::1/64'));
    assert.ok(seen.routes.some((r) => r.family === 4 && r.to === '10.250.21.0/24' && r.table === 120));
    assert.ok(seen.routes.some((r) => r.family === 6 && r.to === 'fd00:21::/64' && r.table === 121));
    assert.ok(seen.rules.some((r) => r.priority === 2000 && r.from === '10.250.20.0/24' && r.table === 120));
    assert.ok(seen.rules.some((r) => r.priority === 2001 && r.from === 'fd00:20::/64' && r.table === 121));
    assert.ok(seen.neighbours.some((n) => n.address === '10.250.20.9' && n.dev === x));
    assert.equal(await ip.observeNamespace(sb.ns('none')), null, 'a missing namespace is a state');
  },
);

test(
  'planAddresses on the real kernel converges in one apply, then a hand-deleted address is planned back',
  rootOnly,
  async (t) => {
    const { ns, x } = await vethSpace(t, '10.250.22.9/24');
    const want = ['10.250.22.1/24', '10.250.23.1/24', 'fd00:22::1/64'];
    const observe = async () => (await ip.observeNamespace(ns))!.links.flatMap((l) => l.addresses);
    const plan = ip.planAddresses(x, want, await observe());
    assert.equal(plan.length, 4, 'three to add, one to delete');
    await ip.batchExecutor.apply(ns as net.NamespaceName, plan);
    assert.deepEqual(ip.planAddresses(x, want, await observe()), [], 'converged');
    await run(['ip', '-n', ns, 'addr', 'del', '10.250.23.1/24', 'dev', x]);
    assert.deepEqual(ip.planAddresses(x, want, await observe()), [
      { op: 'addr.add', cidr: '10.250.23.1/24', dev: x },
    ]);
  },
);
