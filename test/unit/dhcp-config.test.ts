// dnsmasq's files and command line as pure functions of what a network serves, checked line by line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addnHostsFile,
  dhcpPaths,
  dnsmasqArgv,
  hostsFile,
  LEASE_MAX_CAP,
  leasesSeed,
  optsFile,
} from '../../src/dhcp/config.js';
import { dhcpNetworkFromModel, dhcpNetworksFromModel } from '../../src/dhcp/from-model.js';
import { dhcpNetwork } from '../../src/dhcp/validate.js';
import { buildModel } from '../../src/model/build.js';
import { deviceName } from '../../src/net/types.js';

const paths = dhcpPaths('/var/lib/tenantnet', 'qdhcp-demo.web');
const dev = deviceName('tapabcdefghijk');

function network(subnets: object[], extra: object = {}) {
  const model = buildModel({
    name: 'demo',
    networks: [{ name: 'web', mtu: 1400, subnets: subnets as never }],
    routers: [{ name: 'r1', interfaces: ['web'] }],
    instances: [
      { name: 'a', network: 'web', mac: 'fa:16:3e:00:00:0a', ip: '10.0.1.10' },
      { name: 'b', network: 'web', mac: 'fa:16:3e:00:00:0b', ip: '10.0.1.11' },
    ],
    ...extra,
  });
  return dhcpNetwork(dhcpNetworkFromModel(model, 'web'));
}

test('paths: one directory per marker under <stateDir>/dhcp', () => {
  assert.deepEqual(paths, {
    dir: '/var/lib/tenantnet/dhcp/qdhcp-demo.web',
    host: '/var/lib/tenantnet/dhcp/qdhcp-demo.web/host',
    addnHosts: '/var/lib/tenantnet/dhcp/qdhcp-demo.web/addn_hosts',
    opts: '/var/lib/tenantnet/dhcp/qdhcp-demo.web/opts',
    leases: '/var/lib/tenantnet/dhcp/qdhcp-demo.web/leases',
    pid: '/var/lib/tenantnet/dhcp/qdhcp-demo.web/pid',
  });
});

test('IPv4: host, addn_hosts, opts and the seed leases, as Neutron writes them', () => {
  const net = network([{ cidr: '10.0.1.0/24' }]);
  assert.equal(
    hostsFile(net),
    'fa:16:3e:00:00:0a,a.openstacklocal,10.0.1.10\nfa:16:3e:00:00:0b,b.openstacklocal,10.0.1.11\n',
  );
  assert.equal(addnHostsFile(net), '10.0.1.10\ta.openstacklocal a\n10.0.1.11\tb.openstacklocal b\n');
  const tag = `tag:subnet-${net.network.subnets[0]!.id}`;
  assert.equal(optsFile(net), `${tag},option:dns-server,10.0.1.2\n${tag},option:router,10.0.1.1\n`);
  assert.equal(
    leasesSeed(net, 1_000_000),
    '87400 fa:16:3e:00:00:0a 10.0.1.10 * *\n87400 fa:16:3e:00:00:0b 10.0.1.11 * *\n',
  );
  assert.equal(leasesSeed({ ...net, leaseTime: 'infinite' }, 1_000_000).split(' ')[0], '0');
});

test('the command line: files, bind-dynamic on the device, a static range, MTU, lease cap, domain', () => {
  const net = network([{ cidr: '10.0.1.0/24' }]);
  const id = net.network.subnets[0]!.id;
  assert.deepEqual(dnsmasqArgv(net, paths, dev), [
    'dnsmasq',
    '--no-hosts',
    '--no-resolv',
    '--pid-file=/var/lib/tenantnet/dhcp/qdhcp-demo.web/pid',
    '--dhcp-hostsfile=/var/lib/tenantnet/dhcp/qdhcp-demo.web/host',
    '--addn-hosts=/var/lib/tenantnet/dhcp/qdhcp-demo.web/addn_hosts',
    '--dhcp-optsfile=/var/lib/tenantnet/dhcp/qdhcp-demo.web/opts',
    '--dhcp-leasefile=/var/lib/tenantnet/dhcp/qdhcp-demo.web/leases',
    '--local-service',
    '--bind-dynamic',
    '--interface=tapabcdefghijk',
    '--except-interface=lo',
    `--dhcp-range=set:subnet-${id},10.0.1.0,static,255.255.255.0,86400s`,
    '--dhcp-option-force=option:mtu,1400',
    '--dhcp-lease-max=256',
    '--domain=openstacklocal',
    '--conf-file=/dev/null',
  ]);
  const more = dnsmasqArgv(
    { ...net, domain: 'example.org', upstreamServers: ['192.0.2.53' as never], leaseTime: 'infinite' },
    paths,
    dev,
  );
  assert.ok(more.includes('--domain=example.org'));
  assert.ok(more.includes('--server=192.0.2.53'));
  assert.ok(more.some((a) => a.endsWith(',255.255.255.0,infinite')));
});

test('IPv6: stateful ranges with a prefix length, SLAAC without, stateless options only, /56 skipped', () => {
  const model = network([
    { cidr: '10.0.1.0/24' },
    { cidr: 'fd00:1::/64' },
    { cidr: 'fd00:2::/64', ipv6Mode: 'slaac' },
    { cidr: 'fd00:3::/64', ipv6Mode: 'dhcpv6-stateless' },
    { cidr: 'fd00:100::/56' },
  ]);
  const [, s1, s2, s3, s4] = model.network.subnets;
  // A port on every subnet (the model gives an instance one address per family).
  const [a0, ...rest] = model.hosts;
  const net = dhcpNetwork({
    ...model,
    hosts: [
      {
        ...a0!,
        fixedIps: [
          ...a0!.fixedIps,
          { subnet: s2!.name, address: 'fd00:2::f816:3eff:fe00:a' as never },
          { subnet: s3!.name, address: 'fd00:3::f816:3eff:fe00:a' as never },
        ],
      },
      ...rest,
    ],
  });
  const ranges = dnsmasqArgv(net, paths, dev).filter((a) => a.startsWith('--dhcp-range='));
  assert.deepEqual(ranges.slice(1), [
    `--dhcp-range=set:subnet-${s1!.id},fd00:1::,static,64,86400s`,
    `--dhcp-range=set:subnet-${s3!.id},fd00:3::,static,64,86400s`,
  ]);
  assert.ok(!ranges.some((r) => r.includes(s2!.id) || r.includes(s4!.id)));
  const hosts = hostsFile(net);
  const a = net.hosts[0]!;
  const v6 = (s: string) => a.fixedIps.find((f) => f.subnet === s)!.address;
  assert.ok(hosts.includes(`fa:16:3e:00:00:0a,a.openstacklocal,[${v6(s1!.name)}]\n`));
  assert.ok(!hosts.includes(v6(s2!.name)), 'SLAAC addresses get no DHCP host entry');
  assert.ok(!hosts.includes(v6(s3!.name)), 'stateless addresses get no DHCP host entry');
  assert.ok(addnHostsFile(net).includes(`${v6(s2!.name)}\ta.openstacklocal a\n`), 'but DNS knows them');
  const opts = optsFile(net);
  assert.ok(opts.includes(`tag:subnet-${s1!.id},option6:dns-server,[${net.port.fixedIps[1]!.address}]\n`));
  assert.ok(opts.includes(`tag:subnet-${s3!.id},option6:domain-search,openstacklocal\n`));
  assert.ok(!opts.includes(s2!.id), 'SLAAC has no options');
  assert.ok(!leasesSeed(net, 0).includes('fd00'), 'only IPv4 leases are seeded');
});

test('opts: no gateway gives an empty router, dns [] none; two IPv4 subnets get classless routes', () => {
  const net = network([
    { cidr: '10.0.1.0/24', dns: [] },
    { cidr: '10.0.2.0/24', gateway: null },
  ]);
  const [s1, s2] = net.network.subnets;
  const t1 = `tag:subnet-${s1!.id}`;
  const t2 = `tag:subnet-${s2!.id}`;
  assert.equal(
    optsFile(net),
    [
      `${t1},option:dns-server`,
      `${t1},option:router,10.0.1.1`,
      `${t1},option:classless-static-route,10.0.2.0/24,0.0.0.0,0.0.0.0/0,10.0.1.1`,
      `${t1},249,10.0.2.0/24,0.0.0.0,0.0.0.0/0,10.0.1.1`,
      `${t2},option:dns-server,${net.port.fixedIps[1]!.address}`,
      `${t2},option:router`,
      `${t2},option:classless-static-route,10.0.1.0/24,0.0.0.0`,
      `${t2},249,10.0.1.0/24,0.0.0.0`,
      '',
    ].join('\n'),
  );
});

test('a subnet with DHCP off has no range and its addresses no host entry; lease cap', () => {
  const net = network([{ cidr: '10.0.1.0/24' }, { cidr: '10.0.2.0/24', dhcp: false }]);
  const argv = dnsmasqArgv(net, paths, dev);
  assert.equal(argv.filter((a) => a.startsWith('--dhcp-range=')).length, 1);
  assert.ok(argv.includes('--dhcp-lease-max=256'));
  const big = network([{ cidr: '10.0.0.0/8' }, { cidr: 'fd00:1::/64' }]);
  assert.ok(dnsmasqArgv(big, paths, dev).includes(`--dhcp-lease-max=${LEASE_MAX_CAP}`));
});

test('from a model: instances on the network with their names, never router ports', () => {
  const model = buildModel({
    name: 'demo',
    networks: [
      { name: 'web', cidr: '10.0.1.0/24' },
      { name: 'db', cidr: '10.0.2.0/24' },
      { name: 'off', cidr: '10.0.3.0/24', dhcp: false },
    ],
    routers: [{ name: 'r1', interfaces: ['web', 'db'] }],
    instances: [
      { name: 'a', network: 'web' },
      { name: 'b', network: 'db' },
    ],
  });
  const all = dhcpNetworksFromModel(model);
  assert.deepEqual(
    all.map((n) => [n.network.owner.name, n.hosts.map((h) => h.hostname)]),
    [
      ['db', ['b']],
      ['web', ['a']],
    ],
  );
  assert.equal(all[1]!.port, model.networks.find((n) => n.name === 'web')!.dhcpPort);
  assert.throws(() => dhcpNetworkFromModel(model, 'off'), /no subnet has DHCP/);
  assert.throws(() => dhcpNetworkFromModel(model, 'nope'), /has no network "nope"/);
});
