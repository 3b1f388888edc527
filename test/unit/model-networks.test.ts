import { test } from 'node:test';
import { buildModel } from '../../src/model/index.js';
import { edit, expectProblem, net, router } from './model-fixtures.js';

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
