import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/errors.js';
import { type RouterDesired, routerDesired, routerSpec } from '../../src/l3/desired.js';
import { processRouter } from '../../src/l3/router.js';
import { netnsPrefix } from '../../src/net/naming.js';
import { hostileString } from '../helpers/host-snapshot.js';
import { desired, L3Host, model, refusedAt, topology } from './l3-fixtures.js';

/** A desired router as plain JSON, free to break. */
// biome-ignore lint/suspicious/noExplicitAny: the tests write wrong values of every kind into it
type Draft = { router: any; networks: any[] };

/** A deep, mutable copy of the desired router, changed by `edit`. */
function edited(edit: (d: Draft) => void): RouterDesired {
  const d = JSON.parse(JSON.stringify(desired()));
  edit(d);
  return d;
}

test('the resolved router: namespace, qr-/qg- devices from the port ids, addresses, gateway, routes', () => {
  const spec = routerSpec(desired(), netnsPrefix('x-'));
  assert.equal(spec.namespace, 'x-qrouter-t1.r1');
  assert.deepEqual(
    spec.interfaces.map((p) => [p.request.device.slice(0, 3), p.cidrs, p.request.style]),
    [
      ['qr-', ['10.1.0.1/24'], 'internal'],
      ['qr-', ['10.2.0.1/24'], 'internal'],
    ],
  );
  assert.equal(spec.interfaces[0]!.request.device, `qr-${spec.interfaces[0]!.request.port.id.slice(0, 11)}`);
  assert.deepEqual(
    spec.gateway && [spec.gateway.ip, spec.gateway.port.cidrs, spec.gateway.nexthop, spec.gateway.snat],
    ['172.24.4.2', ['172.24.4.2/24'], '172.24.4.1', true],
  );
  assert.deepEqual(spec.floatingIps, [{ name: 'vm1', address: '172.24.4.100', fixedIp: '10.1.0.10' }]);
  assert.deepEqual(spec.routes, [{ destination: '10.50.0.0/24', nexthop: '10.1.0.254' }]);
  assert.equal(spec.ipv6, false);
});

test('an IPv6 subnet turns IPv6 forwarding on', () => {
  const input = topology();
  const nets = input.networks!.map((n) =>
    n.name === 'b'
      ? {
          name: 'b',
          subnets: [
            { cidr: '10.2.0.0/24', dhcp: false },
            { cidr: 'fd00:2::/64', dhcp: false },
          ],
        }
      : n,
  );
  const spec = routerSpec(desired({ ...input, networks: nets as never }));
  assert.equal(spec.ipv6, true);
  assert.deepEqual(spec.interfaces[1]!.cidrs, ['10.2.0.1/24', 'fd00:2::1/64']);
});

test('routerDesired picks the router and exactly the networks it touches', () => {
  const m = model();
  const d = routerDesired(m, 'r1');
  assert.deepEqual(d.networks.map((n) => n.name).sort(), ['a', 'b', 'ext']);
  assert.throws(() => routerDesired(m, 'nope'), refusedAt('router'));
});

const refusals: [string, string, (d: Draft) => void][] = [
  [
    'a gateway IP outside the external subnet',
    'router.gateway.ip',
    (d) => {
      d.router.gateway.ip = '172.24.5.2';
    },
  ],
  [
    'a gateway IP that is the subnet broadcast',
    'router.gateway.ip',
    (d) => {
      d.router.gateway.ip = '172.24.4.255';
    },
  ],
  [
    'an unknown network (interface)',
    'router.interfaces[0].network',
    (d) => {
      d.networks = d.networks.filter((n) => n.name !== 'a');
    },
  ],
  [
    'an unknown network (gateway)',
    'router.gateway.network',
    (d) => {
      d.router.gateway.network = 'nope';
    },
  ],
  [
    'a gateway on a network that is not external',
    'router.gateway.network',
    (d) => {
      d.router.gateway.network = 'a';
    },
  ],
  [
    'an interface on the external network',
    'router.interfaces[0].network',
    (d) => {
      d.router.interfaces[0].network = 'ext';
    },
  ],
  [
    'an interface address outside its subnet',
    'router.interfaces[1].cidrs[0]',
    (d) => {
      d.router.interfaces[1].cidrs = ['10.9.0.1/24'];
    },
  ],
  [
    'a floating IP for a fixed IP no router interface reaches',
    'router.floatingIps[0].fixedIp',
    (d) => {
      d.router.floatingIps[0].fixedIp = '10.3.0.10';
    },
  ],
  [
    'a floating IP for the router’s own address',
    'router.floatingIps[0].fixedIp',
    (d) => {
      d.router.floatingIps[0].fixedIp = '10.1.0.1';
    },
  ],
  [
    'a floating IP already in use',
    'router.floatingIps[1].address',
    (d) => {
      d.router.floatingIps.push({ ...d.router.floatingIps[0], name: 'vm2', fixedIp: '10.2.0.10' });
    },
  ],
  [
    'a floating IP equal to the gateway IP',
    'router.floatingIps[0].address',
    (d) => {
      d.router.floatingIps[0].address = '172.24.4.2';
    },
  ],
  [
    'a floating IP outside the external network',
    'router.floatingIps[0].address',
    (d) => {
      d.router.floatingIps[0].address = '10.1.0.99';
    },
  ],
  [
    'a floating IP without a gateway',
    'router.floatingIps[0]',
    (d) => {
      d.router.gateway = null;
    },
  ],
  [
    'a route whose next hop is on none of the router’s subnets',
    'router.routes[0].nexthop',
    (d) => {
      d.router.routes[0].nexthop = '10.9.0.1';
    },
  ],
  [
    'a route via the router’s own address',
    'router.routes[0].nexthop',
    (d) => {
      d.router.routes[0].nexthop = '10.1.0.1';
    },
  ],
  [
    'a destination routed twice (ECMP)',
    'router.routes[1].destination',
    (d) => {
      d.router.routes.push({ destination: '10.50.0.0/24', nexthop: '10.2.0.254' });
    },
  ],
  [
    'two interfaces on overlapping subnets',
    'router.interfaces[1]',
    (d) => {
      d.networks.find((n) => n.name === 'b').subnets[0].cidr = '10.1.0.0/16';
      d.router.interfaces[1].cidrs = ['10.1.200.1/16'];
    },
  ],
  [
    'two ports of one id',
    'router.interfaces[1].port.id',
    (d) => {
      d.router.interfaces[1].port.id = d.router.interfaces[0].port.id;
    },
  ],
  [
    'a MAC that is not one',
    'router.interfaces[0].port.mac',
    (d) => {
      d.router.interfaces[0].port.mac = 'fa:16:3e:zz:00:01';
    },
  ],
];

for (const [what, where, edit] of refusals) {
  test(`refused before anything runs: ${what} (${where})`, async () => {
    const d = edited(edit);
    assert.throws(() => routerSpec(d), refusedAt(where));
    const h = new L3Host();
    const sent = h.fakes.kernel.applied.length;
    await assert.rejects(
      processRouter(d, { executors: h.fakes.executors, driver: h.driver }),
      refusedAt(where),
    );
    assert.equal(h.fakes.kernel.applied.length, sent, 'no ip op was sent');
    assert.equal(h.fakes.kernel.calls, 0, 'nothing was even read');
    assert.equal(h.fakes.iptables.saves, 0);
  });
}

/** Paths of every string field of a desired router (the values a user could get wrong). */
function stringPaths(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof v === 'string') return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringPaths(x, [...path, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => stringPaths(x, [...path, k]));
  return [];
}

/**
 * Whether the L3 layer reads the field at `path` (fields of the model it never uses — the ports' fixed
 * IPs and names, a subnet's gateway and name servers, placement, the router's and floating IPs' own
 * ids — never reach anything, so they are not its to check).
 */
function used(path: readonly (string | number)[]): boolean {
  const key = path.at(-1);
  if (path.includes('fixedIps') || path.includes('dhcpPort')) return false;
  if (['host', 'deviceOwner', 'instance', 'dns', 'ipv6Mode'].includes(String(key))) return false;
  if (path[0] === 'router' && key === 'id' && path.length === 2) return false;
  if (path.includes('port') && (key === 'name' || key === 'network')) return false;
  if (path[1] === 'floatingIps' && (path[3] === 'owner' || key === 'id')) return false;
  if (
    path[0] === 'networks' &&
    path[2] === 'subnets' &&
    !(path.length === 5 && (key === 'name' || key === 'cidr'))
  )
    return false;
  return true;
}

test('a hostile string at any string field the layer reads is an InvalidInputError, and nothing is read or sent', async () => {
  const base = JSON.parse(JSON.stringify(desired()));
  const paths = stringPaths(base).filter(used);
  assert.ok(paths.length > 30, `${paths.length} fields`);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...paths), hostileString(), async (path, bad) => {
      const d = JSON.parse(JSON.stringify(base));
      let at = d;
      for (const k of path.slice(0, -1)) at = at[k];
      at[path.at(-1)!] = bad;
      const h = new L3Host();
      // Some generated strings are valid after all (`0--help` is a topology name): those may pass.
      // Everything else is refused with a typed error before anything is read.
      const outcome = await processRouter(d, { executors: h.fakes.executors, driver: h.driver }).then(
        () => 'applied',
        (e: unknown) => e,
      );
      if (outcome === 'applied') return;
      assert.ok(
        outcome instanceof InvalidInputError,
        `${path.join('.')} = ${JSON.stringify(bad)}: ${outcome}`,
      );
      assert.equal(h.fakes.kernel.calls, 0);
    }),
    { numRuns: 300 },
  );
});
