import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { TenantnetError } from '../../src/errors.js';
import type { PlugRequest } from '../../src/interface/driver.js';
import { linkMark, networkBridge } from '../../src/interface/layout.js';
import { LinuxBridgeInterfaceDriver } from '../../src/interface/linuxbridge.js';
import { closeIpBatches } from '../../src/ip/executor.js';
import { NamespaceNotFoundError } from '../../src/net/namespace.js';
import { mtu } from '../../src/net/types.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { Observation } from '../../src/reconcile/observation.js';
import type { Change } from '../../src/reconcile/step.js';
import { hostileString, hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';
import { rootOnly } from '../helpers/root.js';
import { type Sandbox, sandbox } from '../helpers/sandbox.js';
import {
  address,
  apply,
  echo,
  echoServer,
  executorsOn,
  ifindex,
  links,
  namespaces,
  network,
  request,
  vanishing,
} from './interface-helpers.js';

const driver = new LinuxBridgeInterfaceDriver();

after(() => closeIpBatches());

async function planAll(x: Executors, req: PlugRequest): Promise<Change[]> {
  const obs = new Observation(x);
  const [net, seen] = await Promise.all([
    driver.observeNetwork(obs, req.network),
    driver.observePlug(obs, req),
  ]);
  return [...driver.planNetwork(req.network, net), ...driver.planPlug(req, seen)];
}

async function unplugAll(x: Executors, reqs: readonly PlugRequest[]): Promise<void> {
  for (const req of reqs) {
    await apply(x, driver.planUnplug(req, await driver.observePlug(new Observation(x), req)));
  }
  for (const net of new Set(reqs.map((r) => r.network))) {
    await apply(x, driver.planNetworkRemoval(net, await driver.observeNetwork(new Observation(x), net)));
  }
}

/** A simulated host namespace and two namespaces to plug into. */
async function host(sb: Sandbox): Promise<[Executors, string, string, string]> {
  const [h, a, b] = (await namespaces(sb, 'host', 'a', 'b')) as [string, string, string];
  const x = executorsOn(h, null);
  sb.defer(() => x.close());
  return [x, h, a, b];
}

async function json(sb: Sandbox, ns: string, dev: string): Promise<Record<string, unknown>> {
  return JSON.parse((await sb.exec(ns, ['ip', '-d', '-j', 'link', 'show', 'dev', dev])).stdout)[0];
}

describe('Linux bridge interface driver on a real kernel (simulated host namespace)', rootOnly, () => {
  test('two namespaces on one network ping and talk TCP; brq is marked, IPv6 is off host-side; replug unchanged plans nothing; an MTU change keeps ifindexes; unplug leaves no link', async (t) => {
    const sb = sandbox(t);
    const [x, h, a, b] = await host(sb);
    const net = network(sb, 'n1');
    const pa = request(sb, 'pa', net, a, 'ns-a', undefined, 1);
    const pb = request(sb, 'pb', net, b, 'eth0', undefined, 2);
    sb.defer(() => unplugAll(x, [pa, pb]));
    await apply(x, await planAll(x, pa));
    await apply(x, await planAll(x, pb));
    await address(a, 'ns-a', '10.252.1.1/24');
    await address(b, 'eth0', '10.252.1.2/24');
    assert.equal(await sb.ping(a, '10.252.1.2', 2), true);
    await echoServer(sb, b, 'TCP-LISTEN:5000,reuseaddr,fork');
    assert.equal(await echo(a, 'TCP', '10.252.1.2', 5000), true);

    const brq = networkBridge(net);
    const bridge = await json(sb, h, brq);
    assert.equal(bridge.ifalias, linkMark(net.owner).alias);
    assert.equal(bridge.group, String(linkMark(net.owner).group));
    const tap = `tap${pa.port.id}`;
    assert.equal((await json(sb, h, tap)).master, brq);
    for (const dev of [brq, tap]) {
      const v = (await sb.exec(h, ['sysctl', '-n', `net.ipv6.conf.${dev}.disable_ipv6`])).stdout.trim();
      assert.equal(v, '1', `IPv6 off on ${dev}`);
    }
    assert.equal((await json(sb, a, 'ns-a')).address, pa.port.mac);

    assert.deepEqual(await planAll(x, pa), [], 'an unchanged plug plans nothing');
    const before = [await ifindex(a, 'ns-a'), await ifindex(h, tap)];
    const changes = await planAll(x, { ...pa, mtu: mtu(1400) });
    assert.equal(changes.flatMap((c) => c.steps).flatMap((s) => (s.via === 'ip' ? s.ops : [])).length, 2);
    await apply(x, changes);
    assert.deepEqual([await ifindex(a, 'ns-a'), await ifindex(h, tap)], before);
    assert.equal((await json(sb, a, 'ns-a')).mtu, 1400);
    assert.deepEqual(await planAll(x, { ...pa, mtu: mtu(1400) }), []);

    await unplugAll(x, [pa, pb]);
    assert.deepEqual(await links(h), []);
    assert.deepEqual(await links(a), []);
    assert.deepEqual(await links(b), []);
  });

  test('replug after a manual deletion recreates exactly what is missing', async (t) => {
    const sb = sandbox(t);
    const [x, h, a] = await host(sb);
    const pa = request(sb, 'pa', network(sb, 'n1'), a, 'eth0');
    sb.defer(() => unplugAll(x, [pa]));
    await apply(x, await planAll(x, pa));
    const brq = networkBridge(pa.network);
    const bridgeIndex = await ifindex(h, brq);
    await sb.exec(a, ['ip', 'link', 'del', 'eth0']);
    const changes = await planAll(x, pa);
    const made = changes
      .flatMap((c) => c.steps)
      .flatMap((s) => (s.via === 'ip' ? s.ops : []))
      .filter((o) => o.op === 'veth.add' || o.op === 'bridge.add');
    assert.deepEqual(
      made.map((o) => o.op),
      ['veth.add'],
    );
    await apply(x, changes);
    assert.equal(await ifindex(h, brq), bridgeIndex, 'the bridge was left alone');
    assert.equal((await json(sb, h, `tap${pa.port.id}`)).master, brq);
    assert.deepEqual(await planAll(x, pa), []);
  });

  test('a plug whose namespace vanishes half way fails, and the bridge and veth it made are removed', async (t) => {
    const sb = sandbox(t);
    const [x, h, a] = await host(sb);
    const req = request(sb, 'pa', network(sb, 'n1'), a, 'eth0');
    await assert.rejects(driver.plug(req, { executors: vanishing(x, a) }), NamespaceNotFoundError);
    assert.deepEqual(await links(h), []);
  });

  test('hostile strings at every plug field are refused (typed errors); nothing is left and the host is unchanged', async (t) => {
    const sb = sandbox(t);
    const [x, h, a] = await host(sb);
    const base = request(sb, 'pa', network(sb, 'n1'), a, 'eth0');
    const before = await hostSnapshot();
    const fields: ((v: string) => unknown)[] = [
      (v) => ({ ...base, device: v }),
      (v) => ({ ...base, namespace: v }),
      (v) => ({ ...base, style: v }),
      (v) => ({ ...base, port: { ...base.port, id: v } }),
      (v) => ({ ...base, port: { ...base.port, mac: v } }),
      (v) => ({ ...base, port: { ...base.port, owner: { ...base.port.owner, name: v } } }),
      (v) => ({ ...base, network: { ...base.network, id: v } }),
      (v) => ({ ...base, network: { ...base.network, owner: { ...base.network.owner, topology: v } } }),
    ];
    await fc.assert(
      fc.asyncProperty(hostileString(), fc.constantFrom(...fields), async (value, make) => {
        try {
          await driver.plug(make(value) as PlugRequest, { executors: x });
        } catch (e) {
          // Refused (InvalidInputError), or valid text naming nothing there (a namespace): typed.
          return e instanceof TenantnetError;
        }
        // A hostile string can be a valid value too: then the plug happened and is undone.
        await unplugAll(x, [make(value) as PlugRequest]);
        return true;
      }),
      { numRuns: 100 },
    );
    assert.deepEqual(await links(h), []);
    assert.deepEqual(await links(a), []);
    assert.deepEqual(snapshotDiff(before, await hostSnapshot()), []);
  });
});
