import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { run } from '../../src/exec/run.js';
import * as ip from '../../src/ip/index.js';
import { oracle, spaces, vethSpace } from '../helpers/ip-oracle.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';

after(() => ip.closeIpBatches());

test(
  'addresses: add with broadcast, duplicate is a typed error, delete is idempotent, flush per family',
  rootOnly,
  async (t) => {
    const { ns, x } = await vethSpace(t, '10.250.2.5/24');
    await ip.addAddress({ namespace: ns, dev: x, cidr: '10.250.3.5/32' });
    await ip.addAddress({ namespace: ns, dev: x, cidr: 'fd00:250::5/64' });
    const info = (await oracle(ns, 'addr', 'show', 'dev', x))[0]?.addr_info as Record<string, unknown>[];
    const v4 = info.filter((i) => i.family === 'inet');
    assert.deepEqual(
      v4.map((i) => [i.local, i.prefixlen, i.broadcast]),
      [
        ['10.250.2.5', 24, '10.250.2.255'],
        ['10.250.3.5', 32, '10.250.3.5'],
      ],
    );
    await assert.rejects(
      ip.addAddress({ namespace: ns, dev: x, cidr: '10.250.2.5/24' }),
      ip.AddressAlreadyExistsError,
    );
    await assert.rejects(
      ip.addAddress({ namespace: ns, dev: x, cidr: 'fd00:250::5/64' }),
      ip.AddressAlreadyExistsError,
    );
    assert.equal(await ip.deleteAddress({ namespace: ns, dev: x, cidr: '10.250.3.5/32' }), true);
    assert.equal(await ip.deleteAddress({ namespace: ns, dev: x, cidr: '10.250.3.5/32' }), false);
    assert.deepEqual(
      (await ip.listAddresses({ namespace: ns, dev: x, family: 6, scope: 'global' })).map((a) => a.cidr),
      ['fd00:250::5/64'],
    );
    await ip.flushAddresses({ namespace: ns, dev: x, family: 6 });
    const after = (await oracle(ns, 'addr', 'show', 'dev', x))[0]?.addr_info as Record<string, unknown>[];
    assert.deepEqual(
      after.map((i) => i.local),
      ['10.250.2.5'],
    );
  },
);

test(
  'routes: add, replace, tables by name and number, one default gateway, flush a table',
  rootOnly,
  async (t) => {
    const { ns, x } = await vethSpace(t, '10.250.4.1/24');
    await ip.addRoute({ namespace: ns, to: '10.251.0.0/16', via: '10.250.4.2', metric: 10 });
    await assert.rejects(
      ip.addRoute({ namespace: ns, to: '10.251.0.0/16', via: '10.250.4.2', metric: 10 }),
      ip.ObjectExistsError,
    );
    await ip.replaceRoute({ namespace: ns, to: '10.251.0.0/16', via: '10.250.4.3', metric: 10 });
    let main = await oracle(ns, 'route', 'show', 'table', 'main', '10.251.0.0/16');
    assert.deepEqual(
      main.map((r) => r.gateway),
      ['10.250.4.3'],
    );
    await ip.addRoute({ namespace: ns, to: '192.0.2.0/24', dev: x, scope: 'link', table: 'default' });
    await ip.addRoute({
      namespace: ns,
      to: '198.51.100.0/24',
      via: '203.0.113.1',
      dev: x,
      onlink: true,
      table: 100,
    });
    assert.equal((await oracle(ns, 'route', 'show', 'table', '253')).length, 1);
    const t100 = await oracle(ns, 'route', 'show', 'table', '100');
    assert.ok((t100[0]!.flags as string[]).includes('onlink'));
    await ip.setDefaultGateway({ namespace: ns, via: '10.250.4.2' });
    await ip.setDefaultGateway({ namespace: ns, via: '10.250.4.3' });
    await ip.setDefaultGateway({ namespace: ns, via: '10.250.4.4', metric: 7 });
    main = await oracle(ns, 'route', 'show', 'table', 'main', 'default');
    assert.deepEqual(
      main.map((r) => [r.gateway, r.metric]),
      [['10.250.4.4', 7]],
    );
    assert.deepEqual(
      (await ip.getDefaultGateways({ namespace: ns })).map((g) => g.via),
      ['10.250.4.4'],
    );
    assert.equal(await ip.deleteDefaultGateway({ namespace: ns }), 1);
    assert.deepEqual(await oracle(ns, 'route', 'show', 'table', 'main', 'default'), []);
    assert.equal(await ip.deleteRoute({ namespace: ns, to: '10.251.0.0/16', metric: 10 }), true);
    assert.equal(await ip.deleteRoute({ namespace: ns, to: '10.251.0.0/16', metric: 10 }), false);
    assert.deepEqual(
      (await ip.listRoutes({ namespace: ns, table: 100 })).map((r) => r.to),
      ['198.51.100.0/24'],
    );
    await ip.flushRoutes({ namespace: ns, table: 100 });
    assert.deepEqual(await oracle(ns, 'route', 'show', 'table', '100'), []);
    await ip.setDefaultGateway({ namespace: ns, family: 6, via: 'fe80::1', dev: x });
    const v6 = await oracle(ns, '-6', 'route', 'show', 'default');
    assert.deepEqual(
      v6.map((r) => r.gateway),
      ['fe80::1'],
    );
  },
);

test('rules: add is idempotent, both families, delete is silent when absent', rootOnly, async (t) => {
  const sb = sandbox(t);
  const [ns] = await spaces(sb, 1);
  assert.equal(await ip.addRule({ namespace: ns, from: '10.250.5.0/24', table: 100, priority: 1000 }), true);
  assert.equal(await ip.addRule({ namespace: ns, from: '10.250.5.0/24', table: 100, priority: 1000 }), false);
  assert.equal(await ip.addRule({ namespace: ns, iif: 'lo', table: 'main', priority: 1001 }), true);
  assert.equal(await ip.addRule({ namespace: ns, from: 'fd00:5::/64', table: 200, priority: 1002 }), true);
  const v4 = (await oracle(ns, 'rule', 'show')).filter((r) => r.priority === 1000);
  assert.deepEqual(
    v4.map((r) => [r.src, r.srclen, r.table]),
    [['10.250.5.0', 24, '100']],
  );
  const v6 = await oracle(ns, '-6', 'rule', 'show');
  assert.ok(v6.some((r) => r.priority === 1002 && r.src === 'fd00:5::' && r.table === '200'));
  const listed = await ip.listRules({ namespace: ns });
  assert.ok(listed.some((r) => r.iif === 'lo' && r.priority === 1001 && r.table === 'main'));
  assert.equal(
    await ip.deleteRule({ namespace: ns, from: '10.250.5.0/24', table: 100, priority: 1000 }),
    true,
  );
  assert.equal(
    await ip.deleteRule({ namespace: ns, from: '10.250.5.0/24', table: 100, priority: 1000 }),
    false,
  );
  assert.ok(!(await oracle(ns, 'rule', 'show')).some((r) => r.priority === 1000));
});

test('neighbours: permanent add, dump, flush keeps permanent, delete is idempotent', rootOnly, async (t) => {
  const { ns, x } = await vethSpace(t, '10.250.6.1/24');
  await ip.addNeighbour({ namespace: ns, dev: x, address: '10.250.6.9', mac: '02:00:00:00:06:09' });
  await ip.addNeighbour({
    namespace: ns,
    dev: x,
    address: '10.250.6.10',
    mac: '02:00:00:00:06:0a',
    permanent: false,
  });
  await ip.addNeighbour({ namespace: ns, dev: x, address: 'fd00:6::9', mac: '02:00:00:00:06:09' });
  const dump = await ip.listNeighbours({ namespace: ns, dev: x });
  assert.deepEqual(dump.map((n) => n.address).sort(), ['10.250.6.10', '10.250.6.9', 'fd00:6::9']);
  await ip.flushNeighbours({ namespace: ns, dev: x });
  const left = await oracle(ns, 'neigh', 'show', 'dev', x);
  assert.deepEqual(left.map((n) => n.dst).sort(), ['10.250.6.9', 'fd00:6::9']);
  assert.equal(await ip.deleteNeighbour({ namespace: ns, dev: x, address: '10.250.6.9' }), true);
  assert.equal(await ip.deleteNeighbour({ namespace: ns, dev: x, address: '10.250.6.9' }), false);
  assert.deepEqual(
    (await oracle(ns, 'neigh', 'show', 'dev', x)).map((n) => n.dst),
    ['fd00:6::9'],
  );
});

test(
  'sysctl inside a namespace leaves the root namespace alone; a failing key is named',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [ns] = await spaces(sb, 1);
    const rootBefore = (await run(['sysctl', '-n', 'net.ipv4.conf.all.arp_ignore'])).stdout.trim();
    const want = rootBefore === '2' ? '1' : '2';
    await assert.rejects(
      ip.sysctl(ns!, { 'net.ipv4.conf.all.arp_ignore': want, 'net.ipv4.tn_no_such_key': 1 }),
      (e: unknown) =>
        e instanceof ip.SysctlError &&
        Object.keys(e.failures).join() === 'net.ipv4.tn_no_such_key' &&
        e.message.includes('tn_no_such_key'),
    );
    const inside = await run(['sysctl', '-n', 'net.ipv4.conf.all.arp_ignore'], { namespace: ns });
    assert.equal(inside.stdout.trim(), want);
    assert.equal((await run(['sysctl', '-n', 'net.ipv4.conf.all.arp_ignore'])).stdout.trim(), rootBefore);
    await assert.rejects(ip.sysctl(ns!, { 'bad key': 1 }), InvalidInputError);
  },
);

test(
  'a rule without a table looks up "default" (253), as in Neutron, and is deleted the same way',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [ns] = await spaces(sb, 1);
    assert.equal(await ip.addRule({ namespace: ns, from: '10.250.12.0/24', priority: 1200 }), true);
    assert.equal(await ip.addRule({ namespace: ns, from: 'fd00:12::/64', priority: 1201 }), true);
    const v4 = (await oracle(ns, 'rule', 'show')).filter((r) => r.priority === 1200);
    assert.deepEqual(
      v4.map((r) => r.table),
      ['default'],
    );
    const v6 = (await oracle(ns, '-6', 'rule', 'show')).filter((r) => r.priority === 1201);
    assert.deepEqual(
      v6.map((r) => r.table),
      ['default'],
    );
    assert.equal(await ip.deleteRule({ namespace: ns, from: '10.250.12.0/24', priority: 1200 }), true);
    assert.ok(!(await oracle(ns, 'rule', 'show')).some((r) => r.priority === 1200));
  },
);
