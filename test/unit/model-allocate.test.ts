import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, type InstanceInput, type Model, type TopologyInput } from '../../src/model/index.js';
import { expectProblem } from './model-fixtures.js';

/** A topology of one network with the named instances (no explicit addresses). */
function flat(
  names: readonly string[],
  cidr = '10.0.0.0/24',
  extra: Partial<InstanceInput> = {},
): TopologyInput {
  return {
    name: 'alloc',
    networks: [{ name: 'lan', cidr }],
    instances: names.map((name) => ({ name, network: 'lan', ...extra })),
  };
}

const names = (n: number, lead = 'vm') => Array.from({ length: n }, (_, i) => `${lead}${i}`);

/** Instance name → [address, MAC]. */
function held(m: Model): Map<string, [string, string]> {
  return new Map(m.instances.map((i) => [i.name, [i.port.fixedIps[0]!.address, i.port.mac]]));
}

test('allocation is deterministic: the same input gives the same model', () => {
  assert.deepEqual(buildModel(flat(names(30))), buildModel(flat(names(30))));
});

test('the order of the input moves nothing: reversed and shuffled lists allocate the same', () => {
  const list = names(40);
  const base = held(buildModel(flat(list)));
  assert.deepEqual(held(buildModel(flat([...list].reverse()))), base);
  const shuffled = [...list].sort(
    (a, b) =>
      ((a.length * 7 + a.charCodeAt(a.length - 1)) % 11) - ((b.length * 7 + b.charCodeAt(b.length - 1)) % 11),
  );
  assert.deepEqual(held(buildModel(flat(shuffled))), base);
});

test('without previous, inserting an instance in the middle of the file moves no other one (big subnet)', () => {
  const before = held(buildModel(flat(['alpha', 'bravo', 'charlie', 'delta'])));
  const after = held(buildModel(flat(['alpha', 'bravo', 'bravo2', 'charlie', 'delta'])));
  for (const [name, v] of before) assert.deepEqual(after.get(name), v, name);
});

test('with previous, adding and removing instances never renumbers the others, even in a crowded subnet', () => {
  // A /27 (30 hosts, gateway and DHCP port take 2): 20 instances, then 8 more, then 10 fewer.
  const first = names(20);
  const m1 = buildModel(flat(first, '10.0.0.0/27'));
  const grown = [...first.slice(0, 10), ...names(8, 'new'), ...first.slice(10)];
  const m2 = buildModel(flat(grown, '10.0.0.0/27'), { previous: m1 });
  const h1 = held(m1);
  const h2 = held(m2);
  for (const [name, v] of h1) assert.deepEqual(h2.get(name), v, name);
  assert.equal(new Set([...h2.values()].map((v) => v[0])).size, 28);
  // Without previous, the same growth does move someone: that is what previous is for.
  const fresh = held(buildModel(flat(grown, '10.0.0.0/27')));
  assert.ok([...h1].some(([name, v]) => fresh.get(name)![0] !== v[0]));

  const shrunk = grown.filter((_, i) => i % 3 !== 0);
  const h3 = held(buildModel(flat(shrunk, '10.0.0.0/27'), { previous: m2 }));
  for (const [name, v] of h3) assert.deepEqual(v, h2.get(name), name);
});

test('previous allocations are kept for router gateways, DHCP ports, floating IPs and VNIs too', () => {
  const input = (extra: number): TopologyInput => ({
    name: 'sticky',
    defaults: { host: 'h1' },
    networks: [
      { name: 'lan', cidr: '10.0.0.0/28' },
      { name: 'ext', cidr: '192.0.2.0/28', external: true },
      ...names(extra, 'n').map((name, i) => ({ name, cidr: `10.1.${i}.0/24` })),
    ],
    routers: [{ name: 'r', gateway: { network: 'ext' }, interfaces: ['lan'] }],
    instances: [
      { name: 'a', network: 'lan' },
      ...names(extra, 'x').map((name) => ({ name, network: 'ext' })),
    ],
    floatingIps: [{ instance: 'a' }],
  });
  const m1 = buildModel(input(0));
  const m2 = buildModel(input(6), { previous: m1 });
  const r1 = m1.routers[0]!;
  const r2 = m2.routers[0]!;
  assert.equal(r2.gateway!.ip, r1.gateway!.ip);
  assert.equal(r2.gateway!.port.mac, r1.gateway!.port.mac);
  assert.equal(r2.floatingIps[0]!.address, r1.floatingIps[0]!.address);
  for (const n of m1.networks) {
    const now = m2.networks.find((x) => x.name === n.name)!;
    assert.deepEqual(now.dhcpPort, n.dhcpPort);
    assert.equal(now.vni, n.vni);
  }
});

test('a previous address that is no longer valid or free is given up; explicit addresses win', () => {
  const m1 = buildModel(flat(['a', 'b']));
  const bAddr = held(m1).get('b')![0];
  // a now asks for b's address explicitly: a gets it, b moves, nothing else breaks
  const t: TopologyInput = {
    ...flat(['a', 'b']),
    instances: [
      { name: 'a', network: 'lan', ip: bAddr },
      { name: 'b', network: 'lan' },
    ],
  };
  const m2 = held(buildModel(t, { previous: m1 }));
  assert.equal(m2.get('a')![0], bAddr);
  assert.notEqual(m2.get('b')![0], bAddr);
  // the subnet changed: previous addresses outside it are dropped
  const m3 = held(buildModel(flat(['a', 'b'], '10.9.0.0/24'), { previous: m1 }));
  for (const [addr] of m3.values()) assert.match(addr, /^10\.9\.0\./);
});

test('a previous model of another topology, or garbage, is ignored without an error', () => {
  const m1 = buildModel(flat(['a', 'b']));
  const other = { ...m1, topology: 'other' } as Model;
  assert.deepEqual(buildModel(flat(['a', 'b']), { previous: other }), m1);
  for (const junk of [{}, [], 'x', 7, { topology: 'alloc', networks: 'x', instances: [null, { port: 5 }] }]) {
    assert.deepEqual(buildModel(flat(['a', 'b']), { previous: junk as unknown as Model }), m1);
  }
  const broken = JSON.parse(JSON.stringify(m1)) as {
    instances: { port: { mac: string; fixedIps: { address: string }[] } }[];
  };
  broken.instances[0]!.port.mac = '01:00:5e:00:00:01';
  broken.instances[0]!.port.fixedIps[0]!.address = '10.0.0.0';
  assert.deepEqual(buildModel(flat(['a', 'b']), { previous: broken as unknown as Model }), m1);
});

test('derived MACs are fa:16:3e plus a hash; a collision with an explicit MAC re-probes to the next', () => {
  const m1 = buildModel(flat(['a', 'b']));
  const bMac = held(m1).get('b')![1];
  assert.match(bMac, /^fa:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
  const t: TopologyInput = {
    ...flat(['a', 'b']),
    instances: [
      { name: 'a', network: 'lan', mac: bMac },
      { name: 'b', network: 'lan' },
    ],
  };
  const m2 = held(buildModel(t));
  const next = (Number.parseInt(bMac.slice(9).replaceAll(':', ''), 16) + 1).toString(16).padStart(6, '0');
  assert.equal(m2.get('b')![1], `fa:16:3e:${next.slice(0, 2)}:${next.slice(2, 4)}:${next.slice(4)}`);
});

test('the DHCP port takes the first free address after the gateway', () => {
  const t: TopologyInput = { ...flat([]), instances: [{ name: 'a', network: 'lan', ip: '10.0.0.2' }] };
  const m = buildModel(t);
  assert.equal(m.networks[0]!.dhcpPort!.fixedIps[0]!.address, '10.0.0.3');
  const g: TopologyInput = {
    name: 'g',
    networks: [{ name: 'lan', cidr: '10.0.0.0/24', gateway: '10.0.0.254' }],
  };
  // after the last host it wraps round to the first
  assert.equal(buildModel(g).networks[0]!.dhcpPort!.fixedIps[0]!.address, '10.0.0.1');
});

test('extra routes: their next hops are not handed out to new ports', () => {
  // /29: hosts .1-.6; gateway .1 (the router), DHCP off; next hops .2-.5 leave .6 for the instance
  const t: TopologyInput = {
    name: 'nh',
    networks: [{ name: 'lan', cidr: '10.0.0.0/29', dhcp: false }],
    routers: [
      {
        name: 'r',
        interfaces: ['lan'],
        routes: [2, 3, 4, 5].map((h) => ({ destination: `10.${h}.0.0/16`, nexthop: `10.0.0.${h}` })),
      },
    ],
    instances: [{ name: 'a', network: 'lan' }],
  };
  assert.equal(buildModel(t).instances[0]!.port.fixedIps[0]!.address, '10.0.0.6');
});

test('a full subnet is a problem at the instance that did not fit', () => {
  // /29: 6 hosts, gateway and DHCP port take 2, so 4 instances fit and the 5th does not
  const problems = expectProblem(
    flat(names(5), '10.0.0.0/29'),
    ['instances', 4],
    'no free address left in 10.0.0.0/29',
  );
  assert.match(problems.message, /instance vm\d/);
});

test('allocating 200 instances in a /24 takes well under 250 ms (about 10 ms quiet; the margin is for a loaded 2-core machine)', () => {
  const input = flat(names(200));
  buildModel(input); // warm the JIT
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const m = buildModel(input);
    runs.push(performance.now() - t0);
    assert.equal(new Set(m.instances.map((x) => x.port.fixedIps[0]!.address)).size, 200);
  }
  runs.sort((a, b) => a - b);
  const median = runs[2]!;
  assert.ok(median < 250, `median ${median.toFixed(1)} ms`);
  console.log(
    `# 200 instances in a /24: median ${median.toFixed(1)} ms (runs ${runs.map((r) => r.toFixed(1)).join(', ')})`,
  );
});
