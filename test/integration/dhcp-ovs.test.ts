// DHCP on a private Open vSwitch (netdev datapath): the DHCP port is an OVS internal port moved into
// the qdhcp- namespace, a VM's internal port on the same local VLAN gets its lease from the real
// dnsmasq, and disabling removes the OVS row before the namespace.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { dhcpNetworkFromModel } from '../../src/dhcp/from-model.js';
import { disableDhcp, enableDhcp } from '../../src/dhcp/verbs.js';
import { OvsInterfaceDriver } from '../../src/interface/ovs.js';
import { buildModel } from '../../src/model/build.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { countingExecutors, stateChanging } from '../../src/reconcile/counting.js';
import { usePrivateOvs } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { dhcpExecutors, dnsmasqPid, plugVm, resolve } from './dhcp-helpers.js';

const priv = usePrivateOvs({ datapathType: 'netdev' });
let driver: OvsInterfaceDriver;

async function portRows(): Promise<{ name: string; tag: unknown }[]> {
  const bridges = new Set((await priv.ovs.list('Bridge')).map((b) => String(b.name)));
  return (await priv.ovs.list('Port'))
    .filter((p) => !bridges.has(String(p.name)))
    .map((p) => ({ name: String(p.name), tag: p.tag }));
}

describe('DHCP with dnsmasq on a private Open vSwitch (netdev)', rootOnly, () => {
  before(async () => {
    if (rootOnly.skip) return;
    const name = priv.ovs.name('int');
    driver = new OvsInterfaceDriver({ integrationBridge: name });
    await new OvsBridge(priv.sw, name).create({ datapathType: 'netdev', failMode: 'standalone' });
  });
  after(async () => {
    if (rootOnly.skip) return;
    await priv.sw.deleteBridge(priv.ovs.name('int'));
  });

  test('a VM on the integration bridge gets its lease and names; re-apply sends nothing; disable removes the row first', async (t) => {
    const sb = sandbox(t);
    const x = dhcpExecutors(sb, priv.ovs.netns, priv.sw);
    const model = buildModel({
      name: sb.prefix,
      networks: [{ name: 'db', subnets: [{ cidr: '10.62.1.0/24' }, { cidr: 'fd62:1::/64' }] }],
      instances: [
        { name: 'm', network: 'db', ip: '10.62.1.20' },
        { name: 'n', network: 'db', ip: '10.62.1.21' },
      ],
    });
    const net = dhcpNetworkFromModel(model, 'db');
    const { layout } = await enableDhcp(net, { executors: x, driver });
    let disabled = false;
    sb.defer(async () => {
      if (!disabled) await disableDhcp(net, { executors: x, driver });
    });
    assert.match(layout.device, /^tap/);
    const pid = await dnsmasqPid(layout.paths.pid, layout.marker);
    assert.ok(pid);

    const counting = countingExecutors(x);
    const again = await enableDhcp(net, { executors: counting.executors, driver });
    assert.equal(again.operations, 0);
    assert.equal(stateChanging(counting.counts), 0, JSON.stringify(counting.counts));

    const vm = await plugVm(sb, x, driver, model, 'db', model.instances.find((i) => i.name === 'm')!.port);
    const rows = await portRows();
    assert.deepEqual(rows.map((r) => r.name).sort(), [layout.device, vm.dev].sort());
    assert.equal(rows[0]!.tag, rows[1]!.tag, 'one local VLAN for the network');
    const lease = await vm.dhcp();
    assert.equal(lease.address, '10.62.1.20');
    assert.deepEqual(lease.routers, ['10.62.1.1']);
    assert.equal(lease.mtu, 1500);
    const server = net.port.fixedIps[0]!.address;
    assert.deepEqual(await resolve(vm.ns, 'n', server), ['10.62.1.21']);
    assert.equal(await dnsmasqPid(layout.paths.pid, layout.marker), pid);

    await vm.remove();
    const gone = await disableDhcp(net, { executors: x, driver });
    disabled = true;
    assert.ok(gone.operations > 0);
    assert.deepEqual(await portRows(), [], 'no OVS row left');
    assert.equal(existsSync(`/run/netns/${layout.namespace}`), false);
    assert.equal(existsSync(layout.paths.dir), false);
    assert.equal(await dnsmasqPid(layout.paths.pid, layout.marker), null);
  });
});
