import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { hostDevice } from '../../src/interface/layout.js';
import { OvsInterfaceDriver } from '../../src/interface/ovs.js';
import { closeIpBatches } from '../../src/ip/executor.js';
import { routerDesired } from '../../src/l3/desired.js';
import { deleteRouter, processRouter } from '../../src/l3/router.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { usePrivateOvs } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import {
  executorsFor,
  model,
  plugInstance,
  routerNs,
  routerPicture,
  seenSource,
  sourceServer,
} from './l3-helpers.js';

const priv = usePrivateOvs({ datapathType: 'netdev' });
let driver: OvsInterfaceDriver;

/** Port rows of the switch other than bridges' own. */
async function ports(): Promise<string[]> {
  const bridges = new Set((await priv.ovs.list('Bridge')).map((b) => String(b.name)));
  return (await priv.ovs.list('Port')).map((p) => String(p.name)).filter((n) => !bridges.has(n));
}

describe('an L3 router on a private Open vSwitch (internal ports, netdev)', rootOnly, () => {
  before(async () => {
    if (rootOnly.skip) return;
    driver = new OvsInterfaceDriver({ integrationBridge: priv.ovs.name('int') });
    await new OvsBridge(priv.sw, priv.ovs.name('int')).create({
      datapathType: 'netdev',
      failMode: 'standalone',
    });
  });

  after(async () => {
    if (rootOnly.skip) return;
    await priv.sw.deleteBridge(priv.ovs.name('int'));
    await closeIpBatches();
  });

  test('routes and forwards a floating IP over OVS internal ports; a namespace deleted by hand is rebuilt (stale rows replaced); delete removes the OVS rows first, then the namespace', async (t) => {
    const sb = sandbox(t);
    // The host of these tests is vswitchd's own namespace: internal ports appear there.
    const x = executorsFor(sb, priv.ovs.netns, priv.ovs.socketPath);
    sb.defer(() => x.close());
    const m = model(sb);
    const ref = { topology: sb.prefix, name: 'r1' };
    sb.defer(async () => {
      await deleteRouter(ref, { executors: x, driver }).catch(() => {});
      await run(['ip', 'netns', 'del', routerNs(sb)], { check: false });
    });
    const vms: Record<string, string> = {};
    for (const name of ['vm1', 'vm2', 'upstream']) {
      vms[name] = await sb.namespace(name);
      const port = m.instances.find((i) => i.name === name)!.port;
      const device = hostDevice('tap', port.id);
      sb.defer(() => driver.unplug({ port, device, namespace: vms[name]! as never }, { executors: x }));
    }
    assert.ok((await processRouter(routerDesired(m, 'r1'), { executors: x, driver })).operations > 0);
    for (const name of ['vm1', 'vm2', 'upstream']) {
      const port = m.instances.find((i) => i.name === name)!.port;
      await plugInstance(x, driver, m, name, vms[name]!, {
        gateway: name !== 'upstream',
        device: hostDevice('tap', port.id),
      });
    }
    const routerPorts = (await ports()).filter((p) => p.startsWith('qr-') || p.startsWith('qg-'));
    assert.equal(routerPorts.length, 3);

    await sourceServer(sb, vms.vm2!, 7101);
    assert.equal(await seenSource(vms.vm1!, '10.2.0.10', 7101), '10.1.0.10');
    await sourceServer(sb, vms.vm1!, 7102);
    assert.equal(await seenSource(vms.upstream!, '172.24.4.100', 7102), '172.24.4.1');
    await sourceServer(sb, vms.upstream!, 7103);
    assert.equal(await seenSource(vms.vm2!, '172.24.4.1', 7103), '172.24.4.2');
    assert.equal((await processRouter(routerDesired(m, 'r1'), { executors: x, driver })).operations, 0);

    // Deleted by hand: the devices go with the namespace, the OVS rows stay (stale) until the next apply.
    const ns = routerNs(sb);
    const built = await routerPicture(ns);
    await run(['ip', 'netns', 'del', ns]);
    assert.ok((await processRouter(routerDesired(m, 'r1'), { executors: x, driver })).operations > 0);
    assert.equal(await routerPicture(ns), built);
    assert.equal(await seenSource(vms.upstream!, '172.24.4.100', 7102), '172.24.4.1');
    assert.deepEqual(
      (await ports()).filter((p) => p.startsWith('qr-') || p.startsWith('qg-')).sort(),
      routerPorts.sort(),
    );

    const gone = await deleteRouter(ref, { executors: x, driver });
    assert.ok(gone.operations > 0);
    assert.deepEqual(
      (await ports()).filter((p) => p.startsWith('qr-') || p.startsWith('qg-')),
      [],
      'no router port left on the bridge',
    );
    const left = await run(['ip', 'netns', 'list']);
    assert.doesNotMatch(left.stdout, new RegExp(ns.replace(/\./g, '\\.')));
    assert.equal((await deleteRouter(ref, { executors: x, driver })).operations, 0);
  });
});
