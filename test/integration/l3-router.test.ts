import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { run } from '../../src/exec/run.js';
import { LinuxBridgeInterfaceDriver } from '../../src/interface/linuxbridge.js';
import { closeIpBatches } from '../../src/ip/executor.js';
import { routerDesired, routerSpec } from '../../src/l3/desired.js';
import { addRouterRules, routerManager } from '../../src/l3/nat.js';
import { processRouter } from '../../src/l3/router.js';
import type { Model } from '../../src/model/types.js';
import type { RealExecutors } from '../../src/reconcile/real-executors.js';
import { hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';
import { rootOnly } from '../helpers/root.js';
import { type Sandbox, sandbox } from '../helpers/sandbox.js';
import {
  echoServer,
  executorsFor,
  ipJson,
  model,
  openFlow,
  plugInstance,
  removeRouterAfter,
  routerNs,
  routerPicture,
  seenSource,
  sourceServer,
} from './l3-helpers.js';

const driver = new LinuxBridgeInterfaceDriver();

after(() => closeIpBatches());

interface Scene {
  sb: Sandbox;
  x: RealExecutors;
  m: Model;
  /** Instance namespaces by name. */
  vm: Record<string, string>;
  /** Applies the router of a model; resolves with the operations sent. */
  apply(m: Model): Promise<number>;
}

/**
 * A simulated host (sandbox namespace) with the router r1 of the model applied and instances vm1,
 * vm2, vm3 and upstream plugged (upstream without a default route: no way back to internal subnets).
 */
async function scene(sb: Sandbox, m: Model, instances = ['vm1', 'vm2', 'vm3', 'upstream']): Promise<Scene> {
  const host = await sb.namespace('host');
  const x = executorsFor(sb, host);
  sb.defer(() => x.close());
  const vm: Record<string, string> = {};
  for (const name of instances) vm[name] = await sb.namespace(name);
  removeRouterAfter(sb, x, driver);
  const apply = async (mm: Model) =>
    (await processRouter(routerDesired(mm, 'r1'), { executors: x, driver })).operations;
  await apply(m);
  for (const name of instances)
    await plugInstance(x, driver, m, name, vm[name]!, { gateway: name !== 'upstream' });
  return { sb, x, m, vm, apply };
}

describe('L3 routers on a real kernel (Linux bridge, simulated host namespace)', rootOnly, () => {
  test('routes between internal networks without NAT, SNATs to the gateway IP, forwards a floating IP both ways, follows an extra route; re-apply sends nothing', async (t) => {
    const sb = sandbox(t);
    const m = model(sb, { routes: [{ destination: '10.50.0.0/24', nexthop: '10.1.0.254' }] }, {});
    const withHop = model(
      sb,
      { routes: [{ destination: '10.50.0.0/24', nexthop: '10.1.0.254' }] },
      {
        instances: [
          ...(m.instances.map((i) => ({
            name: i.name,
            network: i.network,
            ip: i.port.fixedIps[0]!.address,
            address: 'static',
          })) as never[]),
          { name: 'hop', network: 'a', ip: '10.1.0.254', address: 'static' },
        ],
      },
    );
    const s = await scene(sb, withHop, ['vm1', 'vm2', 'vm3', 'upstream', 'hop']);
    const { vm } = s;

    // Between internal networks: routed, the source is the instance's own address.
    await sourceServer(sb, vm.vm2!, 7001);
    assert.equal(await seenSource(vm.vm1!, '10.2.0.10', 7001), '10.1.0.10');

    // Out by the gateway: vm2 (no floating IP) is seen as the gateway IP, vm1 as its floating IP.
    await sourceServer(sb, vm.upstream!, 7002);
    assert.equal(await seenSource(vm.vm2!, '172.24.4.1', 7002), '172.24.4.2');
    assert.equal(await seenSource(vm.vm1!, '172.24.4.1', 7002), '172.24.4.100');
    // Upstream has no route back to the internal subnets.
    assert.equal(await sb.ping(vm.upstream!, '10.2.0.10'), false);

    // The floating IP from upstream: vm1 sees upstream's real address; replies come from the FIP.
    await sourceServer(sb, vm.vm1!, 7003);
    assert.equal(await seenSource(vm.upstream!, '172.24.4.100', 7003), '172.24.4.1');
    const ping = await sb.exec(vm.upstream!, ['ping', '-n', '-c', '1', '-W', '2', '172.24.4.100'], {
      check: false,
    });
    assert.match(ping.stdout, /bytes from 172\.24\.4\.100:/);
    // ...and from internal instances, on another subnet and on the same one (SNATed to the gateway IP
    // so the reply comes back through the router).
    assert.equal(await seenSource(vm.vm2!, '172.24.4.100', 7003), '172.24.4.2');
    assert.equal(await seenSource(vm.vm3!, '172.24.4.100', 7003), '172.24.4.2');

    // The extra route: 10.50.0.1 lives on the next hop's lo.
    await sb.exec(vm.hop!, ['ip', 'addr', 'add', '10.50.0.1/32', 'dev', 'lo']);
    assert.equal(await sb.ping(vm.vm2!, '10.50.0.1'), true);

    // Re-applying the unchanged router sends nothing, and its NAT model has nothing pending.
    assert.equal(await s.apply(withHop), 0);
    const spec = routerSpec(routerDesired(withHop, 'r1'), s.x.host.netnsPrefix);
    const manager = routerManager(spec.namespace, s.x.iptables);
    addRouterRules(manager, spec);
    assert.equal(await manager.pending(), 0);
    // The router namespace is set up as Neutron's.
    const sysctl = await sb.exec(routerNs(sb), [
      'sysctl',
      '-n',
      'net.ipv4.ip_forward',
      'net.ipv4.conf.all.arp_ignore',
      'net.ipv4.conf.all.arp_announce',
    ]);
    assert.deepEqual(sysctl.stdout.trim().split('\n'), ['1', '1', '2']);
  });

  test('a floating IP added is announced (GARP) and reachable; disassociated, its established flow is cut', async (t) => {
    const sb = sandbox(t);
    const m = model(sb, {}, { floatingIps: [] });
    const s = await scene(sb, m, ['vm1', 'upstream']);
    const { vm } = s;
    const qg = (await ipJson(routerNs(sb), 'link', 'show')).find((l) => String(l.ifname).startsWith('qg-'))!;
    // upstream holds a stale entry for the address to be added, as if it had lived elsewhere.
    await sb.exec(vm.upstream!, [
      'ip',
      'neigh',
      'replace',
      '172.24.4.100',
      'lladdr',
      '02:00:00:00:00:99',
      'dev',
      'eth0',
      'nud',
      'stale',
    ]);
    const withFip = model(sb, {}, {});
    assert.ok((await s.apply(withFip)) > 0);
    await new Promise((r) => setTimeout(r, 200));
    const neigh = await ipJson(vm.upstream!, 'neigh', 'show', '172.24.4.100');
    assert.equal(neigh[0]?.lladdr, qg.address, 'the gratuitous ARP updated upstream');

    await echoServer(sb, vm.vm1!, 7010);
    const flow = await openFlow(sb, vm.upstream!, '172.24.4.100', 7010);
    assert.equal(await flow.roundTrip('one'), true);
    assert.equal(await flow.roundTrip('two'), true);
    assert.ok((await s.apply(m)) > 0);
    assert.equal(await flow.roundTrip('three', 1500), false, 'the established flow is cut');
    assert.equal(await seenSource(vm.upstream!, '172.24.4.100', 7010), null);
    assert.equal(await s.apply(m), 0);
  });

  test('removing the gateway cuts the way out; an MTU change keeps the devices; a namespace deleted by hand is rebuilt; bad input changes nothing', async (t) => {
    const sb = sandbox(t);
    const m = model(sb);
    const s = await scene(sb, m, ['vm1', 'vm2', 'upstream']);
    const { vm } = s;
    const ns = routerNs(sb);
    await sourceServer(sb, vm.upstream!, 7020);
    assert.equal(await seenSource(vm.vm2!, '172.24.4.1', 7020), '172.24.4.2');

    // Bad input: refused, and neither the router nor the host changed.
    const before = await routerPicture(ns);
    const host = await hostSnapshot();
    const bad = routerDesired(m, 'r1');
    const wrong = {
      ...bad,
      router: { ...bad.router, gateway: { ...bad.router.gateway!, ip: '172.24.9.9' } },
    } as never;
    await assert.rejects(
      processRouter(wrong, { executors: s.x, driver }),
      (e: unknown) => e instanceof InvalidInputError,
    );
    const fipTaken = {
      ...bad,
      router: { ...bad.router, floatingIps: [{ ...bad.router.floatingIps[0]!, address: '172.24.4.2' }] },
    } as never;
    await assert.rejects(
      processRouter(fipTaken, { executors: s.x, driver }),
      (e: unknown) => e instanceof InvalidInputError,
    );
    assert.equal(await routerPicture(ns), before);
    assert.deepEqual(snapshotDiff(host, await hostSnapshot()), []);

    // MTU: network b to 1400, the qr- device keeps its ifindex.
    const qrB = (await ipJson(ns, 'addr', 'show')).find((l) =>
      ((l.addr_info as { local: string }[]) ?? []).some((a) => a.local === '10.2.0.1'),
    )!;
    const input = model(sb);
    const smaller = {
      ...input,
      networks: input.networks.map((n) => (n.name === 'b' ? { ...n, mtu: 1400 } : n)),
    } as Model;
    assert.ok((await s.apply(smaller as Model)) > 0);
    const after = (await ipJson(ns, 'link', 'show', 'dev', String(qrB.ifname)))[0]!;
    assert.deepEqual([after.ifindex, after.mtu], [qrB.ifindex, 1400]);
    assert.equal(await s.apply(smaller), 0);

    // The namespace deleted behind tenantnet's back is rebuilt completely.
    const built = await routerPicture(ns);
    await run(['ip', 'netns', 'del', ns]);
    // Rebuilt at once: the kernel may still be tearing the old one down (its veths' host ends with it).
    assert.ok((await s.apply(smaller)) > 0);
    assert.equal(await routerPicture(ns), built);
    assert.equal(await seenSource(vm.vm2!, '172.24.4.1', 7020), '172.24.4.2');
    assert.equal(await s.apply(smaller), 0);

    // Gateway removed: qg- unplugged, NAT rules gone, no way out.
    const noGw = model(sb, { gateway: undefined }, { floatingIps: [] });
    const smallerNoGw = {
      ...noGw,
      networks: noGw.networks.map((n) => (n.name === 'b' ? { ...n, mtu: 1400 } : n)),
    } as Model;
    assert.ok((await s.apply(smallerNoGw)) > 0);
    const links = (await ipJson(ns, 'link', 'show')).map((l) => String(l.ifname));
    assert.equal(links.filter((n) => n.startsWith('qg-')).length, 0);
    const nat = await sb.exec(ns, ['iptables-save', '-t', 'nat']);
    assert.doesNotMatch(nat.stdout, /SNAT|DNAT/);
    assert.equal(await seenSource(vm.vm2!, '172.24.4.1', 7020), null);
    assert.equal(await s.apply(smallerNoGw), 0);
  });
});
