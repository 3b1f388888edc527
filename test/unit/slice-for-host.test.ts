import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  buildModel,
  canonicalModelJson,
  type Model,
  modelHosts,
  networkHostsOf,
  type Slice,
  sliceForHost,
  type TopologyInput,
} from '../../src/model/index.js';
import { isHostOf } from '../../src/net/cidr.js';
import { demoTopology } from './model-fixtures.js';
import { threeHosts } from './slice-fixtures.js';

const names = (list: readonly { name: string }[]) => list.map((x) => x.name);
const built = () => buildModel(threeHosts());
const slices = (m: Model) => new Map(modelHosts(m).map((h) => [h, sliceForHost(m, h)]));

test('every instance and router is in exactly its host slice; a host with nothing gets an empty slice', () => {
  const m = built();
  const s = slices(m);
  assert.deepEqual([...s.keys()], ['h1', 'h2', 'h3']);
  assert.deepEqual(names(s.get('h1')!.instances), ['ops1', 'web1']);
  assert.deepEqual(names(s.get('h2')!.instances), ['web2']);
  assert.deepEqual(names(s.get('h3')!.instances), ['db1', 'tool']);
  assert.deepEqual(names(s.get('h2')!.routers), ['r1']);
  assert.deepEqual([...s.values()].flatMap((x) => names(x.instances)).sort(), names(m.instances).sort());
  for (const h of ['h1', 'h3']) assert.deepEqual(s.get(h)!.routers, []);
  const empty = sliceForHost(m, 'h9');
  assert.deepEqual([empty.networks, empty.routers, empty.instances, empty.securityGroups], [[], [], [], []]);
  assert.equal(empty.host, 'h9');
  assert.equal(empty.topology, 'multi');
});

test('a network is on a host when an instance there or a router there uses it; one nothing uses is on none', () => {
  const m = built();
  const s = slices(m);
  assert.deepEqual(names(s.get('h1')!.networks), ['web']);
  assert.deepEqual(names(s.get('h2')!.networks), ['db', 'public', 'web']);
  assert.deepEqual(names(s.get('h3')!.networks), ['db']);
  assert.deepEqual(Object.fromEntries(networkHostsOf(m)), {
    db: ['h2', 'h3'],
    public: ['h2'],
    spare: [],
    web: ['h1', 'h2'],
  });
  // The router's floating IP (for web1 on h1) is on h2 with the router.
  assert.deepEqual(
    s.get('h2')!.routers[0]!.floatingIps.map((f) => f.instance),
    ['web1'],
  );
});

test('security groups: the groups local ports use whole, remote groups with complete members and no rules', () => {
  const m = built();
  const s = slices(m);
  const group = (sl: Slice, name: string) => sl.securityGroups.find((g) => g.name === name);
  const whole = (name: string) => m.securityGroups.find((g) => g.name === name)!;
  // h3: db1 uses db (admits web) and tool uses admin (admits ops). web and ops are on h1/h2 only.
  assert.deepEqual(names(s.get('h3')!.securityGroups), ['admin', 'db', 'ops', 'web']);
  assert.deepEqual(group(s.get('h3')!, 'db'), whole('db'));
  assert.deepEqual(group(s.get('h3')!, 'web'), { ...whole('web'), rules: [] });
  // The members are every web instance's addresses, on every host.
  const webAddresses = m.instances
    .filter((i) => (i.securityGroups as readonly string[]).includes('web'))
    .flatMap((i) => i.port.fixedIps.map((f) => f.address))
    .sort();
  assert.equal(webAddresses.length, 2);
  assert.deepEqual([...group(s.get('h3')!, 'web')!.members[4]].sort(), webAddresses);
  // h1: web (whole: its own rule names web), ops (whole) and admin (members only, named by ops).
  assert.deepEqual(names(s.get('h1')!.securityGroups), ['admin', 'ops', 'web']);
  assert.deepEqual(group(s.get('h1')!, 'web'), whole('web'));
  assert.deepEqual(group(s.get('h1')!, 'admin')!.rules, []);
  // h2 has web2 only: web whole, nothing else.
  assert.deepEqual(names(s.get('h2')!.securityGroups), ['web']);
  // Every remote group a slice's rules name is in that slice (a firewall can resolve every rule).
  for (const sl of s.values()) {
    const have = new Set(names(sl.securityGroups));
    for (const g of sl.securityGroups)
      for (const r of g.rules) if (r.remoteGroup) assert.ok(have.has(r.remoteGroup), r.remoteGroup);
  }
});

test('distributed DHCP: one DHCP port per host per network, its own address as default name server', () => {
  const m = built();
  const web = m.networks.find((n) => n.name === 'web')!;
  assert.equal(web.dhcpPort, null, 'placed on hosts: no network-wide DHCP port');
  assert.deepEqual(
    web.hostDhcpPorts!.map((h) => [h.host, h.port.name, h.port.fixedIps[0]!.address]),
    [
      ['h1', 'dhcp_web_h1', '10.10.1.2'],
      ['h2', 'dhcp_web_h2', '10.10.1.3'],
    ],
  );
  assert.equal(web.subnets[0]!.hostDns, true);
  assert.deepEqual(web.subnets[0]!.dns, []);
  // spare is on no host: no DHCP port at all, yet DHCP is on.
  const spare = m.networks.find((n) => n.name === 'spare')!;
  assert.deepEqual([spare.dhcp, spare.hostDhcpPorts], [true, []]);

  const s = slices(m);
  for (const [host, address] of [
    ['h1', '10.10.1.2'],
    ['h2', '10.10.1.3'],
  ] as const) {
    const n = s.get(host)!.networks.find((x) => x.name === 'web')!;
    assert.equal(n.dhcpPort!.name, `dhcp_web_${host}`);
    assert.deepEqual(n.subnets[0]!.dns, [address]);
    assert.equal('hostDhcpPorts' in n, false);
    assert.equal('hostDns' in n.subnets[0]!, false);
  }
  // db gave its name servers: every host hands out those.
  for (const host of ['h2', 'h3']) {
    const n = s.get(host)!.networks.find((x) => x.name === 'db')!;
    assert.deepEqual(n.subnets[0]!.dns, ['10.10.2.53']);
    assert.equal(n.dhcpPort!.name, `dhcp_db_${host}`);
  }
  // Every address is unique on its network, DHCP ports included.
  for (const n of m.networks) {
    const used = [
      ...(n.hostDhcpPorts ?? []).flatMap((h) => h.port.fixedIps.map((f) => f.address)),
      ...m.instances
        .filter((i) => i.network === n.name)
        .flatMap((i) => i.port.fixedIps.map((f) => f.address)),
    ];
    assert.equal(new Set(used).size, used.length, n.name);
  }
});

test('per-host DHCP ports are sticky: a host joining a network takes a new address and moves no other', () => {
  const first = built();
  const t = threeHosts();
  t.instances!.push({ name: 'web3', network: 'web', host: 'h3' });
  const second = buildModel(t, { previous: JSON.parse(canonicalModelJson(first)) });
  const ports = (m: Model) =>
    Object.fromEntries(
      m.networks.flatMap((n) =>
        (n.hostDhcpPorts ?? []).map((h) => [h.port.name, h.port.fixedIps[0]!.address]),
      ),
    );
  const before = ports(first);
  const after = ports(second);
  for (const [name, address] of Object.entries(before)) assert.equal(after[name], address, name);
  assert.ok(after.dhcp_web_h3, 'h3 now has a DHCP port on web');
  assert.ok(!Object.values(before).includes(after.dhcp_web_h3!));
  // A host leaving a network gives its port up.
  const third = buildModel(threeHosts(), { previous: second });
  assert.deepEqual(ports(third), before);
});

test('slices change only where the host is concerned: an unrelated change leaves a host slice byte-equal', () => {
  const m = built();
  const t = threeHosts();
  // A new instance on h2 in no group, on web: only h2's slice changes (h1 learns of it by l2pop).
  t.instances!.push({ name: 'extra', network: 'web', host: 'h2' });
  const m2 = buildModel(t, { previous: m });
  const text = (mm: Model, h: string) => canonicalModelJson(sliceForHost(mm, h));
  assert.equal(text(m2, 'h1'), text(m, 'h1'));
  assert.equal(text(m2, 'h3'), text(m, 'h3'));
  assert.notEqual(text(m2, 'h2'), text(m, 'h2'));
  // A new member of web on h1 changes h3's slice too: h3's db group admits web's members.
  const t3 = threeHosts();
  t3.instances!.push({ name: 'web3', network: 'web', host: 'h1', securityGroups: ['web'] });
  const m3 = buildModel(t3, { previous: m });
  assert.notEqual(text(m3, 'h3'), text(m, 'h3'));
  assert.notEqual(text(m3, 'h2'), text(m, 'h2'), 'web2 on h2 is in web too');
});

test('a slice is a model: plain JSON data, and a single-host model has no hosts and only empty slices', () => {
  const m = built();
  for (const h of modelHosts(m)) {
    const s = sliceForHost(m, h);
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
    assert.deepEqual(sliceForHost(m, h), s, 'pure');
  }
  const single = buildModel(demoTopology());
  assert.deepEqual(modelHosts(single), []);
  assert.deepEqual(sliceForHost(single, 'h1').instances, []);
  // On one host nothing changes: the network-wide DHCP port and its address as name server.
  const web = single.networks.find((n) => n.name === 'db')!;
  assert.ok(web.dhcpPort);
  assert.equal('hostDhcpPorts' in web, false);
  assert.equal('hostDns' in web.subnets[0]!, false);
  assert.equal(canonicalModelJson(single).includes('hostD'), false);
});

// --- properties over random placements ------------------------------------------------------------

const HOSTS = ['h1', 'h2', 'h3', 'h4'];
const GROUPS = ['g0', 'g1', 'g2'];

/** A random topology: instances on random networks and hosts, groups naming random remote groups. */
const arbTopology = fc
  .record({
    instances: fc.array(
      fc.record({
        network: fc.integer({ min: 0, max: 2 }),
        host: fc.constantFrom(...HOSTS),
        groups: fc.subarray(GROUPS),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    remotes: fc.array(fc.option(fc.constantFrom(...GROUPS), { nil: null }), { minLength: 3, maxLength: 3 }),
    router: fc.option(fc.constantFrom(...HOSTS), { nil: null }),
  })
  .map(
    ({ instances, remotes, router }): TopologyInput => ({
      name: 'prop',
      backend: 'linuxbridge',
      networks: [0, 1, 2].map((i) => ({ name: `n${i}`, cidr: `10.${i}.0.0/24` })),
      routers: router ? [{ name: 'r', host: router, interfaces: ['n0', 'n1'] }] : [],
      securityGroups: GROUPS.map((g, i) => ({
        name: g,
        rules: [
          { direction: 'ingress', protocol: 'tcp', port: 22 },
          ...(remotes[i] ? [{ direction: 'ingress' as const, remoteGroup: remotes[i]! }] : []),
        ],
      })),
      instances: instances.map((x, i) => ({
        name: `i${i}`,
        network: `n${x.network}`,
        host: x.host,
        securityGroups: x.groups,
      })),
    }),
  );

test('property: slices partition instances and routers, carry exactly the networks used and every remote group whole in members', () => {
  fc.assert(
    fc.property(arbTopology, (input) => {
      const m = buildModel(input);
      const hosts = modelHosts(m);
      const all = hosts.map((h) => sliceForHost(m, h));
      assert.deepEqual(all.flatMap((s) => names(s.instances)).sort(), names(m.instances).sort());
      assert.deepEqual(all.flatMap((s) => names(s.routers)).sort(), names(m.routers).sort());
      for (const s of all) {
        const used = new Set([
          ...s.instances.map((i) => i.network),
          ...s.routers.flatMap((r) => r.interfaces.map((i) => i.network)),
        ]);
        assert.deepEqual(names(s.networks).sort(), [...used].sort());
        const have = new Map(s.securityGroups.map((g) => [g.name, g]));
        for (const i of s.instances)
          for (const g of i.securityGroups) assert.ok(have.get(g)!.rules.length > 0);
        for (const g of s.securityGroups) {
          const whole = m.securityGroups.find((x) => x.name === g.name)!;
          assert.deepEqual(g.members, whole.members, 'complete members');
          for (const r of g.rules) if (r.remoteGroup) assert.ok(have.has(r.remoteGroup));
        }
        for (const n of s.networks) {
          // This host's DHCP port, on the subnet, its address the name server.
          assert.equal(n.dhcpPort!.name, `dhcp_${n.name}_${s.host}`);
          const a = n.dhcpPort!.fixedIps[0]!.address;
          assert.ok(isHostOf(n.subnets[0]!.cidr, a));
          assert.deepEqual(n.subnets[0]!.dns, [a]);
        }
      }
    }),
    { numRuns: 200 },
  );
});
