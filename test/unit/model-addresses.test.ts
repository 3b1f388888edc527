import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel } from '../../src/model/index.js';
import { edit, expectProblem, inst, net, router } from './model-fixtures.js';

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
  // the DHCP port's address is allocated, never explicit: an explicit floating IP on .2 moves it to .3
  const m = buildModel(
    edit((t) => {
      t.floatingIps![0]!.address = '172.24.4.2';
    }),
  );
  assert.equal(m.networks.find((n) => n.name === 'public')!.dhcpPort!.fixedIps[0]!.address, '172.24.4.3');
  assert.equal(m.routers[0]!.floatingIps[0]!.address, '172.24.4.2');
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
