import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { ProcessError } from '../../src/exec/process-error.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { COOKIE_ANY, OfctlFlows } from '../../src/ovs/flows.js';
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
    // Cached datapath flows from the pings above go only when the revalidators have run.
    await env.ovs.appctl(['revalidator/wait']);
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
    // The userspace datapath may still hold a cached flow from the pings above: wait until the
    // revalidators have applied the new table (asynchronous in OVS, slower on a loaded machine).
    await env.ovs.appctl(['revalidator/wait']);
    const dumped = await env.ovs.ofctl(['dump-flows', br.name, 'cookie=0xabc/-1']);
    assert.match(dumped, /priority=100,in_port=\d+ actions=drop/);
    assert.equal(await sb.ping(ns.x!, '10.250.40.2'), false);
    await flows.deleteFlowsByCookie();
    assert.doesNotMatch(await env.ovs.ofctl(['dump-flows', br.name]), /cookie=0xabc/);
    assert.equal(await sb.ping(ns.x!, '10.250.40.2', 3), true);

    // Strict delete: the wrong priority leaves the flow, the right one removes it.
    await flows.addFlows([{ priority: 200, match: { in_port: y! }, actions: 'drop' }]);
    await env.ovs.appctl(['revalidator/wait']);
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
    await env.ovs.appctl(['revalidator/wait']);
    assert.equal(await sb.ping(ns.x!, '10.250.40.2'), false);
    await flows.modFlows([{ priority: 300, match: { in_port: y! }, actions: 'NORMAL' }], { strict: true });
    assert.equal(await sb.ping(ns.x!, '10.250.40.2', 3), true);
    const [mod] = await flows.dumpFlows({ cookie: 0xabcn });
    assert.equal(mod?.actions, 'NORMAL');
    assert.ok((mod?.nPackets ?? 0) > 0, 'counters parsed');
    await flows.deleteFlowsByCookie();
  },
);

test(
  'unbound ports on the dead VLAN pass no traffic to each other; tagged with one real tag they do',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const br = new OvsBridge(env.sw, env.ovs.name('dv'));
    await br.create({ datapathType: 'netdev' });
    const [p1, p2] = [env.ovs.name('dv1'), env.ovs.name('dv2')];
    // VIF ports start on the dead VLAN, as Neutron's interface driver leaves them until bound.
    await br.addVifPorts([
      { name: p1, ifaceId: 'dead-1', mac: 'fa:16:3e:00:40:01' },
      { name: p2, ifaceId: 'dead-2', mac: 'fa:16:3e:00:40:02' },
    ]);
    sb.defer(() => br.destroy());
    sb.defer(() => br.deletePorts([p1, p2]));
    const ns: string[] = [];
    for (const [i, p] of [p1, p2].entries()) {
      ns.push(await sb.namespace(`dv${i}`));
      await env.ovs.moveToNamespace(p, ns[i]!);
      await sb.exec(ns[i]!, ['ip', 'link', 'set', p, 'address', `fa:16:3e:00:40:0${i + 1}`]);
      await sb.exec(ns[i]!, ['ip', 'addr', 'add', `10.250.41.${i + 1}/24`, 'dev', p]);
      await sb.exec(ns[i]!, ['ip', 'link', 'set', p, 'up']);
    }
    // Oracle: ovs-vsctl sees Neutron's dead-VLAN shape on both ports.
    for (const p of [p1, p2]) {
      const [row] = await env.ovs.list('Port', p);
      assert.deepEqual([row?.tag, row?.vlan_mode, row?.trunks], [4095, 'trunk', 4095], p);
    }
    assert.equal(await sb.ping(ns[0]!, '10.250.41.2', 2), false, 'two dead ports cannot reach each other');
    assert.equal(await br.setPortTag(p1, 33), true);
    assert.equal(await sb.ping(ns[0]!, '10.250.41.2', 2), false, 'one bound, one dead: still nothing');
    assert.equal(await br.setPortTag(p2, 33), true);
    // The pings that had to fail left a FAILED neighbour entry, which delays the next ARP by a
    // second: forget it, so the ping below measures the switch, not the kernel's ARP back-off.
    for (const n of ns) await sb.exec(n, ['ip', 'neigh', 'flush', 'all']);
    for (const p of [p1, p2]) {
      const [row] = await env.ovs.list('Port', p);
      assert.deepEqual([row?.tag, row?.vlan_mode, row?.trunks], [33, [], []], `${p} is an access port now`);
    }
    assert.equal(await sb.ping(ns[0]!, '10.250.41.2', 3), true, 'both on VLAN 33: they reach each other');
    assert.equal(await br.markDead(p2), true);
    assert.equal(await sb.ping(ns[0]!, '10.250.41.2', 2), false, 'marked dead again: cut off');
  },
);

test(
  'flows: COOKIE_ANY deletes every flow, and no match can reach past the owner’s cookie',
  rootOnly,
  async () => {
    const br = new OvsBridge(env.sw, env.ovs.name('ck'));
    await br.create({ datapathType: 'netdev' });
    try {
      const mine = new OfctlFlows(br.name, { env: env.ovs.env, cookie: 0xa1n });
      const theirs = new OfctlFlows(br.name, { env: env.ovs.env, cookie: 0xb2n });
      const cookies = async () =>
        (await mine.dumpFlows())
          .map((f) => `${f.cookie.toString(16)}/${f.table}`)
          .sort()
          .join(' ');
      const fill = async () => {
        await mine.addFlows([
          { priority: 10, actions: 'drop' },
          { table: 3, priority: 10, actions: 'drop' },
        ]);
        await theirs.addFlows([
          { priority: 11, actions: 'drop' },
          { table: 3, priority: 11, actions: 'drop' },
        ]);
      };
      await fill();
      const full = await cookies();
      assert.equal(full, '0/0 a1/0 a1/3 b2/0 b2/3', 'the NORMAL flow vswitchd installs, and both owners');
      // A match that names a cookie (any spelling) is refused before ovs-ofctl runs: nothing of theirs goes.
      for (const match of ['cookie=0/0', 'ip cookie:0/0', 'cookie(0/0)', 'table=3', 'priority=11']) {
        await assert.rejects(mine.deleteFlows([{ match }]), InvalidInputError, match);
      }
      assert.equal(await cookies(), full);
      await mine.deleteFlows([{ table: 3 }]);
      assert.equal(await cookies(), '0/0 a1/0 b2/0 b2/3', 'only my table-3 flow went');
      await mine.deleteFlows([{ cookie: COOKIE_ANY, table: 3 }]);
      assert.equal(await cookies(), '0/0 a1/0 b2/0');
      await mine.deleteFlows([{ cookie: COOKIE_ANY }]);
      assert.equal(await cookies(), '', 'COOKIE_ANY alone: every flow of the bridge');
      await fill();
      await mine.deleteAllFlows();
      assert.equal(await cookies(), '');
    } finally {
      await br.destroy();
    }
  },
);
