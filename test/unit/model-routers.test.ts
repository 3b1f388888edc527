import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel } from '../../src/model/index.js';
import { demoTopology, edit, expectProblem, net, router } from './model-fixtures.js';

test('one router on two subnets that overlap is refused; two networks with the same CIDR are fine', () => {
  expectProblem(
    edit((t) => {
      net(t, 1).cidr = '10.10.0.0/16';
    }),
    ['routers', 0, 'interfaces', 1],
    '10.10.0.0/16 (network db) overlaps 10.10.1.0/24 (network web',
    'on router r1',
  );
  expectProblem(
    edit((t) => {
      net(t, 1).cidr = '172.24.0.0/16';
    }),
    ['routers', 0, 'interfaces', 1],
    'overlaps 172.24.4.0/24 (network public',
  );
  // The same CIDR in two networks on two routers: overlapping tenant networks are a Neutron staple.
  const m = buildModel(
    edit((t) => {
      net(t, 1).cidr = '10.10.1.0/24';
      router(t).interfaces = ['web'];
      delete router(t).routes;
      t.routers!.push({ name: 'r2', gateway: { network: 'public' }, interfaces: ['db'] });
      t.instances!.push({ name: 'db1', network: 'db', ip: '10.10.1.10' });
      t.floatingIps!.push({ instance: 'db1' });
    }),
  );
  const fips = m.routers.flatMap((r) => r.floatingIps.map((f) => [r.name, f.instance, f.fixedIp]));
  assert.deepEqual(fips, [
    ['r1', 'web1', '10.10.1.10'],
    ['r2', 'db1', '10.10.1.10'],
  ]);
});

test('router interfaces: a network twice, an external network, a subnet without gateway, a subnet not there', () => {
  expectProblem(
    edit((t) => {
      router(t).interfaces = ['web', { network: 'web' }];
    }),
    ['routers', 0, 'interfaces', 1, 'network'],
    'already attached to network web (routers[0].interfaces[0])',
  );
  expectProblem(
    edit((t) => {
      router(t).interfaces = ['web', 'public'];
    }),
    ['routers', 0, 'interfaces', 1],
    'network public is external',
  );
  expectProblem(
    edit((t) => {
      net(t, 1).gateway = null;
    }),
    ['routers', 0, 'interfaces', 1],
    'subnet 10.10.2.0/24 of network db has no gateway',
    "give the router's address",
  );
  // …which an explicit ip resolves
  const m = buildModel(
    edit((t) => {
      net(t, 1).gateway = null;
      router(t).interfaces = ['web', { network: 'db', ip: '10.10.2.254' }];
    }),
  );
  assert.deepEqual(
    m.routers[0]!.interfaces.map((i) => i.cidrs),
    [['10.10.1.1/24'], ['10.10.2.254/24']],
  );
  expectProblem(
    edit((t) => {
      router(t).interfaces = ['web', { network: 'db', subnet: '10.10.3.0/24' }];
    }),
    ['routers', 0, 'interfaces', 1, 'subnet'],
    'network db has no subnet 10.10.3.0/24 (it has 10.10.2.0/24)',
  );
  expectProblem(
    edit((t) => {
      router(t).interfaces = ['web', { network: 'db', ip: '10.10.3.1' }];
    }),
    ['routers', 0, 'interfaces', 1, 'ip'],
    'not in a subnet of network db',
  );
});

test('router gateway: network must be external; its ip on the external network', () => {
  expectProblem(
    edit((t) => {
      router(t).gateway = { network: 'db' };
    }),
    ['routers', 0, 'gateway', 'network'],
    'network db is not external',
    'external: true',
  );
  expectProblem(
    edit((t) => {
      router(t).gateway = { network: 'public', ip: '172.24.5.10' };
    }),
    ['routers', 0, 'gateway', 'ip'],
    '172.24.5.10 is not in a subnet of network public (172.24.4.0/24)',
  );
  expectProblem(
    edit((t) => {
      router(t).gateway = { network: 'public', ip: '172.24.4.255' };
    }),
    ['routers', 0, 'gateway', 'ip'],
    'broadcast address of 172.24.4.0/24',
  );
  expectProblem(
    edit((t) => {
      router(t).gateway = { network: 'public', ip: '172.24.4.1' };
    }),
    ['routers', 0, 'gateway', 'ip'],
    'is the gateway of 172.24.4.0/24',
  );
});

test('instances on an external network are allowed and may stand in for its gateway', () => {
  const m = buildModel(demoTopology());
  const upstream = m.instances.find((i) => i.name === 'upstream')!;
  assert.deepEqual(
    upstream.port.fixedIps.map((f) => f.address),
    ['172.24.4.1'],
  );
  assert.equal(m.routers[0]!.gateway!.nexthop, '172.24.4.1');
});

test('extra routes: destination a subnet CIDR, next hop on one of the router subnets and not its own', () => {
  expectProblem(
    edit((t) => {
      router(t).routes = [{ destination: '10.50.0.1/24', nexthop: '10.10.2.5' }];
    }),
    ['routers', 0, 'routes', 0, 'destination'],
    'did you mean 10.50.0.0/24?',
  );
  expectProblem(
    edit((t) => {
      router(t).routes = [{ destination: 'default', nexthop: '10.10.2.5' }];
    }),
    ['routers', 0, 'routes', 0, 'destination'],
    'not a CIDR',
  );
  expectProblem(
    edit((t) => {
      router(t).routes = [{ destination: '10.50.0.0/24', nexthop: '10.10.3.5' }];
    }),
    ['routers', 0, 'routes', 0, 'nexthop'],
    'next hop 10.10.3.5 is not on a subnet router r1 is attached to (172.24.4.0/24, 10.10.1.0/24, 10.10.2.0/24)',
  );
  expectProblem(
    edit((t) => {
      router(t).routes = [{ destination: '10.50.0.0/24', nexthop: '10.10.2.1' }];
    }),
    ['routers', 0, 'routes', 0, 'nexthop'],
    "router r1's own address",
  );
  expectProblem(
    edit((t) => {
      router(t).routes = [{ destination: 'fd00::/64', nexthop: '10.10.2.5' }];
    }),
    ['routers', 0, 'routes', 0, 'nexthop'],
    'different families',
  );
  expectProblem(
    edit((t) => {
      router(t).routes!.push({ destination: '10.50.0.0/24', nexthop: '10.10.2.5' });
    }),
    ['routers', 0, 'routes', 1],
    'listed twice',
  );
  // the gateway subnet counts as the router's
  buildModel(
    edit((t) => {
      router(t).routes = [{ destination: '10.60.0.0/16', nexthop: '172.24.4.1' }];
    }),
  );
});

test('router interface addresses count too: an instance on a router port is refused', () => {
  expectProblem(
    edit((t) => {
      router(t).interfaces = ['web', { network: 'db', ip: '10.10.2.9' }];
      t.instances!.push({ name: 'db1', network: 'db', ip: '10.10.2.9' });
    }),
    ['instances', 2, 'ip'],
    'already used by router r1 (routers[0].interfaces[1])',
  );
  expectProblem(
    edit((t) => {
      t.routers!.push({ name: 'r2', interfaces: ['web'] });
    }),
    ['routers', 1, 'interfaces', 0],
    '10.10.1.1 is already used by router r1 (routers[0].interfaces[0])',
  );
});

test('the longest names (32 characters each) still give a router port name that fits an owner mark', () => {
  const long = 'n'.repeat(32);
  const m = buildModel(
    edit((t) => {
      net(t, 1).name = long;
      router(t).name = 'r'.repeat(32);
      router(t).interfaces = ['web', long];
      delete router(t).routes;
      for (const i of t.instances ?? [])
        if ((i as { network?: string }).network === 'db') (i as { network: string }).network = long;
    }),
  );
  const port = m.routers[0]!.interfaces.find((i) => i.network === long)!.port;
  assert.equal(port.name, `qr_${'r'.repeat(32)}_${long}`);
});
