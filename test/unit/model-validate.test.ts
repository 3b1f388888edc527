import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { buildModel, ModelError, type TopologyInput } from '../../src/model/index.js';
import { demoTopology, expectProblem, type Mutable, problemsOf } from './model-fixtures.js';

type Topo = ReturnType<typeof demoTopology>;
/** The demo topology with an edit applied. */
function edit(fn: (t: Topo) => void): Topo {
  const t = demoTopology();
  fn(t);
  return t;
}
const net = (t: Topo, i: number) =>
  t.networks![i]! as Mutable<NonNullable<TopologyInput['networks']>[number]>;
const inst = (t: Topo, i: number) => t.instances![i]! as Record<string, unknown>;
const router = (t: Topo) =>
  t.routers![0]! as Record<string, unknown> & Mutable<NonNullable<TopologyInput['routers']>[number]>;
const rule = (t: Topo, k: number) => t.securityGroups![0]!.rules![k]! as Record<string, unknown>;

test('the demo topology is valid', () => {
  assert.equal(buildModel(demoTopology()).topology, 'demo');
});

test('a ModelError lists every problem at once, in input order, each with its path; it is an InvalidInputError', () => {
  const t = edit((t) => {
    t.name = 'Demo';
    net(t, 0).cidr = '10.10.1.5/24';
    inst(t, 0).mac = 'ff:ff:ff:ff:ff:ff';
    router(t).gateway = { network: 'web' };
    rule(t, 0).port = '90-80';
  });
  let error: unknown;
  try {
    buildModel(t);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ModelError && error instanceof InvalidInputError);
  // every problem, in the order of the input: sections as a file lists them, then by item
  assert.deepEqual(
    error.problems.map((p) => p.path),
    [
      ['name'],
      ['networks', 0, 'cidr'],
      ['routers', 0, 'gateway', 'network'],
      ['securityGroups', 0, 'rules', 0, 'port'],
      ['instances', 0, 'mac'],
    ],
  );
  assert.match(error.message, /^5 problems in the topology, the first: /);
  assert.equal(error.where, error.problems[0]!.path.join('.'));
});

test('one problem: the message is the path and the problem', () => {
  const t = edit((t) => {
    t.name = 'x_y';
  });
  assert.throws(() => buildModel(t), /^ModelError: name: "x_y" is not a topology name/);
});

// --- names ---------------------------------------------------------------------------------------

test('names: topology and resource names follow [a-z0-9-], 1-32; each kind once', () => {
  expectProblem(
    edit((t) => {
      t.name = '';
    }),
    ['name'],
    'not a topology name',
  );
  expectProblem(
    edit((t) => {
      delete (t as Record<string, unknown>).name;
    }),
    ['name'],
    'needs a name',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).name = 'web_1';
    }),
    ['networks', 0, 'name'],
    '"web_1"',
    'not a valid name',
  );
  expectProblem(
    edit((t) => {
      net(t, 1).name = 'web';
    }),
    ['networks', 1, 'name'],
    'used twice',
    'networks[0]',
  );
  expectProblem(
    edit((t) => {
      router(t).name = 'R1';
    }),
    ['routers', 0, 'name'],
    'not a valid name',
  );
  expectProblem(
    edit((t) => {
      t.routers!.push({ name: 'r1' });
    }),
    ['routers', 1, 'name'],
    'router name "r1" is used twice',
  );
  expectProblem(
    edit((t) => {
      t.securityGroups!.push({ name: 'web' });
    }),
    ['securityGroups', 1, 'name'],
    'used twice',
  );
  expectProblem(
    edit((t) => {
      inst(t, 1).name = 'web1';
    }),
    ['instances', 1, 'name'],
    'instance name "web1" is used twice',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).name = 'a'.repeat(33);
    }),
    ['instances', 0, 'name'],
    'not a valid name',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).host = 'Host 1';
    }),
    ['instances', 0, 'host'],
    'not a valid name',
  );
  expectProblem(
    edit((t) => {
      t.defaults = { host: '-h' };
    }),
    ['defaults', 'host'],
    'not a valid name',
  );
});

test('a network and a router may share a name (owners differ by kind)', () => {
  const m = buildModel(
    edit((t) => {
      router(t).name = 'web';
    }),
  );
  assert.equal(m.routers[0]!.name, 'web');
});

test('unknown fields and wrong types are problems, not silently ignored', () => {
  expectProblem(
    edit((t) => {
      inst(t, 0).securityGroup = ['web'];
    }),
    ['instances', 0, 'securityGroup'],
    'unknown field "securityGroup"',
  );
  expectProblem(
    edit((t) => {
      (t as Record<string, unknown>).network = [];
    }),
    ['network'],
    'unknown field',
  );
  expectProblem(
    edit((t) => {
      (t as Record<string, unknown>).networks = {};
    }),
    ['networks'],
    'is not a list',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).portSecurity = 'yes';
    }),
    ['instances', 0, 'portSecurity'],
    'not true or false',
  );
  expectProblem(
    edit((t) => {
      (t.instances as unknown[])[0] = 'web1';
    }),
    ['instances', 0],
    'not an instance',
  );
  expectProblem(
    edit((t) => {
      t.backend = 'ovn' as never;
    }),
    ['backend'],
    'not one of ovs, linuxbridge',
  );
  assert.throws(
    () => buildModel(null as never),
    (e: unknown) => e instanceof ModelError && e.problems[0]!.path.length === 0,
  );
});

// --- references ----------------------------------------------------------------------------------

test('unknown references: networks, security groups, remote groups, floating-IP instances', () => {
  expectProblem(
    edit((t) => {
      inst(t, 0).network = 'nope';
    }),
    ['instances', 0, 'network'],
    'there is no network "nope"',
  );
  expectProblem(
    edit((t) => {
      router(t).interfaces = ['web', 'nope'];
    }),
    ['routers', 0, 'interfaces', 1],
    'no network "nope"',
  );
  expectProblem(
    edit((t) => {
      router(t).interfaces = [{ network: 'nope' }];
    }),
    ['routers', 0, 'interfaces', 0, 'network'],
    'no network "nope"',
  );
  expectProblem(
    edit((t) => {
      router(t).gateway = { network: 'nope' };
    }),
    ['routers', 0, 'gateway', 'network'],
    'no network "nope"',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).securityGroups = ['web', 'db'];
    }),
    ['instances', 0, 'securityGroups', 1],
    'there is no security group "db"',
  );
  expectProblem(
    edit((t) => {
      rule(t, 1).remoteGroup = 'db';
    }),
    ['securityGroups', 0, 'rules', 1, 'remoteGroup'],
    'no security group "db"',
  );
  expectProblem(
    edit((t) => {
      t.floatingIps![0]!.instance = 'web9';
    }),
    ['floatingIps', 0, 'instance'],
    'there is no instance "web9"',
  );
});

test('a mistake in a network is reported once, not again at everything that refers to it', () => {
  const problems = problemsOf(
    edit((t) => {
      net(t, 0).cidr = '10.10.1.0/33';
    }),
  );
  assert.deepEqual(
    problems.map((p) => p.path),
    [['networks', 0, 'cidr']],
  );
});

// --- CIDRs and subnets ---------------------------------------------------------------------------

test('CIDRs: invalid, host bits set (with the subnet meant), missing, both cidr and subnets', () => {
  expectProblem(
    edit((t) => {
      net(t, 0).cidr = '10.10.1/24';
    }),
    ['networks', 0, 'cidr'],
    'not an IPv4 or IPv6',
  );
  expectProblem(
    edit((t) => {
      net(t, 1).cidr = '10.10.2.7/24';
    }),
    ['networks', 1, 'cidr'],
    'host bits set; did you mean 10.10.2.0/24?',
  );
  expectProblem(
    edit((t) => {
      net(t, 1).subnets = [{ cidr: 'fd00::1/64' }];
    }),
    ['networks', 1, 'subnets', 0, 'cidr'],
    'did you mean fd00::/64?',
  );
  expectProblem(
    edit((t) => {
      delete net(t, 1).cidr;
    }),
    ['networks', 1],
    'needs a subnet',
  );
  expectProblem(
    edit((t) => {
      net(t, 1).subnets = [];
    }),
    ['networks', 1, 'subnets'],
    'needs a subnet',
  );
  expectProblem(
    edit((t) => {
      net(t, 1).subnets = [{ cidr: '10.9.0.0/24' }];
    }),
    ['networks', 1, 'cidr'],
    'not both',
  );
  expectProblem(
    edit((t) => {
      delete net(t, 0).cidr;
      net(t, 0).subnets = [{ cidr: '10.10.1.0/24' }];
    }),
    ['networks', 0, 'gateway'],
    'belongs in each subnet',
  );
});

test('two subnets of one network that overlap are refused', () => {
  expectProblem(
    edit((t) => {
      delete net(t, 1).cidr;
      net(t, 1).subnets = [{ cidr: '10.10.0.0/16' }, { cidr: '10.10.2.0/24' }];
    }),
    ['networks', 1, 'subnets', 1, 'cidr'],
    '10.10.2.0/24 overlaps 10.10.0.0/16 (networks[1].subnets[0])',
  );
});

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

test('a port name past 64 characters (qr_<router>_<network>) is reported at the interface', () => {
  const long = 'n'.repeat(31);
  expectProblem(
    edit((t) => {
      net(t, 1).name = long;
      router(t).name = 'r'.repeat(31);
      router(t).interfaces = ['web', long];
      delete router(t).routes;
    }),
    ['routers', 0, 'interfaces', 1],
    'would pass 64 characters',
  );
});

// --- addresses -----------------------------------------------------------------------------------

test('instance addresses: outside the network, network/broadcast address, the gateway, used twice', () => {
  expectProblem(
    edit((t) => {
      inst(t, 0).ip = '10.10.2.10';
    }),
    ['instances', 0, 'ip'],
    '10.10.2.10 is not in a subnet of network web (10.10.1.0/24)',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).ip = '10.10.1.0';
    }),
    ['instances', 0, 'ip'],
    'network address of 10.10.1.0/24',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).ip = '10.10.1.255';
    }),
    ['instances', 0, 'ip'],
    'broadcast address',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).ip = '10.10.1.1';
    }),
    ['instances', 0, 'ip'],
    'is the gateway of 10.10.1.0/24',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).ip = 'fd00::1';
    }),
    ['instances', 0, 'ip'],
    'not in a subnet of network web',
  );
  expectProblem(
    edit((t) => {
      t.instances!.push({ name: 'web2', network: 'web', ip: '10.10.1.10' });
    }),
    ['instances', 2, 'ip'],
    '10.10.1.10 is already used by instance web1 (instances[0]) on network web',
  );
  // on the external network: against the router gateway and floating IPs
  expectProblem(
    edit((t) => {
      inst(t, 1).ip = '172.24.4.10';
    }),
    ['instances', 1, 'ip'],
    "already used by router r1's gateway (routers[0].gateway)",
  );
  expectProblem(
    edit((t) => {
      t.floatingIps![0]!.address = '172.24.4.1';
    }),
    ['floatingIps', 0, 'address'],
    'is the gateway of 172.24.4.0/24',
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

test('subnet gateways and name servers: on the subnet, of its family, once', () => {
  expectProblem(
    edit((t) => {
      net(t, 0).gateway = '10.10.2.1';
    }),
    ['networks', 0, 'gateway'],
    'the gateway must be a host of its subnet: 10.10.2.1 is not in 10.10.1.0/24',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).gateway = '10.10.1.0';
    }),
    ['networks', 0, 'gateway'],
    'network address',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).gateway = 'fd00::1';
    }),
    ['networks', 0, 'gateway'],
    'is IPv6 but 10.10.1.0/24 is IPv4',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).dns = ['fd00::53'];
    }),
    ['networks', 0, 'dns', 0],
    'not IPv4',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).dns = ['1.1.1.1', '1.1.1.1'];
    }),
    ['networks', 0, 'dns', 1],
    'listed twice',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).dns = ['dns.example'];
    }),
    ['networks', 0, 'dns', 0],
    'not an IPv4 or IPv6',
  );
});

test('MACs: valid, unicast, once in the whole topology', () => {
  expectProblem(
    edit((t) => {
      inst(t, 0).mac = 'fa:16:3e:00:00';
    }),
    ['instances', 0, 'mac'],
    'not a MAC address',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).mac = '01:00:5e:00:00:01';
    }),
    ['instances', 0, 'mac'],
    'multicast',
  );
  expectProblem(
    edit((t) => {
      inst(t, 1).mac = 'FA:16:3E:00:00:10';
    }),
    ['instances', 1, 'mac'],
    'MAC fa:16:3e:00:00:10 is already the MAC of instance web1 (instances[0])',
  );
});

test('port security: no security groups or allowed address pairs without it; address dhcp needs DHCP', () => {
  expectProblem(
    edit((t) => {
      inst(t, 0).portSecurity = false;
    }),
    ['instances', 0, 'securityGroups'],
    'need port security',
  );
  expectProblem(
    edit(
      (t) =>
        void Object.assign(inst(t, 1), { portSecurity: false, allowedAddressPairs: [{ ip: '10.0.0.0/24' }] }),
    ),
    ['instances', 1, 'allowedAddressPairs'],
    'need port security',
  );
  expectProblem(
    edit((t) => {
      inst(t, 1).allowedAddressPairs = [{ ip: '10.0.0.0/24', mac: 'x' }];
    }),
    ['instances', 1, 'allowedAddressPairs', 0, 'mac'],
    'not a MAC',
  );
  expectProblem(
    edit((t) => {
      inst(t, 0).securityGroups = ['web', 'web'];
    }),
    ['instances', 0, 'securityGroups', 1],
    'listed twice',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).dhcp = false;
      delete net(t, 0).dns;
    }),
    ['instances', 0, 'address'],
    'has DHCP off; use address: static',
  );
});

// --- floating IPs --------------------------------------------------------------------------------

test('floating IPs: need a router with a gateway on the instance subnet, an address on its external network', () => {
  expectProblem(
    edit((t) => {
      router(t).interfaces = ['db'];
    }),
    ['floatingIps', 0, 'instance'],
    'subnet 10.10.1.0/24 of instance web1 is not on a router with an external gateway',
  );
  expectProblem(
    edit((t) => {
      delete router(t).gateway;
    }),
    ['floatingIps', 0, 'instance'],
    'not on a router with an external gateway',
  );
  expectProblem(
    edit((t) => {
      t.floatingIps!.push({ instance: 'upstream' });
    }),
    ['floatingIps', 1, 'instance'],
    'not on a router with an external gateway',
  );
  expectProblem(
    edit((t) => {
      t.floatingIps![0]!.address = '10.10.1.20';
    }),
    ['floatingIps', 0, 'address'],
    'not in an IPv4 subnet of network public (172.24.4.0/24)',
  );
  expectProblem(
    edit(
      (t) =>
        void t.routers!.push({
          name: 'r2',
          gateway: { network: 'public' },
          interfaces: [{ network: 'web', ip: '10.10.1.254' }],
        }),
    ),
    ['floatingIps', 0, 'instance'],
    'on routers r1 and r2, both with gateways',
  );
});

test('floating IPs: one per instance, addresses not used twice on the external network', () => {
  expectProblem(
    edit((t) => {
      t.floatingIps!.push({ instance: 'web1' });
    }),
    ['floatingIps', 1, 'instance'],
    'instance web1 already has a floating IP (floatingIps[0])',
  );
  expectProblem(
    edit((t) => {
      t.instances!.push({ name: 'web2', network: 'web' });
      t.floatingIps!.push({ instance: 'web2', address: '172.24.4.20' });
    }),
    ['floatingIps', 1, 'address'],
    'already used by the floating IP of instance web1 (floatingIps[0])',
  );
  expectProblem(
    edit((t) => {
      t.floatingIps![0]!.address = '172.24.4.10';
    }),
    ['floatingIps', 0, 'address'],
    "already used by router r1's gateway",
  );
  expectProblem(
    edit((t) => {
      inst(t, 1).ip = '172.24.4.20';
    }),
    ['floatingIps', 0, 'address'],
    'already used by instance upstream',
  );
});

// --- MTU, VNI, IPv6 modes -------------------------------------------------------------------------

test('MTU 68-65535, at least 1280 with an IPv6 subnet; VNI 1-16777215, once', () => {
  expectProblem(
    edit((t) => {
      net(t, 0).mtu = 67;
    }),
    ['networks', 0, 'mtu'],
    'not an MTU (68-65535)',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).mtu = 65536;
    }),
    ['networks', 0, 'mtu'],
    'not an MTU',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).mtu = 1500.5;
    }),
    ['networks', 0, 'mtu'],
    'not an MTU',
  );
  expectProblem(
    edit((t) => {
      delete net(t, 1).cidr;
      net(t, 1).subnets = [{ cidr: '10.10.2.0/24' }, { cidr: 'fd00:2::/64' }];
      net(t, 1).mtu = 1279;
    }),
    ['networks', 1, 'mtu'],
    'below 1280, the IPv6 minimum',
  );
  buildModel(
    edit((t) => {
      net(t, 1).mtu = 68;
    }),
  );
  expectProblem(
    edit((t) => {
      net(t, 0).vni = 0;
    }),
    ['networks', 0, 'vni'],
    'not an integer 1-16777215',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).vni = 16777216;
    }),
    ['networks', 0, 'vni'],
    'not an integer 1-16777215',
  );
  expectProblem(
    edit((t) => {
      net(t, 0).vni = 100;
      net(t, 1).vni = 100;
    }),
    ['networks', 1, 'vni'],
    'VNI 100 is used twice (also networks[0])',
  );
});

test('IPv6 modes: only on IPv6 subnets; SLAAC and stateless need a /64 and take no explicit address', () => {
  expectProblem(
    edit((t) => {
      net(t, 1).subnets = [{ cidr: '10.10.2.0/24', ipv6Mode: 'slaac' }];
    }),
    ['networks', 1, 'subnets', 0, 'ipv6Mode'],
    'ipv6Mode is for IPv6 subnets',
  );
  const v6 = (mode: string, cidr = 'fd00:2::/64') =>
    edit((t) => {
      delete net(t, 1).cidr;
      net(t, 1).subnets = [{ cidr, ipv6Mode: mode as never }];
      router(t).interfaces = ['web'];
      delete router(t).routes;
    });
  expectProblem(v6('slaac', 'fd00:2::/80'), ['networks', 1, 'subnets', 0, 'ipv6Mode'], 'needs a /64');
  expectProblem(
    v6('dhcpv6-stateless', 'fd00:2::/56'),
    ['networks', 1, 'subnets', 0, 'ipv6Mode'],
    'needs a /64',
  );
  expectProblem(v6('dhcp'), ['networks', 1, 'subnets', 0, 'ipv6Mode'], 'not one of');
  expectProblem(
    edit((t) => {
      Object.assign(t, v6('slaac'));
      t.instances!.push({ name: 'db1', network: 'db', ip: 'fd00:2::5' });
    }),
    ['instances', 2, 'ip'],
    'come from SLAAC',
  );
});

// --- security-group rules ------------------------------------------------------------------------

test('rules: direction, protocol names and numbers', () => {
  expectProblem(
    edit((t) => {
      delete rule(t, 0).direction;
    }),
    ['securityGroups', 0, 'rules', 0, 'direction'],
    'needs a direction',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).direction = 'in';
    }),
    ['securityGroups', 0, 'rules', 0, 'direction'],
    'not one of ingress, egress',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).protocol = 'tcpp';
    }),
    ['securityGroups', 0, 'rules', 0, 'protocol'],
    'not a protocol',
  );
  expectProblem(
    edit((t) => {
      rule(t, 3).protocol = 256;
    }),
    ['securityGroups', 0, 'rules', 3, 'protocol'],
    'number 0-255',
  );
  expectProblem(
    edit((t) => {
      rule(t, 3).protocol = -1;
    }),
    ['securityGroups', 0, 'rules', 3, 'protocol'],
    'not a protocol',
  );
  expectProblem(
    edit((t) => {
      rule(t, 3).ethertype = 'ipv4';
    }),
    ['securityGroups', 0, 'rules', 3, 'ethertype'],
    'not one of IPv4, IPv6',
  );
});

test('rules: ports only with tcp/udp/sctp/dccp, ranges 1 <= a <= b <= 65535', () => {
  const at = (k: number, key: string) => ['securityGroups', 0, 'rules', k, key];
  expectProblem(
    edit((t) => {
      rule(t, 1).port = 80;
    }),
    at(1, 'port'),
    "port needs protocol tcp, udp, sctp or dccp (the rule's is icmp)",
  );
  expectProblem(
    edit((t) => {
      rule(t, 3).sourcePort = 80;
    }),
    at(3, 'sourcePort'),
    "(the rule's is any)",
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).port = '100-10';
    }),
    at(0, 'port'),
    'the first may not pass the last',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).port = 0;
    }),
    at(0, 'port'),
    'ports are 1-65535',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).port = 65536;
    }),
    at(0, 'port'),
    'ports are 1-65535',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).port = '80,443';
    }),
    at(0, 'port'),
    'not a port or range',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).port = 80.5;
    }),
    at(0, 'port'),
    'ports are 1-65535',
  );
});

test('rules: ICMP type/code only with icmp/icmpv6, 0-255, code needs a type', () => {
  const at = (k: number, key: string) => ['securityGroups', 0, 'rules', k, key];
  expectProblem(
    edit((t) => {
      rule(t, 0).icmpType = 8;
    }),
    at(0, 'icmpType'),
    'needs protocol icmp or icmpv6',
  );
  expectProblem(
    edit((t) => {
      rule(t, 1).icmpType = 256;
    }),
    at(1, 'icmpType'),
    'not an ICMP type (0-255)',
  );
  expectProblem(
    edit((t) => {
      rule(t, 1).icmpCode = 0;
    }),
    at(1, 'icmpCode'),
    'icmpCode needs icmpType',
  );
});

test('rules: remote IP or remote group, and families that agree', () => {
  const at = (k: number, key: string) => ['securityGroups', 0, 'rules', k, key];
  expectProblem(
    edit((t) => {
      rule(t, 1).remoteIp = '10.0.0.0/8';
    }),
    at(1, 'remoteGroup'),
    'not both',
  );
  expectProblem(
    edit((t) => {
      rule(t, 2).remoteIp = '10.0.0.0/33';
    }),
    at(2, 'remoteIp'),
    'prefix length',
  );
  expectProblem(
    edit((t) => {
      rule(t, 2).ethertype = 'IPv6';
    }),
    at(2, 'remoteIp'),
    'remoteIp 10.0.0.0/8 is IPv4, but ethertype IPv6 is IPv6',
  );
  expectProblem(
    edit((t) => {
      rule(t, 1).ethertype = 'IPv6';
    }),
    at(1, 'protocol'),
    'protocol icmp (ICMP for IPv4; IPv6 uses icmpv6) is IPv4',
  );
  expectProblem(
    edit((t) => {
      Object.assign(rule(t, 2), { protocol: 'icmpv6', port: undefined });
    }),
    at(2, 'protocol'),
    'icmpv6 (ICMP for IPv6; IPv4 uses icmp) is IPv6, but remoteIp 10.0.0.0/8 is IPv4',
  );
});
