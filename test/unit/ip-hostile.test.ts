import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TenantnetError } from '../../src/errors.js';
import * as ip from '../../src/ip/index.js';
import * as net from '../../src/net/index.js';
import { FakeIpKernel } from '../fakes/ip.js';
import { hostileString } from '../helpers/host-snapshot.js';

// What must never appear in an `ip -batch` line: anything that ends a line, starts a comment or
// opens a quote in ip's batch parser.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029"'\\#]/;

/** Every public op builder, with one string parameter taken from the property. */
const builders: [string, (h: string) => ip.IpOp[]][] = [
  ['veth name', (h) => Object.values(ip.vethOps(ip.vethSpec({ name: h, peer: 'b' }))).flat()],
  ['veth peer', (h) => Object.values(ip.vethOps(ip.vethSpec({ name: 'a', peer: h }))).flat()],
  [
    'veth namespace',
    (h) => Object.values(ip.vethOps(ip.vethSpec({ namespace: h, name: 'a', peer: 'b' }))).flat(),
  ],
  [
    'veth peerNamespace',
    (h) => Object.values(ip.vethOps(ip.vethSpec({ name: 'a', peer: 'b', peerNamespace: h }))).flat(),
  ],
  ['veth mac', (h) => Object.values(ip.vethOps(ip.vethSpec({ name: 'a', peer: 'b', mac: h }))).flat()],
  [
    'veth peerMac',
    (h) => Object.values(ip.vethOps(ip.vethSpec({ name: 'a', peer: 'b', peerMac: h }))).flat(),
  ],
  [
    'veth owner',
    (h) =>
      Object.values(ip.vethOps(ip.vethSpec({ name: 'a', peer: 'b', owner: { owner: h, group: 1 } }))).flat(),
  ],
  ['bridge name', (h) => ip.bridgeOps(ip.bridgeSpec({ name: h }))],
  [
    'bridge owner',
    (h) => ip.bridgeOps(ip.bridgeSpec({ name: 'br', up: true, owner: { owner: h, group: 2 } })),
  ],
  ['vxlan name', (h) => ip.vxlanOps(ip.vxlanSpec({ name: h, vni: 1 }))],
  ['vxlan local', (h) => ip.vxlanOps(ip.vxlanSpec({ name: 'v', vni: 1, local: h }))],
  ['vxlan remote', (h) => ip.vxlanOps(ip.vxlanSpec({ name: 'v', vni: 1, remote: h }))],
  ['vxlan group', (h) => ip.vxlanOps(ip.vxlanSpec({ name: 'v', vni: 1, group: h, dev: 'e' }))],
  ['vxlan dev', (h) => ip.vxlanOps(ip.vxlanSpec({ name: 'v', vni: 1, dev: h }))],
  ['set name', (h) => ip.setLinkOps(ip.setLinkSpec({ name: h, up: true }))],
  ['set mac', (h) => ip.setLinkOps(ip.setLinkSpec({ name: 'a', mac: h }))],
  ['set newName', (h) => ip.setLinkOps(ip.setLinkSpec({ name: 'a', newName: h }))],
  ['set alias', (h) => ip.setLinkOps(ip.setLinkSpec({ name: 'a', alias: h }))],
  ['set master', (h) => ip.setLinkOps(ip.setLinkSpec({ name: 'a', master: h }))],
  ['set moveTo', (h) => ip.setLinkOps(ip.setLinkSpec({ name: 'a', moveTo: h }))],
  ['delete name', (h) => ip.deleteLinkOps(net.deviceName(h))],
  ['address dev', (h) => ip.addAddressOps(ip.addressSpec({ dev: h, cidr: '10.0.0.1/24' }))],
  ['address cidr', (h) => ip.addAddressOps(ip.addressSpec({ dev: 'a', cidr: h }))],
  ['address scope', (h) => ip.addAddressOps(ip.addressSpec({ dev: 'a', cidr: '10.0.0.1/24', scope: h }))],
  ['address delete', (h) => ip.deleteAddressOps(ip.addressSpec({ dev: 'a', cidr: h }))],
  ['plan dev', (h) => ip.planAddresses(h, ['10.0.0.1/24'], [])],
  ['plan want', (h) => ip.planAddresses('a', [h], [])],
  ['route to', (h) => ip.addRouteOps(ip.routeSpec({ to: h }))],
  ['route via', (h) => ip.replaceRouteOps(ip.routeSpec({ to: 'default', via: h }))],
  ['route dev', (h) => ip.addRouteOps(ip.routeSpec({ to: '10.0.0.0/8', dev: h }))],
  ['route src', (h) => ip.addRouteOps(ip.routeSpec({ to: '10.0.0.0/8', dev: 'a', src: h }))],
  ['route table', (h) => ip.deleteRouteOps(ip.routeSpec({ to: '10.0.0.0/8', table: h }))],
  ['route scope', (h) => ip.addRouteOps(ip.routeSpec({ to: '10.0.0.0/8', scope: h as net.RouteScope }))],
  ['rule from', (h) => ip.addRuleOps(ip.ruleSpec({ from: h }))],
  ['rule to', (h) => ip.addRuleOps(ip.ruleSpec({ to: h }))],
  ['rule iif', (h) => ip.deleteRuleOps(ip.ruleSpec({ iif: h }))],
  ['rule table', (h) => ip.addRuleOps(ip.ruleSpec({ from: '10.0.0.0/8', table: h }))],
  [
    'neighbour address',
    (h) => ip.addNeighbourOps(ip.neighbourSpec({ address: h, mac: '02:00:00:00:00:01', dev: 'a' })),
  ],
  ['neighbour mac', (h) => ip.addNeighbourOps(ip.neighbourSpec({ address: '10.0.0.1', mac: h, dev: 'a' }))],
  [
    'neighbour dev',
    (h) => ip.addNeighbourOps(ip.neighbourSpec({ address: '10.0.0.1', mac: '02:00:00:00:00:01', dev: h })),
  ],
  ['sysctl key', (h) => ip.sysctlOps(ip.sysctlSpec('q', { [h]: 1 }))],
  ['sysctl value', (h) => ip.sysctlOps(ip.sysctlSpec('q', { 'net.ipv4.ip_forward': h }))],
  ['sysctl namespace', (h) => ip.sysctlOps(ip.sysctlSpec(h, { 'net.ipv4.ip_forward': 1 }))],
  ['namespace', (h) => Object.values(ip.createNamespaceOps(net.namespaceName(h))).flat()],
];

test('no op built by a public builder from a hostile string renders an unsafe batch line', () => {
  fc.assert(
    fc.property(fc.constantFrom(...builders), hostileString(), ([, build], h) => {
      let ops: ip.IpOp[];
      try {
        ops = build(h);
      } catch (e) {
        assert.ok(e instanceof TenantnetError, `untyped error: ${e}`);
        return;
      }
      for (const o of ops) assert.doesNotMatch(ip.batchLine(o), UNSAFE);
    }),
    { numRuns: 3000 },
  );
});

test('a forged op carrying a hostile string is refused by the line builder, never rendered unsafe', () => {
  const d = net.deviceName('a');
  const forge: ((h: string) => unknown)[] = [
    (h) => ({ op: 'link.show', name: h }),
    (h) => ({ op: 'link.set', name: d, set: { alias: h } }),
    (h) => ({ op: 'link.set', name: d, set: { mtu: h } }),
    (h) => ({ op: 'link.set', name: d, set: { namespace: h } }),
    (h) => ({ op: 'addr.add', cidr: h, dev: d }),
    (h) => ({ op: 'addr.add', cidr: '10.0.0.1/24', dev: d, scope: h }),
    (h) => ({ op: 'route.add', route: { to: h } }),
    (h) => ({ op: 'route.add', route: { to: 'default', table: h } }),
    (h) => ({ op: 'route.add', route: { to: 'default', metric: h } }),
    (h) => ({ op: 'rule.add', rule: { from: h } }),
    (h) => ({ op: 'neigh.replace', address: '10.0.0.1', mac: h, dev: d, permanent: true }),
    (h) => ({ op: 'sysctl', namespace: 'q', settings: [h] }),
    (h) => ({ op: 'veth.add', name: d, peer: d, peerNamespace: h }),
    (h) => ({ op: 'vxlan.add', name: d, vxlan: { vni: 1, remote: h } }),
    (h) => ({ op: h }),
  ];
  fc.assert(
    fc.property(fc.constantFrom(...forge), hostileString(), (make, h) => {
      let line: string;
      try {
        line = ip.batchLine(make(h) as ip.IpOp);
      } catch (e) {
        assert.ok(e instanceof TenantnetError, `untyped error: ${e}`);
        return;
      }
      assert.doesNotMatch(line, UNSAFE);
    }),
    { numRuns: 3000 },
  );
});

test('verbs on the fake kernel give a typed error or keep a hostile value verbatim, and converge', async () => {
  const kernel = new FakeIpKernel();
  const via = { executor: kernel };
  await ip.createNamespace('q', { ...via, promoteSecondaries: false });
  await ip.addBridge({ ...via, namespace: 'q', name: 'br' });
  const typed = (e: unknown) => assert.ok(e instanceof TenantnetError, `untyped error: ${e}`);
  const cases: ((h: string) => Promise<void>)[] = [
    async (h) => {
      await ip.addBridge({ ...via, namespace: 'q', name: h });
      assert.equal((await ip.getLink({ ...via, namespace: 'q', name: h })).name, h);
      assert.equal(await ip.deleteLink({ ...via, namespace: 'q', name: h }), true);
      assert.equal(await ip.deleteLink({ ...via, namespace: 'q', name: h }), false);
    },
    async (h) => {
      await ip.setLink({ ...via, namespace: 'q', name: 'br', alias: h });
      assert.equal((await ip.getLink({ ...via, namespace: 'q', name: 'br' })).alias, h);
    },
    async (h) => {
      await ip.addBridge({ ...via, namespace: 'q', name: 'own', owner: { owner: h, group: 5 } });
      assert.equal((await ip.getLink({ ...via, namespace: 'q', name: 'own' })).owner, h);
      assert.equal(await ip.deleteLinkGroup({ ...via, namespace: 'q', group: 5, owner: h }), true);
    },
    async (h) => {
      await ip.addAddress({ ...via, namespace: 'q', dev: 'br', cidr: h });
      const c = net.cidr(h);
      assert.ok((await ip.listAddresses({ ...via, namespace: 'q', dev: 'br' })).some((a) => a.cidr === c));
      assert.equal(await ip.deleteAddress({ ...via, namespace: 'q', dev: 'br', cidr: h }), true);
    },
    async (h) => {
      assert.equal(await ip.createNamespace(h, { ...via, promoteSecondaries: false }), true);
      assert.ok(kernel.namespaces().includes(h));
      assert.equal(await ip.deleteNamespace(h, via), true);
    },
    async (h) => {
      await ip.listLinks({ ...via, namespace: h });
      assert.fail(`namespace ${JSON.stringify(h)} was accepted though it does not exist`);
    },
    async (h) => {
      await ip.sysctl('q', { [h]: 1 }, via);
      assert.equal(kernel.ns('q')!.sysctl.get(h), '1');
    },
  ];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...cases.keys()), hostileString(), async (i, h) => {
      await cases[i]!(h).catch(typed);
    }),
    { numRuns: 1000 },
  );
});
