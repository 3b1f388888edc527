import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { ProcessError } from '../../src/exec/process-error.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { OfctlFlows } from '../../src/ovs/flows.js';
import { usePrivateOvs } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { type Sandbox, sandbox } from '../helpers/sandbox.js';

const env = usePrivateOvs();

// Pings that must get through send 3 packets (any reply counts): right after a change the first
// ARP or echo can still meet the datapath flows vswitchd is revalidating. Pings that must not get
// through send 1.

/**
 * A netdev bridge with one internal port per host, each moved into its own namespace with an
 * address in 10.250.40.0/24 (one subnet for all: only VLANs can keep them apart).
 */
async function hosts(sb: Sandbox, br: OvsBridge, tags: Record<string, number>) {
  await br.create({ datapathType: 'netdev' });
  const names = Object.keys(tags);
  await br.addPorts(names.map((h) => ({ name: env.ovs.name(h), type: 'internal' as const, tag: tags[h]! })));
  // OVS ports go before their namespaces (else a stale row stays), and the bridge last.
  sb.defer(() => br.destroy());
  sb.defer(() => br.deletePorts(names.map((h) => env.ovs.name(h))));
  const ns: Record<string, string> = {};
  for (const [i, h] of names.entries()) {
    ns[h] = await sb.namespace(h);
    await env.ovs.moveToNamespace(env.ovs.name(h), ns[h]);
    await sb.exec(ns[h], ['ip', 'addr', 'add', `10.250.40.${i + 1}/24`, 'dev', env.ovs.name(h)]);
    await sb.exec(ns[h], ['ip', 'link', 'set', env.ovs.name(h), 'up']);
  }
  return ns;
}

test(
  'two networks on one bridge are isolated by local VLAN tags; the dead VLAN cuts a port off',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const br = new OvsBridge(env.sw, env.ovs.name('vl'));
    const ns = await hosts(sb, br, { a1: 101, a2: 101, b1: 102, b2: 102 });
    assert.equal(await sb.ping(ns.a1!, '10.250.40.2', 3), true, 'a1 → a2 (same network)');
    assert.equal(await sb.ping(ns.b1!, '10.250.40.4', 3), true, 'b1 → b2 (same network)');
    assert.equal(await sb.ping(ns.a1!, '10.250.40.3'), false, 'a1 → b1 (other network)');
    assert.equal(await br.markDead(env.ovs.name('a2')), true);
    assert.equal(await sb.ping(ns.a1!, '10.250.40.2'), false, 'a2 on the dead VLAN');
    await br.setPortTag(env.ovs.name('a2'), 101);
    assert.equal(await sb.ping(ns.a1!, '10.250.40.2', 3), true, 'a2 bound again');
  },
);

test(
  'flows block and unblock real traffic by cookie and by strict delete; bad flows change nothing',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const br = new OvsBridge(env.sw, env.ovs.name('fl'));
    const ns = await hosts(sb, br, { x: 0, y: 0 });
    const flows = new OfctlFlows(br.name, { env: env.ovs.env, cookie: 0xabcn });
    const y = await br.ofport(env.ovs.name('y'));
    assert.equal(typeof y, 'number');
    assert.equal(await sb.ping(ns.x!, '10.250.40.2', 3), true);

    // Blocked by a flow with our cookie, unblocked by deleting the cookie.
    await flows.addFlows([{ priority: 100, match: { in_port: y! }, actions: 'drop' }]);
    const dumped = await env.ovs.ofctl(['dump-flows', br.name, 'cookie=0xabc/-1']);
    assert.match(dumped, /priority=100,in_port=\d+ actions=drop/);
    assert.equal(await sb.ping(ns.x!, '10.250.40.2'), false);
    await flows.deleteFlowsByCookie();
    assert.doesNotMatch(await env.ovs.ofctl(['dump-flows', br.name]), /cookie=0xabc/);
    assert.equal(await sb.ping(ns.x!, '10.250.40.2', 3), true);

    // Strict delete: the wrong priority leaves the flow, the right one removes it.
    await flows.addFlows([{ priority: 200, match: { in_port: y! }, actions: 'drop' }]);
    await flows.deleteFlows([{ priority: 199, match: { in_port: y! } }], { strict: true });
    assert.equal((await flows.dumpFlows({ cookie: 0xabcn })).length, 1);
    assert.equal(await sb.ping(ns.x!, '10.250.40.2'), false);
    await flows.deleteFlows([{ priority: 200, match: { in_port: y! } }], { strict: true });
    assert.equal((await flows.dumpFlows({ cookie: 0xabcn })).length, 0);
    assert.equal(await sb.ping(ns.x!, '10.250.40.2', 3), true);

    // Malformed flows: refused before ovs-ofctl runs, or refused by it as one bundle. Nothing changes.
    const before = (await flows.dumpFlows()).map((f) => `${f.priority} ${f.match} ${f.actions}`);
    await assert.rejects(
      flows.addFlows([
        { priority: 5, actions: 'drop' },
        { priority: 6, actions: [] },
      ]),
      InvalidInputError,
    );
    await assert.rejects(flows.deleteFlows([{ priority: 5 }]), InvalidInputError, 'priority needs strict');
    await assert.rejects(
      flows.addFlows([
        { priority: 5, actions: 'drop' },
        { priority: 6, actions: 'no_such_action' },
      ]),
      ProcessError,
    );
    assert.deepEqual(
      (await flows.dumpFlows()).map((f) => `${f.priority} ${f.match} ${f.actions}`),
      before,
    );

    // Modify: the drop becomes NORMAL.
    await flows.addFlows([{ priority: 300, match: { in_port: y! }, actions: 'drop' }]);
    assert.equal(await sb.ping(ns.x!, '10.250.40.2'), false);
    await flows.modFlows([{ priority: 300, match: { in_port: y! }, actions: 'NORMAL' }], { strict: true });
    assert.equal(await sb.ping(ns.x!, '10.250.40.2', 3), true);
    const [mod] = await flows.dumpFlows({ cookie: 0xabcn });
    assert.equal(mod?.actions, 'NORMAL');
    assert.ok((mod?.nPackets ?? 0) > 0, 'counters parsed');
    await flows.deleteFlowsByCookie();
  },
);
