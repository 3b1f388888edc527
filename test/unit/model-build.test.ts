import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import {
  buildModel,
  canonicalModelJson,
  type Model,
  subnetName,
  type TopologyInput,
} from '../../src/model/index.js';
import { eui64Address, isHostOf } from '../../src/net/cidr.js';
import type { ResourceName } from '../../src/net/ownership.js';
import { resourceId } from '../../src/net/ownership.js';
import type { Cidr, Mac } from '../../src/net/types.js';
import { demoTopology } from './model-fixtures.js';

const demo = () => buildModel(demoTopology());
const network = (m: Model, name: string) => m.networks.find((n) => n.name === name)!;
const instance = (m: Model, name: string) => m.instances.find((n) => n.name === name)!;

test('defaults: backend ovs, MTU 1500, gateway the first host, DHCP on, DNS the DHCP port, no host, no VNI', () => {
  const m = demo();
  assert.equal(m.backend, 'ovs');
  const db = network(m, 'db');
  assert.equal(db.mtu, 1500);
  assert.equal(network(m, 'web').mtu, 1450);
  assert.equal(db.vni, null);
  assert.equal(db.external, false);
  assert.equal(network(m, 'public').external, true);
  const [s] = db.subnets;
  assert.deepEqual(
    { cidr: s!.cidr, family: s!.family, prefixLength: s!.prefixLength, gateway: s!.gateway, dhcp: s!.dhcp },
    { cidr: '10.10.2.0/24', family: 4, prefixLength: 24, gateway: '10.10.2.1', dhcp: true },
  );
  assert.equal(s!.ipv6Mode, null);
  // the DHCP port takes the first free address after the gateway, and is the default name server
  assert.equal(db.dhcp, true);
  assert.deepEqual(db.dhcpPort!.fixedIps, [{ subnet: s!.name, address: '10.10.2.2' }]);
  assert.deepEqual(s!.dns, ['10.10.2.2']);
  assert.deepEqual(network(m, 'web').subnets[0]!.dns, ['10.10.1.2']);
  assert.equal(m.routers[0]!.host, null);
  assert.equal(instance(m, 'web1').host, null);
});

test('a network with DHCP off has no DHCP port and no default name server; instances default to static', () => {
  const t = demoTopology();
  Object.assign(t.networks![1]!, { dhcp: false });
  t.instances!.push({ name: 'db1', network: 'db' });
  const m = buildModel(t);
  const db = network(m, 'db');
  assert.equal(db.dhcp, false);
  assert.equal(db.dhcpPort, null);
  assert.deepEqual(db.subnets[0]!.dns, []);
  assert.equal(instance(m, 'db1').address, 'static');
  assert.equal(instance(m, 'web1').address, 'dhcp');
});

test('gateway null: no gateway; a /32 subnet has no default gateway (its one address is the host)', () => {
  const t = demoTopology();
  Object.assign(t.networks![1]!, { gateway: null });
  t.routers![0]!.interfaces = ['web'];
  delete t.routers![0]!.routes;
  t.networks!.push({ name: 'p2p', cidr: '10.99.0.7/32', dhcp: false });
  t.instances!.push({ name: 'solo', network: 'p2p' });
  const m = buildModel(t);
  assert.equal(network(m, 'db').subnets[0]!.gateway, null);
  assert.equal(network(m, 'db').dhcpPort!.fixedIps[0]!.address, '10.10.2.1');
  assert.equal(network(m, 'p2p').subnets[0]!.gateway, null);
  assert.equal(instance(m, 'solo').port.fixedIps[0]!.address, '10.99.0.7');
});

test('names, owners and ids: ports are vm_/dhcp_/qr_/qg_, subnets carry their CIDR, ids are resourceId(owner)', () => {
  const m = demo();
  const web1 = instance(m, 'web1');
  assert.equal(web1.port.name, 'vm_web1');
  assert.equal(web1.port.deviceOwner, 'compute');
  assert.deepEqual(web1.owner, { topology: 'demo', kind: 'instance', name: 'web1' });
  assert.equal(web1.id, resourceId(web1.owner));
  assert.deepEqual(web1.port.owner, { topology: 'demo', kind: 'port', name: 'vm_web1' });
  assert.equal(web1.port.id, resourceId(web1.port.owner));
  assert.equal(network(m, 'web').dhcpPort!.name, 'dhcp_web');
  assert.equal(network(m, 'web').dhcpPort!.deviceOwner, 'dhcp');
  assert.equal(network(m, 'web').subnets[0]!.name, 'web_10-10-1-0-24');
  assert.deepEqual(network(m, 'web').subnets[0]!.owner.kind, 'subnet');
  const r1 = m.routers[0]!;
  assert.deepEqual(
    r1.interfaces.map((i) => [i.port.name, i.port.deviceOwner]),
    [
      ['qr_r1_web', 'router_interface'],
      ['qr_r1_db', 'router_interface'],
    ],
  );
  assert.equal(r1.gateway!.port.name, 'qg_r1');
  assert.equal(r1.gateway!.port.deviceOwner, 'router_gateway');
  assert.equal(
    r1.floatingIps[0]!.id,
    resourceId({ topology: 'demo' as never, kind: 'floatingip', name: 'web1' as never }),
  );
  assert.equal(m.securityGroups[0]!.owner.kind, 'secgroup');
});

test('routers: interfaces on the subnet gateway, the gateway port on the external net, routes and floating IPs', () => {
  const r1 = demo().routers[0]!;
  assert.deepEqual(
    r1.interfaces.map((i) => [i.network, i.cidrs, i.port.fixedIps.map((f) => f.address)]),
    [
      ['web', ['10.10.1.1/24'], ['10.10.1.1']],
      ['db', ['10.10.2.1/24'], ['10.10.2.1']],
    ],
  );
  const g = r1.gateway!;
  assert.deepEqual(
    { network: g.network, subnet: g.subnet, ip: g.ip, nexthop: g.nexthop, snat: g.snat },
    {
      network: 'public',
      subnet: 'public_172-24-4-0-24',
      ip: '172.24.4.10',
      nexthop: '172.24.4.1',
      snat: true,
    },
  );
  assert.deepEqual(r1.routes, [{ destination: '10.50.0.0/24', nexthop: '10.10.2.5' }]);
  assert.deepEqual(
    r1.floatingIps.map((f) => [f.instance, f.address, f.fixedIp, f.network]),
    [['web1', '172.24.4.20', '10.10.1.10', 'public']],
  );
});

test('allocated router gateway and floating IP land on the external subnet, clear of its gateway and DHCP port', () => {
  const t = demoTopology();
  t.routers![0]!.gateway = { network: 'public', snat: false };
  t.floatingIps = [{ instance: 'web1' }];
  const m = buildModel(t);
  const g = m.routers[0]!.gateway!;
  assert.equal(g.snat, false);
  const used = [g.ip, m.routers[0]!.floatingIps[0]!.address];
  for (const a of used) {
    assert.ok(isHostOf('172.24.4.0/24' as Cidr, a));
    assert.ok(!['172.24.4.1', '172.24.4.2'].includes(a), a);
  }
  assert.notEqual(used[0], used[1]);
});

test('security groups: rules per family in order with canonical values; members per family', () => {
  const t = demoTopology();
  t.securityGroups![0]!.rules = [
    { direction: 'ingress', protocol: 6, port: '8000-8100', remoteIp: '10.1.2.3' },
    { direction: 'egress', protocol: 'UDP', sourcePort: 53 },
    { direction: 'ingress', protocol: '58', ethertype: 'IPv6', icmpType: 128, icmpCode: 0 },
    { direction: 'ingress', protocol: 'ipv6-icmp' },
    { direction: 'ingress', protocol: 0 },
    { direction: 'ingress', protocol: 'any', remoteGroup: 'web' },
    { direction: 'ingress', protocol: 47 },
    { direction: 'egress', protocol: 132, port: 9 },
  ];
  const [g] = buildModel(t).securityGroups;
  const brief = g!.rules.map((r) => [
    r.index,
    r.family,
    r.direction,
    r.protocol,
    r.port,
    r.sourcePort,
    r.remoteIp,
  ]);
  assert.deepEqual(brief, [
    [0, 4, 'ingress', 'tcp', { min: 8000, max: 8100 }, null, '10.1.2.3/32'],
    [1, 4, 'egress', 'udp', null, { min: 53, max: 53 }, null],
    [2, 6, 'ingress', 'icmpv6', null, null, null],
    [3, 6, 'ingress', 'icmpv6', null, null, null],
    [4, 4, 'ingress', null, null, null, null],
    [5, 4, 'ingress', null, null, null, null],
    [6, 4, 'ingress', '47', null, null, null],
    [7, 4, 'egress', 'sctp', { min: 9, max: 9 }, null, null],
  ]);
  assert.deepEqual([g!.rules[2]!.icmpType, g!.rules[2]!.icmpCode], [128, 0]);
  assert.equal(g!.rules[5]!.remoteGroup, 'web');
  assert.deepEqual(g!.members, { 4: ['10.10.1.10'], 6: [] });
});

test('a rule that names no family is IPv4 only, or IPv4 and IPv6 when the topology has an IPv6 subnet', () => {
  const t = demoTopology();
  t.networks![0]!.subnets = [{ cidr: '10.10.1.0/24' }, { cidr: 'fd00:1::/64' }];
  for (const k of ['cidr', 'gateway', 'dhcp', 'dns'] as const) delete t.networks![0]![k];
  const m = buildModel(t);
  const g = m.securityGroups[0]!;
  assert.deepEqual(
    g.rules.map((r) => [r.index, r.family, r.protocol]),
    [
      [0, 4, 'tcp'],
      [0, 6, 'tcp'],
      [1, 4, 'icmp'],
      [2, 4, 'tcp'],
      [3, 4, null],
      [3, 6, null],
    ],
  );
  const web1 = instance(m, 'web1');
  const v6 = web1.port.fixedIps.find((f) => f.address.includes(':'))!.address;
  assert.deepEqual(g.members, { 4: ['10.10.1.10'], 6: [v6] });
});

test('dual stack: instances and router interfaces get the first subnet of each family; one port each', () => {
  const t = demoTopology();
  t.networks![0]!.subnets = [
    { cidr: '10.10.1.0/24', dns: ['10.10.1.2'] },
    { cidr: 'fd00:1::/64' },
    { cidr: '10.10.9.0/24' },
  ];
  for (const k of ['cidr', 'gateway', 'dhcp', 'dns'] as const) delete t.networks![0]![k];
  t.instances!.push(
    { name: 'web2', network: 'web', ip: '10.10.9.20' },
    { name: 'web3', network: 'web', ip: 'fd00:1::33' },
  );
  const m = buildModel(t);
  const qr = m.routers[0]!.interfaces[0]!;
  assert.deepEqual(qr.subnets, ['web_10-10-1-0-24', 'web_fd00-1---64']);
  assert.deepEqual(qr.cidrs, ['10.10.1.1/24', 'fd00:1::1/64']);
  const fixed = (n: string) => instance(m, n).port.fixedIps;
  assert.deepEqual(
    fixed('web1').map((f) => f.subnet),
    ['web_10-10-1-0-24', 'web_fd00-1---64'],
  );
  assert.deepEqual(fixed('web2')[0], { subnet: 'web_10-10-9-0-24', address: '10.10.9.20' });
  assert.equal(fixed('web2')[1]!.subnet, 'web_fd00-1---64');
  assert.equal(fixed('web3')[0]!.subnet, 'web_10-10-1-0-24');
  assert.deepEqual(fixed('web3')[1], { subnet: 'web_fd00-1---64', address: 'fd00:1::33' });
  // the DHCP port is on every DHCP subnet
  assert.deepEqual(
    network(m, 'web').dhcpPort!.fixedIps.map((f) => f.address),
    ['10.10.1.2', 'fd00:1::2', '10.10.9.2'],
  );
  // the IPv6 default mode, and the default name server of the IPv6 subnet
  const v6 = network(m, 'web').subnets[1]!;
  assert.equal(v6.ipv6Mode, 'dhcpv6-stateful');
  assert.deepEqual(v6.dns, ['fd00:1::2']);
});

test('SLAAC subnets: instances and the DHCP port take the EUI-64 address of their MAC', () => {
  const t = demoTopology();
  t.networks!.push({ name: 'v6', subnets: [{ cidr: 'fd00:6::/64', ipv6Mode: 'slaac' }] });
  t.instances!.push({ name: 'six', network: 'v6', mac: 'fa:16:3e:00:00:66' });
  const m = buildModel(t);
  assert.deepEqual(
    instance(m, 'six').port.fixedIps.map((f) => f.address),
    ['fd00:6::f816:3eff:fe00:66'],
  );
  const dhcp = network(m, 'v6').dhcpPort!;
  assert.equal(dhcp.fixedIps[0]!.address, eui64Address('fd00:6::/64' as Cidr, dhcp.mac as Mac));
  assert.equal(network(m, 'v6').subnets[0]!.ipv6Mode, 'slaac');
  // SLAAC addresses are not leased: the instance's address defaults to static
  assert.equal(instance(m, 'six').address, 'static');
});

test('allowed address pairs: canonical prefixes, the port MAC by default', () => {
  const t = demoTopology();
  t.instances![0]!.allowedAddressPairs = [
    { ip: '10.10.1.200' },
    { ip: '10.20.0.9/16', mac: 'FA:16:3E:AA:BB:CC' },
  ];
  const web1 = instance(buildModel(t), 'web1');
  assert.deepEqual(web1.allowedAddressPairs, [
    { cidr: '10.10.1.200/32', mac: 'fa:16:3e:00:00:10' },
    { cidr: '10.20.0.0/16', mac: 'fa:16:3e:aa:bb:cc' },
  ]);
  assert.equal(web1.portSecurity, true);
  assert.deepEqual(web1.securityGroups, ['web']);
});

test('placement: host from the resource or defaults; VNIs are allocated, unique, when hosts are named', () => {
  const t = demoTopology();
  t.defaults = { host: 'h1' };
  t.instances![1]!.host = 'h2';
  t.networks![1]!.vni = 4242;
  const m = buildModel(t);
  assert.equal(instance(m, 'web1').host, 'h1');
  assert.equal(instance(m, 'upstream').host, 'h2');
  assert.equal(m.routers[0]!.host, 'h1');
  const vnis = m.networks.map((n) => n.vni);
  assert.equal(network(m, 'db').vni, 4242);
  for (const v of vnis) assert.ok(typeof v === 'number' && v >= 1 && v <= 16777215);
  assert.equal(new Set(vnis).size, vnis.length);
  assert.deepEqual(buildModel(t, { previous: m }), m);
});

test('the model is plain data: JSON round-trips, and a rebuild with the copy as previous is deep-equal', () => {
  const m = demo();
  const copy = JSON.parse(JSON.stringify(m)) as Model;
  assert.deepEqual(copy, m);
  assert.deepEqual(buildModel(demoTopology(), { previous: copy }), m);
  assert.deepEqual(buildModel(demoTopology()), m);
});

test('canonicalModelJson sorts keys at every level and is the same for equal models', () => {
  const m = demo();
  const text = canonicalModelJson(m);
  assert.equal(text, canonicalModelJson(JSON.parse(JSON.stringify(m)) as Model));
  assert.ok(text.startsWith('{"backend":"ovs","instances":['), text.slice(0, 40));
  const reordered = Object.fromEntries(Object.entries(m).reverse()) as unknown as Model;
  assert.equal(canonicalModelJson(reordered), text);
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(m)));
});

test('resources come out sorted by name whatever the input order', () => {
  const t = demoTopology();
  t.networks!.reverse();
  t.instances!.reverse();
  const m = buildModel(t);
  assert.deepEqual(
    m.networks.map((n) => n.name),
    ['db', 'public', 'web'],
  );
  assert.deepEqual(
    m.instances.map((n) => n.name),
    ['upstream', 'web1'],
  );
  assert.equal(canonicalModelJson(m), canonicalModelJson(demo()));
});

test('a library user builds the same model in code, typed, without a file', () => {
  const input: TopologyInput = {
    name: 'lib',
    networks: [{ name: 'n1', cidr: '192.168.50.0/24' }],
    instances: [
      { name: 'a', network: 'n1' },
      { name: 'b', network: 'n1' },
    ],
  };
  const m = buildModel(input);
  const [a, b] = m.instances;
  assert.notEqual(a!.port.fixedIps[0]!.address, b!.port.fixedIps[0]!.address);
  assert.ok(a!.port.mac.startsWith('fa:16:3e:'));
  assert.equal(m.routers.length, 0);
});

test('the model is pure: src/model imports only net/, errors and node:crypto (no I/O, no kernel layer)', async () => {
  const dir = new URL('../../src/model/', import.meta.url);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 8);
  for (const f of [...files.map((x) => new URL(x, dir)), new URL('../../src/net/cidr.ts', import.meta.url)]) {
    const text = await readFile(f, 'utf8');
    for (const [, spec] of text.matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)) {
      assert.ok(
        /^\.\/|^\.\.\/net\/(cidr|ownership|types|text)\.js$|^\.\.\/errors\.js$|^node:(crypto|net)$|^ipaddr\.js$/.test(
          spec!,
        ),
        `${f.pathname.split('/').slice(-2).join('/')} imports ${spec}`,
      );
    }
  }
});

test('subnet names follow the CIDR, stay within 64 characters and never collide', () => {
  const n = (s: string) => s as ResourceName;
  const c = (s: string) => s as Cidr;
  assert.equal(subnetName(n('web'), c('10.10.1.0/24')), 'web_10-10-1-0-24');
  assert.equal(subnetName(n('web'), c('fd00:1::/64')), 'web_fd00-1---64');
  // the embedded-IPv4 spelling is written in hex, so ::1.2.3.4 and ::1:2:3:4 differ
  assert.notEqual(subnetName(n('w'), c('::1.2.3.4/128')), subnetName(n('w'), c('::1:2:3:4/128')));
  const long = subnetName(n('n'.repeat(32)), c('fd00:1:2:3:4:5:6:7/128'));
  assert.ok(long.length <= 64 && long.startsWith(`${'n'.repeat(32)}_`), long);
  assert.notEqual(long, subnetName(n('n'.repeat(32)), c('fd00:1:2:3:4:5:6:8/128')));
});
