import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConntrackFilter } from '../../src/iptables/conntrack.js';
import { ROUTER_SYSCTLS } from '../../src/l3/namespace.js';
import { L3_TAG, savedFloatingIps } from '../../src/l3/nat.js';
import type { NamespaceName } from '../../src/net/types.js';
import type { Change } from '../../src/reconcile/step.js';
import { desired, ipOps, L3Host, topology } from './l3-fixtures.js';

const NS = 'qrouter-t1.r1';

/** Every conntrack filter of a router change's steps. */
function conntrack(c: Change | undefined): ConntrackFilter[] {
  return (c?.steps ?? []).flatMap((s) => (s.via === 'conntrack' ? s.filters : []));
}

function links(h: L3Host, ns: string | null): string[] {
  return (h.fakes.kernel.ns(ns)?.links ?? []).map((l) => l.name).filter((n) => n !== 'lo');
}

function addresses(h: L3Host, dev: string): string[] {
  const l = h.fakes.kernel.ns(NS)?.links.find((x) => x.name === dev);
  return (l?.addresses ?? []).map((a) => String((a as { cidr?: string }).cidr ?? a)).sort();
}

async function nat(h: L3Host): Promise<string> {
  return h.fakes.iptables.save(NS, 4);
}

for (const backend of ['linuxbridge', 'ovs'] as const) {
  describe(`a router on the ${backend} driver (fakes)`, () => {
    async function host(): Promise<L3Host> {
      const h = new L3Host(backend);
      if (backend === 'ovs') await h.bridge();
      return h;
    }

    test('converges in one apply; a re-apply plans nothing', async () => {
      const h = await host();
      const { changes, operations } = await h.apply(desired());
      assert.ok(operations > 0);
      const router = changes.find((c) => c.resource.kind === 'router')!;
      assert.equal(router.action, 'create');
      assert.deepEqual(
        router.after?.map((r) => r.name).sort(),
        ['qg_r1', 'qr_r1_a', 'qr_r1_b'],
        'the router comes after its ports',
      );
      const ns = h.fakes.kernel.ns(NS)!;
      assert.equal(ns.link('lo')!.alias, 'tenantnet:t1.router.r1');
      for (const [k, v] of Object.entries(ROUTER_SYSCTLS)) assert.equal(ns.sysctl.get(k), v, k);
      assert.equal(ns.sysctl.get('net.ipv6.conf.all.forwarding'), undefined, 'no IPv6 subnet');
      const devs = links(h, NS).sort();
      assert.equal(devs.length, 3);
      const qg = devs.find((d) => d.startsWith('qg-'))!;
      assert.deepEqual(addresses(h, qg), ['172.24.4.100/32', '172.24.4.2/24']);
      const routes = ns.routes.map((r) => `${r.to} via ${r.via ?? '-'}`).sort();
      assert.deepEqual(routes, ['10.50.0.0/24 via 10.1.0.254', 'default via 172.24.4.1']);
      const text = await nat(h);
      assert.match(text, new RegExp(`-A tn-l3-snat -o ${qg} -j SNAT --to-source 172.24.4.2`));
      assert.deepEqual([...savedFloatingIps(text)], [['172.24.4.100', '10.1.0.10']]);
      assert.deepEqual(await h.plan(desired()), []);
    });

    test('adding a floating IP touches only it: one address, one announcement, three NAT lines', async () => {
      const h = await host();
      await h.apply(desired());
      const more = desired(
        topology({
          floatingIps: [
            { instance: 'vm1', address: '172.24.4.100' },
            { instance: 'vm2', address: '172.24.4.101' },
          ],
        }),
      );
      const changes = await h.plan(more);
      assert.deepEqual(
        changes.map((c) => `${c.action} ${c.resource.kind} ${c.resource.name}`),
        ['update router r1'],
      );
      const ops = ipOps(changes);
      assert.equal(ops.length, 2, ops.join('\n'));
      assert.match(ops[0]!, /"op":"addr.add","cidr":"172.24.4.101\/32"/);
      assert.match(ops[1]!, /"op":"link.set".*"mac"/, 'the gateway port MAC set to itself: a gratuitous ARP');
      const ipt = changes[0]!.steps.find((s) => s.via === 'iptables');
      assert.equal(ipt?.via === 'iptables' && ipt.planned.operations, 3);
      assert.equal(
        changes[0]!.steps.some((s) => s.via === 'conntrack'),
        false,
      );
      await h.apply(more);
      assert.deepEqual(await h.plan(more), []);
    });

    test('removing a floating IP removes its address and rules and deletes its conntrack entries', async () => {
      const h = await host();
      await h.apply(desired());
      // A flow to the floating IP (DNATed to the instance) and one that has nothing to do with it. (The
      // flows SNATed to it, whose replies go to it, are `-q`'s: proved on a real kernel.)
      h.fakes.conntrack.add(NS, {
        protocol: 'tcp',
        src: '172.24.4.9',
        dst: '172.24.4.100',
        replyDst: '10.1.0.10',
      });
      h.fakes.conntrack.add(NS, { protocol: 'tcp', src: '10.2.0.10', dst: '10.1.0.10' });
      const fewer = desired(topology({ floatingIps: [] }));
      const changes = await h.plan(fewer);
      assert.deepEqual(
        changes.map((c) => `${c.action} ${c.resource.kind}`),
        ['update router'],
      );
      assert.deepEqual(conntrack(changes[0]), [
        { family: 4, dst: '172.24.4.100' },
        { family: 4, replyDst: '172.24.4.100' },
      ]);
      await h.apply(fewer);
      assert.deepEqual(
        (h.fakes.conntrack.flows.get(NS) ?? []).map((f) => f.dst),
        ['10.1.0.10'],
        'only the unrelated flow stays',
      );
      assert.equal(savedFloatingIps(await nat(h)).size, 0);
      const qg = links(h, NS).find((d) => d.startsWith('qg-'))!;
      assert.deepEqual(addresses(h, qg), ['172.24.4.2/24']);
      assert.deepEqual(await h.plan(fewer), []);
    });

    test('a floating IP moved to another fixed IP cuts the flows of the old mapping', async () => {
      const h = await host();
      await h.apply(desired());
      const moved = desired(topology({ floatingIps: [{ instance: 'vm2', address: '172.24.4.100' }] }));
      const changes = await h.plan(moved);
      assert.deepEqual(
        conntrack(changes[0]).map((f) => f.dst ?? f.replyDst),
        ['172.24.4.100', '172.24.4.100'],
      );
      assert.deepEqual(ipOps(changes), [], 'the address stays');
      await h.apply(moved);
      assert.deepEqual([...savedFloatingIps(await nat(h))], [['172.24.4.100', '10.2.0.10']]);
    });

    test('a namespace deleted by hand is rebuilt completely, then nothing is planned', async () => {
      const h = await host();
      await h.apply(desired());
      const before = { devs: links(h, NS).sort(), nat: await nat(h) };
      await h.fakes.kernel.apply(null, [{ op: 'netns.del', name: NS as NamespaceName }]);
      h.fakes.iptables.load(NS, 4, '');
      h.fakes.vswitchd();
      const changes = await h.plan(desired());
      assert.equal(changes.find((c) => c.resource.kind === 'router')?.action, 'create');
      await h.apply(desired());
      assert.deepEqual(links(h, NS).sort(), before.devs);
      assert.equal(await nat(h), before.nat);
      assert.deepEqual(await h.plan(desired()), []);
    });

    test('an interface removed is unplugged alone; the other ports are not touched', async () => {
      const h = await host();
      await h.apply(desired());
      const one = desired(topology({}, { interfaces: ['a'] }));
      const changes = await h.plan(one);
      assert.deepEqual(
        changes.map((c) => `${c.action} ${c.resource.kind} ${c.resource.name}`),
        ['delete port qr_r1_b'],
      );
      await h.apply(one);
      assert.equal(links(h, NS).filter((d) => d.startsWith('qr-')).length, 1);
      assert.deepEqual(await h.plan(one), []);
    });

    test('an MTU change is one link set mtu per link of each plug on the network', async () => {
      const h = await host();
      await h.apply(desired());
      const input = topology();
      const nets = input.networks!.map((n) => (n.name === 'a' ? { ...n, mtu: 1400 } : n));
      const changes = await h.plan(desired({ ...input, networks: nets }));
      const ops = ipOps(changes);
      assert.ok(ops.length > 0 && ops.every((o) => /"mtu":1400/.test(o)), ops.join('\n'));
      assert.deepEqual(
        changes.map((c) => c.resource.name),
        backend === 'ovs' ? ['qr_r1_a'] : ['qr_r1_a'],
      );
      await h.apply(desired({ ...input, networks: nets }));
      assert.deepEqual(await h.plan(desired({ ...input, networks: nets })), []);
    });

    test('SNAT off only routes: no SNAT rule, floating IPs still forwarded', async () => {
      const h = await host();
      await h.apply(desired(topology({}, { gateway: { network: 'ext', ip: '172.24.4.2', snat: false } })));
      const text = await nat(h);
      assert.doesNotMatch(text, /--to-source 172\.24\.4\.2/);
      assert.match(text, /DNAT --to-destination 10\.1\.0\.10/);
    });

    test('gateway removal unplugs qg, drops the NAT rules and the default route, cuts flows', async () => {
      const h = await host();
      await h.apply(desired());
      const none = desired(topology({ floatingIps: [] }, { gateway: undefined }));
      const changes = await h.plan(none);
      assert.deepEqual(changes.map((c) => `${c.action} ${c.resource.kind} ${c.resource.name}`).sort(), [
        'delete port qg_r1',
        'update router r1',
      ]);
      const ct = conntrack(changes.find((c) => c.resource.kind === 'router'));
      assert.deepEqual([...new Set(ct.map((f) => f.dst ?? f.replyDst))], ['172.24.4.100', '172.24.4.2']);
      await h.apply(none);
      assert.equal(links(h, NS).filter((d) => d.startsWith('qg-')).length, 0);
      assert.doesNotMatch(await nat(h), /SNAT|DNAT|MARK/);
      assert.deepEqual(await h.plan(none), []);
    });

    test('extra routes are replaced and deleted as a diff', async () => {
      const h = await host();
      await h.apply(desired());
      const other = desired(
        topology({}, { routes: [{ destination: '10.60.0.0/24', nexthop: '10.2.0.254' }] }),
      );
      const ops = ipOps(await h.plan(other));
      assert.equal(ops.length, 2, ops.join('\n'));
      assert.match(ops[0]!, /route.del.*10.50.0.0\/24/);
      assert.match(ops[1]!, /route.replace.*10.60.0.0\/24.*10.2.0.254/);
      const moved = desired(
        topology({}, { routes: [{ destination: '10.50.0.0/24', nexthop: '10.2.0.254' }] }),
      );
      const one = ipOps(await h.plan(moved));
      assert.equal(one.length, 1, 'a new next hop is one replace');
    });

    test('a sysctl changed by hand is set again, alone', async () => {
      const h = await host();
      await h.apply(desired());
      h.fakes.kernel.ns(NS)!.sysctl.set('net.ipv4.ip_forward', '0');
      const ops = ipOps(await h.plan(desired()));
      assert.equal(ops.length, 1);
      assert.match(ops[0]!, /"op":"sysctl".*"net.ipv4.ip_forward=1"\]/);
    });

    test('deleting a router unplugs its ports (OVS rows first) and then removes the namespace', async () => {
      const h = await host();
      await h.apply(desired());
      const changes = await h.plan(null);
      assert.ok(changes.every((c) => c.action === 'delete'));
      // On OVS the rows go first; a veth (Linux bridge) goes, both ends, with the namespace.
      assert.deepEqual(
        changes.map((c) => c.resource.name).sort(),
        backend === 'ovs' ? ['qg_r1', 'qr_r1_a', 'qr_r1_b', 'r1'] : ['r1'],
      );
      await h.apply(null);
      assert.equal(h.fakes.kernel.ns(NS), undefined);
      const left = links(h, 'host').filter((n) => n.startsWith('tap') || n.startsWith('q'));
      assert.deepEqual(left, []);
      if (backend === 'ovs') {
        assert.deepEqual(
          h.fakes.ovsdb.rows('Port').map((r) => r.name),
          ['br-int'],
        );
      }
      assert.deepEqual(await h.plan(null), []);
    });
  });
}

test('an IPv6 subnet: the qr- port carries both families, IPv6 forwarding is on, nothing is NATed for it', async () => {
  const h = new L3Host();
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
  const d = desired({ ...input, networks: nets as never });
  await h.apply(d);
  const ns = h.fakes.kernel.ns(NS)!;
  assert.equal(ns.sysctl.get('net.ipv6.conf.all.forwarding'), '1');
  const qr = ns.links.find((l) =>
    l.addresses.some((a) => String((a as { cidr?: string }).cidr ?? a).startsWith('fd00:2::1')),
  );
  assert.ok(qr, 'a qr- port carries fd00:2::1/64');
  assert.doesNotMatch(await h.fakes.iptables.save(NS, 6), /fd00/);
  assert.deepEqual(await h.plan(d), []);
});

test('ports left on Open vSwitch after the namespace was deleted by hand are removed with the router', async () => {
  const h = new L3Host('ovs');
  await h.bridge();
  await h.apply(desired());
  await h.fakes.kernel.apply(null, [{ op: 'netns.del', name: NS as NamespaceName }]);
  h.fakes.vswitchd();
  assert.equal(h.fakes.ovsdb.rows('Port').length, 4);
  const changes = await h.plan(null);
  assert.deepEqual(changes.map((c) => c.resource.name).sort(), ['qg_r1', 'qr_r1_a', 'qr_r1_b']);
  await h.apply(null);
  assert.deepEqual(
    h.fakes.ovsdb.rows('Port').map((r) => r.name),
    ['br-int'],
  );
});

test('every NAT rule of a router carries the l3 tag (the layout rules none)', async () => {
  const { routerManager, addRouterRules } = await import('../../src/l3/nat.js');
  const { routerSpec } = await import('../../src/l3/desired.js');
  const h = new L3Host();
  const spec = routerSpec(desired());
  const m = routerManager(spec.namespace, h.fakes.executors.iptables);
  const before = m.table('nat').rules('snat').length;
  addRouterRules(m, spec);
  m.table('nat').clearRulesByTag(L3_TAG);
  m.table('mangle').clearRulesByTag(L3_TAG);
  assert.equal(m.table('nat').rules('snat').length, before);
  assert.equal(m.table('nat').rules('PREROUTING').length, 0);
});
