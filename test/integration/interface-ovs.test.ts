import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PlugRequest } from '../../src/interface/driver.js';
import { observeIntegrationBridge } from '../../src/interface/observe.js';
import { OvsInterfaceDriver } from '../../src/interface/ovs.js';
import { closeIpBatches } from '../../src/ip/executor.js';
import { NamespaceNotFoundError } from '../../src/net/namespace.js';
import { mtu } from '../../src/net/types.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { BridgeNotFoundError } from '../../src/ovs/errors.js';
import { Observation } from '../../src/reconcile/observation.js';
import type { RealExecutors } from '../../src/reconcile/real-executors.js';
import { usePrivateOvs } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
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

const priv = usePrivateOvs({ datapathType: 'netdev' });
let driver: OvsInterfaceDriver;
let x: RealExecutors;

async function plug(req: PlugRequest): Promise<number> {
  const obs = new Observation(x);
  return apply(x, driver.planPlug(req, await driver.observePlug(obs, req)));
}

async function unplug(req: PlugRequest): Promise<number> {
  const obs = new Observation(x);
  return apply(x, driver.planUnplug(req, await driver.observePlug(obs, req)));
}

async function replan(req: PlugRequest) {
  return driver.planPlug(req, await driver.observePlug(new Observation(x), req));
}

/** Port rows of the switch other than bridges' own. */
async function ports(): Promise<string[]> {
  const bridges = new Set((await priv.ovs.list('Bridge')).map((b) => String(b.name)));
  return (await priv.ovs.list('Port')).map((p) => String(p.name)).filter((n) => !bridges.has(n));
}

describe('OVS interface driver on a real kernel and a private OVS (netdev)', rootOnly, () => {
  before(async () => {
    if (rootOnly.skip) return;
    const name = priv.ovs.name('int');
    driver = new OvsInterfaceDriver({ integrationBridge: name });
    await new OvsBridge(priv.sw, name).create({ datapathType: 'netdev', failMode: 'standalone' });
    // The host of these tests is vswitchd's own namespace: internal ports appear there.
    x = executorsOn(priv.ovs.netns, priv.ovs.socketPath);
  });

  after(async () => {
    if (rootOnly.skip) return;
    await priv.sw.deleteBridge(priv.ovs.name('int'));
    await x.close();
    await closeIpBatches();
  });

  test('internal ports: two namespaces ping; replug unchanged sends nothing, an MTU change keeps the ifindex; unplug leaves nothing', async (t) => {
    const sb = sandbox(t);
    const [a, b] = (await namespaces(sb, 'a', 'b')) as [string, string];
    const net = network(sb, 'n1');
    const pa = request(sb, 'pa', net, a, priv.ovs.name('da'), undefined, 1);
    const pb = request(sb, 'pb', net, b, priv.ovs.name('db'), undefined, 2);
    sb.defer(async () => {
      await unplug(pa);
      await unplug(pb);
    });
    assert.ok((await plug(pa)) > 0);
    assert.ok((await plug(pb)) > 0);
    await address(a, pa.device, '10.251.1.1/24');
    await address(b, pb.device, '10.251.1.2/24');
    assert.equal(await sb.ping(a, '10.251.1.2', 2), true);

    const row = (await priv.ovs.list('Interface', pa.device))[0]!;
    assert.deepEqual(row.external_ids, {
      'attached-mac': pa.port.mac,
      'iface-id': pa.port.id,
      'iface-status': 'active',
      'tenantnet-owner': `${sb.prefix}.port.pa`,
    });
    const port = (await priv.ovs.list('Port', pa.device))[0]!;
    assert.equal(typeof port.tag, 'number');
    assert.notEqual(port.tag, 4095);
    assert.deepEqual(port.trunks, []);

    assert.deepEqual(await replan(pa), [], 'an unchanged plug plans nothing');
    const index = await ifindex(a, pa.device);
    const changes = await replan({ ...pa, mtu: mtu(1400) });
    assert.equal(changes.flatMap((c) => c.steps).length, 1);
    await apply(x, changes);
    assert.equal(await ifindex(a, pa.device), index, 'same device');
    const mtuNow = JSON.parse((await sb.exec(a, ['ip', '-j', 'link', 'show', 'dev', pa.device])).stdout)[0]
      .mtu;
    assert.equal(mtuNow, 1400);
    assert.deepEqual(await replan({ ...pa, mtu: mtu(1400) }), []);

    await unplug(pa);
    await unplug(pb);
    assert.deepEqual(await ports(), []);
    assert.deepEqual(await links(a), []);
    assert.deepEqual(await links(b), []);
  });

  test('two networks get different local VLANs: ping across them fails', async (t) => {
    const sb = sandbox(t);
    const [a, b] = (await namespaces(sb, 'a', 'b')) as [string, string];
    const pa = request(sb, 'pa', network(sb, 'n1'), a, priv.ovs.name('ia'), undefined, 3);
    const pb = request(sb, 'pb', network(sb, 'n2'), b, priv.ovs.name('ib'), undefined, 4);
    sb.defer(async () => {
      await unplug(pa);
      await unplug(pb);
    });
    await plug(pa);
    await plug(pb);
    await address(a, pa.device, '10.251.2.1/24');
    await address(b, pb.device, '10.251.2.2/24');
    const tags = await Promise.all(
      [pa, pb].map(async (p) => (await priv.ovs.list('Port', p.device))[0]!.tag),
    );
    assert.notEqual(tags[0], tags[1]);
    assert.equal(await sb.ping(a, '10.251.2.2', 2), false);
  });

  test('hybrid and veth plugs carry TCP and UDP on the netdev datapath (tx offload off on the non-OVS ends)', async (t) => {
    const sb = sandbox(t);
    const [a, b] = (await namespaces(sb, 'a', 'b')) as [string, string];
    const net = network(sb, 'n3');
    const pa = request(sb, 'ha', net, a, 'eth0', 'hybrid', 5);
    const pb = request(sb, 'vb', net, b, 'eth0', 'veth', 6);
    sb.defer(async () => {
      await unplug(pa);
      await unplug(pb);
      assert.deepEqual(
        await links(priv.ovs.netns).then((l) => l.filter((n) => /^(tap|qbr|qvb|qvo)/.test(n))),
        [],
      );
      assert.deepEqual(await ports(), []);
    });
    await plug(pa);
    await plug(pb);
    await address(a, 'eth0', '10.251.3.1/24');
    await address(b, 'eth0', '10.251.3.2/24');
    await echoServer(sb, b, 'TCP-LISTEN:5000,reuseaddr,fork');
    await echoServer(sb, b, 'UDP-RECVFROM:5001,fork');
    assert.equal(await sb.ping(a, '10.251.3.2', 2), true);
    assert.equal(await echo(a, 'TCP', '10.251.3.2', 5000), true);
    assert.equal(await echo(a, 'UDP', '10.251.3.2', 5001), true);
    const offload = async (ns: string, dev: string) =>
      /tx-checksumming: off/.test((await sb.exec(ns, ['ethtool', '-k', dev])).stdout);
    assert.equal(await offload(a, 'eth0'), true, 'hybrid: namespace end');
    assert.equal(await offload(b, 'eth0'), true, 'veth: namespace end');
    assert.equal(await offload(priv.ovs.netns, driver.layout(pa).hostLinks[2]!), true, 'hybrid: qvb');
    assert.deepEqual(await replan(pa), []);
    assert.deepEqual(await replan(pb), []);
  });

  test('a plug whose namespace vanishes half way fails, and the OVS port it made (with its device) is removed', async (t) => {
    const sb = sandbox(t);
    const [a] = (await namespaces(sb, 'a')) as [string];
    const req = request(sb, 'p', network(sb, 'n1'), a, priv.ovs.name('dv'));
    await assert.rejects(driver.plug(req, { executors: vanishing(x, a) }), NamespaceNotFoundError);
    assert.deepEqual(await ports(), []);
    assert.ok(!(await links(priv.ovs.netns)).includes(req.device));
  });

  test('planIntegrationBridge makes a missing bridge (datapath detected, fail mode standalone) through the engine', async () => {
    const name = priv.ovs.name('new');
    const other = new OvsInterfaceDriver({ integrationBridge: name });
    const resource = { topology: 'test', kind: 'host', name: 'integration-bridge' } as never;
    try {
      const obs = new Observation(x);
      await apply(x, other.planIntegrationBridge(await observeIntegrationBridge(obs, name), resource));
      const [row] = await priv.ovs.list('Bridge', name);
      assert.equal(row!.fail_mode, 'standalone');
      assert.equal(row!.datapath_type, 'netdev');
      const again = await observeIntegrationBridge(new Observation(x), name);
      assert.deepEqual(other.planIntegrationBridge(again, resource), []);
    } finally {
      await priv.sw.deleteBridge(name);
    }
  });

  test('a missing integration bridge is BridgeNotFoundError and nothing is made', async (t) => {
    const sb = sandbox(t);
    const [a] = (await namespaces(sb, 'a')) as [string];
    const other = new OvsInterfaceDriver({ integrationBridge: priv.ovs.name('none') });
    const req = request(sb, 'p', network(sb, 'n1'), a, priv.ovs.name('dx'));
    const seen = await other.observePlug(new Observation(x), req);
    assert.throws(() => other.planPlug(req, seen), BridgeNotFoundError);
    assert.deepEqual(await ports(), []);
    assert.deepEqual(await links(a), []);
  });
});
