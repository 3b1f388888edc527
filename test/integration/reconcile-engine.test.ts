import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyChanges } from '../../src/reconcile/apply.js';
import { countingExecutors, readRoundTrips, stateChanging } from '../../src/reconcile/counting.js';
import { DEMO_SET } from '../helpers/reconcile-demo.js';
import { type ReconcileEnv, reconcileEnv } from '../helpers/reconcile-env.js';
import { rootOnly } from '../helpers/root.js';

/** What the independent tools (ip, ovs-vsctl, iptables-save, ipset) say about the demo. */
async function oracle(env: ReconcileEnv) {
  const { n } = env;
  const links = async (ns: string) =>
    JSON.parse(await env.sh(ns, ['ip', '-j', '-d', 'addr', 'show'])) as {
      ifname: string;
      flags: string[];
      ifalias?: string;
      addr_info: { local: string; prefixlen: number }[];
    }[];
  const a = await links(n.nsA);
  const b = await links(n.nsB);
  const dev = (ls: typeof a, name: string) => {
    const l = ls.find((x) => x.ifname === name);
    return (
      l && {
        up: l.flags.includes('UP'),
        alias: l.ifalias ?? null,
        addrs: l.addr_info.map((i) => `${i.local}/${i.prefixlen}`).filter((x) => !x.startsWith('fe80')),
      }
    );
  };
  const routes = await env.sh(n.nsA, ['ip', 'route', 'show', '10.77.50.0/24']);
  const ports = (await env.ovs.vsctl(['list-ports', n.bridge])).trim().split('\n').filter(Boolean);
  const rules = (await env.sh(n.nsA, ['iptables-save', '-t', 'filter']))
    .split('\n')
    .filter((l) => l.startsWith('-A tn-demo-web'));
  const set =
    (await env.sh(n.nsA, ['ipset', 'list', 'demo4-web'])).split('Members:\n')[1]?.trim().split('\n').sort() ??
    [];
  return {
    lo: dev(a, 'lo'),
    vethA: dev(a, n.vethA),
    vethB: dev(b, n.vethB),
    port: dev(a, n.port),
    route: routes.trim(),
    ports,
    rules,
    set,
  };
}

test(
  'the demo state applied through the engine is there, and applied again sends nothing',
  rootOnly,
  async (t) => {
    const env = await reconcileEnv(t);
    const { n } = env;
    const first = await env.converge('present');
    assert.ok(first.changes > 0);
    const o = await oracle(env);
    assert.deepEqual(o.lo, {
      up: true,
      alias: 'tenantnet:demo.instance.a',
      addrs: ['127.0.0.1/8', '::1/128'],
    });
    assert.deepEqual(o.vethA, { up: true, alias: 'tenantnet:demo.port.ab', addrs: ['10.77.1.1/24'] });
    assert.deepEqual(o.vethB, { up: true, alias: 'tenantnet:demo.port.ab', addrs: ['10.77.1.2/24'] });
    assert.deepEqual(o.port, { up: true, alias: 'tenantnet:demo.port.pa', addrs: ['10.77.2.1/24'] });
    assert.match(o.route, /^10\.77\.50\.0\/24 via 10\.77\.1\.2 dev /);
    assert.deepEqual(o.ports, [n.port]);
    assert.deepEqual(o.rules, [
      '-A tn-demo-web -m set --match-set demo4-web src -j ACCEPT',
      '-A tn-demo-web -s 10.77.1.0/24 -j ACCEPT',
      '-A tn-demo-web -j DROP',
    ]);
    assert.deepEqual(o.set, [...DEMO_SET].sort());
    assert.equal((await env.sh(n.nsA, ['ping', '-c1', '-W1', '10.77.1.2'])).includes('1 received'), true);

    const c = countingExecutors(env.x);
    const again = await applyChanges(await env.plan('present', c.executors), c.executors);
    assert.equal(again.changes, 0);
    assert.equal(again.outcomes.length, 0, 'nothing planned');
    assert.equal(stateChanging(c.counts), 0, `no state-changing command: ${JSON.stringify(c.counts)}`);
    assert.ok(readRoundTrips(c.counts) > 0, 'the plan did read the host');
  },
);

test(
  'what is removed by hand (veth, address, OVS port, rule, set member) comes back with the next apply',
  rootOnly,
  async (t) => {
    const env = await reconcileEnv(t);
    const { n } = env;
    await env.converge('present');
    const before = await oracle(env);
    await env.sh(n.nsA, ['ip', 'link', 'del', n.vethA]);
    await env.sh(n.nsA, ['ip', 'addr', 'del', '10.77.2.1/24', 'dev', n.port]);
    await env.sh(n.nsA, ['iptables', '-D', 'tn-demo-web', '-j', 'DROP']);
    await env.sh(n.nsA, ['ipset', 'del', 'demo4-web', '10.77.9.9']);
    assert.notDeepEqual(await oracle(env), before);
    const repair = await env.converge('present');
    // The veth and its two addresses, its peer's mark, the route, the address, one rule, one member.
    assert.ok(repair.changes >= 6, `repair sent ${repair.changes}`);
    assert.deepEqual(await oracle(env), before);

    await env.ovs.vsctl(['del-port', n.port]);
    assert.deepEqual((await oracle(env)).port, undefined, 'the device went with its port');
    await env.converge('present');
    assert.deepEqual(await oracle(env), before);

    const c = countingExecutors(env.x);
    const last = await applyChanges(await env.plan('present', c.executors), c.executors);
    assert.equal(last.changes, 0);
    assert.equal(stateChanging(c.counts), 0);
  },
);

test('destroy plans towards nothing and leaves nothing of the demo', rootOnly, async (t) => {
  const env = await reconcileEnv(t);
  await env.converge('present');
  const gone = await env.converge('absent');
  assert.ok(gone.changes > 0);
  assert.equal((await env.plan('absent')).length, 0);
  assert.deepEqual(await env.ovs.vsctl(['list-br']), '');
  const netns = await env.sh(env.ovs.netns, ['ip', 'netns', 'list']);
  assert.ok(!netns.includes(env.sb.prefix), netns);
});
