import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildModel, type Model, ModelError, type Port, type TopologyInput } from '../../src/model/index.js';
import { hostCount, isHostOf, nthHost } from '../../src/net/cidr.js';
import type { Cidr } from '../../src/net/types.js';
import { hostileString } from '../helpers/host-snapshot.js';
import { demoTopology } from './model-fixtures.js';

// --- random small topologies ---------------------------------------------------------------------

const arbShape = fc.record({
  nets: fc.array(
    fc.record({
      v6: fc.boolean(),
      block: fc.integer({ min: 0, max: 3 }),
      prefix: fc.integer({ min: 24, max: 29 }),
      dhcp: fc.boolean(),
      external: fc.boolean(),
      dual: fc.boolean(),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  instances: fc.array(
    fc.record({
      net: fc.nat(),
      ip: fc.option(fc.nat(400), { freq: 3 }),
      mac: fc.option(fc.integer({ min: 0, max: 63 }), { freq: 2 }),
      grouped: fc.boolean(),
    }),
    { maxLength: 12 },
  ),
  routers: fc.array(
    fc.record({ ifaces: fc.uniqueArray(fc.nat(3), { maxLength: 3 }), gateway: fc.boolean() }),
    {
      maxLength: 2,
    },
  ),
  fips: fc.uniqueArray(fc.nat(11), { maxLength: 2 }),
});

type Shape = typeof arbShape extends fc.Arbitrary<infer T> ? T : never;

function topologyOf(s: Shape): TopologyInput {
  const cidrOf = (n: Shape['nets'][number]) =>
    n.v6 ? `fd00:${n.block}::/${n.prefix === 24 ? 64 : 120}` : `10.0.${n.block * 16}.0/${n.prefix}`;
  const networks = s.nets.map((n, i) => ({
    name: `n${i}`,
    subnets: [
      { cidr: cidrOf(n), dhcp: n.dhcp },
      ...(n.dual ? [{ cidr: n.v6 ? `10.1.${n.block}.0/24` : `fd01:${n.block}::/64` }] : []),
    ],
    external: n.external,
  }));
  const external = networks.find((n) => n.external);
  const instances = s.instances.map((v, i) => {
    const net = networks[v.net % networks.length]!;
    const cidr = net.subnets[0]!.cidr as Cidr;
    return {
      name: `i${i}`,
      network: net.name,
      ...(v.ip === null ? {} : { ip: nthHost(cidr, BigInt(v.ip) % hostCount(cidr))! }),
      ...(v.mac === null ? {} : { mac: `fa:16:3e:00:00:${v.mac.toString(16).padStart(2, '0')}` }),
      ...(v.grouped ? { securityGroups: ['g'] } : {}),
    };
  });
  return {
    name: 'prop',
    networks,
    routers: s.routers.map((r, i) => ({
      name: `r${i}`,
      interfaces: r.ifaces.filter((k) => k < networks.length && !networks[k]!.external).map((k) => `n${k}`),
      ...(r.gateway && external ? { gateway: { network: external.name } } : {}),
    })),
    securityGroups: [
      { name: 'g', rules: [{ direction: 'ingress', remoteGroup: 'g' }, { direction: 'egress' }] },
    ],
    instances,
    floatingIps: s.fips.filter((k) => k < instances.length).map((k) => ({ instance: `i${k}` })),
  };
}

function ports(m: Model): Port[] {
  return [
    ...m.networks.flatMap((n) => (n.dhcpPort ? [n.dhcpPort] : [])),
    ...m.routers.flatMap((r) => [...r.interfaces.map((i) => i.port), ...(r.gateway ? [r.gateway.port] : [])]),
    ...m.instances.map((i) => i.port),
  ];
}

function checkInvariants(m: Model): void {
  const subnets = new Map(m.networks.flatMap((n) => n.subnets.map((s) => [s.name, s] as const)));
  const perNetwork = new Map<string, string[]>();
  const use = (network: string, address: string) => {
    const list = perNetwork.get(network) ?? [];
    list.push(address);
    perNetwork.set(network, list);
  };
  for (const p of ports(m)) {
    for (const f of p.fixedIps) {
      const s = subnets.get(f.subnet)!;
      assert.equal(s.network, p.network);
      assert.ok(isHostOf(s.cidr, f.address), `${f.address} is a host of ${s.cidr}`);
      use(p.network, f.address);
    }
  }
  for (const r of m.routers) {
    for (const f of r.floatingIps) {
      use(f.network, f.address);
      const s = m.networks
        .find((n) => n.name === f.network)!
        .subnets.find((x) => isHostOf(x.cidr, f.address));
      assert.ok(s && s.gateway !== f.address);
    }
  }
  for (const [network, list] of perNetwork) {
    assert.equal(new Set(list).size, list.length, `addresses unique on ${network}: ${list}`);
  }
  const macs = ports(m).map((p) => p.mac);
  assert.equal(new Set(macs).size, macs.length, 'MACs unique');
  const ids = [
    ...m.networks.flatMap((n) => [n.id, ...n.subnets.map((s) => s.id)]),
    ...ports(m).map((p) => p.id),
    ...m.routers.flatMap((r) => [r.id, ...r.floatingIps.map((f) => f.id)]),
    ...m.securityGroups.map((g) => g.id),
    ...m.instances.map((i) => i.id),
  ];
  assert.equal(new Set(ids).size, ids.length, 'ids unique');
}

test('random small topologies: a model with unique, in-subnet addresses, unique MACs and ids, or a ModelError', () => {
  let built = 0;
  let refused = 0;
  fc.assert(
    fc.property(arbShape, (shape) => {
      const input = topologyOf(shape);
      let m: Model;
      try {
        m = buildModel(input);
      } catch (e) {
        assert.ok(e instanceof ModelError, `untyped error: ${e}`);
        assert.ok(e.problems.length > 0);
        refused++;
        return;
      }
      built++;
      checkInvariants(m);
      const copy = JSON.parse(JSON.stringify(m)) as Model;
      assert.deepEqual(buildModel(input, { previous: copy }), m);
    }),
    { numRuns: 300 },
  );
  // Both outcomes must be common, or the property proves little.
  assert.ok(built > 60 && refused > 30, `built ${built}, refused ${refused}`);
});

// --- hostile strings -------------------------------------------------------------------------------

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
type Field = { path: (string | number)[]; valid?: (s: string) => boolean };
const FIELDS: Field[] = [
  { path: ['name'], valid: (s) => NAME.test(s) },
  { path: ['networks', 0, 'name'], valid: (s) => NAME.test(s) },
  { path: ['networks', 0, 'cidr'] },
  { path: ['networks', 0, 'gateway'] },
  { path: ['networks', 0, 'dns', 0] },
  { path: ['routers', 0, 'name'], valid: (s) => NAME.test(s) },
  { path: ['routers', 0, 'gateway', 'network'], valid: (s) => s === 'public' },
  { path: ['routers', 0, 'gateway', 'ip'] },
  { path: ['routers', 0, 'interfaces', 0], valid: (s) => s === 'web' },
  { path: ['routers', 0, 'routes', 0, 'destination'] },
  { path: ['routers', 0, 'routes', 0, 'nexthop'] },
  { path: ['securityGroups', 0, 'name'], valid: (s) => NAME.test(s) },
  { path: ['securityGroups', 0, 'rules', 0, 'protocol'], valid: (s) => s.toLowerCase() === 'ipv6-icmp' },
  { path: ['securityGroups', 0, 'rules', 0, 'port'], valid: (s) => /^\d{1,5}(-\d{1,5})?$/.test(s) },
  { path: ['securityGroups', 0, 'rules', 2, 'remoteIp'] },
  { path: ['securityGroups', 0, 'rules', 1, 'remoteGroup'], valid: (s) => s === 'web' },
  { path: ['instances', 0, 'name'], valid: (s) => NAME.test(s) },
  { path: ['instances', 0, 'network'], valid: (s) => s === 'web' },
  { path: ['instances', 0, 'ip'] },
  { path: ['instances', 0, 'mac'] },
  { path: ['instances', 0, 'host'], valid: (s) => NAME.test(s) },
  { path: ['instances', 0, 'securityGroups', 0], valid: (s) => s === 'web' },
  { path: ['instances', 0, 'allowedAddressPairs', 0, 'ip'] },
  { path: ['floatingIps', 0, 'instance'], valid: (s) => s === 'web1' },
  { path: ['floatingIps', 0, 'address'] },
  { path: ['defaults', 'host'], valid: (s) => NAME.test(s) },
];

function setAt(root: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  path.slice(0, -1).forEach((key, i) => {
    if (node[key] === undefined) node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
  node[path[path.length - 1]!] = value;
}

// buildModel cannot touch the host (model-build.test.ts checks its imports), so no host snapshot here:
// on this shared machine other runs' namespaces would show up in one.
test('a hostile string in any name or address field is a ModelError naming that field', () => {
  fc.assert(
    fc.property(fc.constantFrom(...FIELDS), hostileString(), (field, hostile) => {
      fc.pre(!field.valid?.(hostile));
      const t = demoTopology();
      setAt(t, field.path, hostile);
      let error: unknown;
      try {
        buildModel(t);
      } catch (e) {
        error = e;
      }
      assert.ok(
        error instanceof ModelError,
        `expected a ModelError for ${JSON.stringify(field.path)}, got ${error}`,
      );
      assert.ok(
        error.problems.some((p) => JSON.stringify(p.path) === JSON.stringify(field.path)),
        `no problem at ${JSON.stringify(field.path)}: ${JSON.stringify(error.problems)}`,
      );
    }),
    { numRuns: 400 },
  );
});
