import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { applyChanges, assertApplied } from '../../src/reconcile/apply.js';
import { planScript, renderChanges } from '../../src/reconcile/render.js';
import { type ReconcileEnv, reconcileEnv } from '../helpers/reconcile-env.js';
import { rootOnly } from '../helpers/root.js';

/** The demo's state as the independent tools print it, without what differs from run to run. */
async function observed(env: ReconcileEnv) {
  const { n } = env;
  const links = async (ns: string) =>
    (
      JSON.parse(await env.sh(ns, ['ip', '-j', '-d', 'addr', 'show'])) as {
        ifname: string;
        flags: string[];
        mtu: number;
        ifalias?: string;
        group: string;
        linkinfo?: { info_kind: string };
        addr_info: { local: string; prefixlen: number; scope: string }[];
      }[]
    )
      .map((l) => ({
        name: l.ifname,
        kind: l.linkinfo?.info_kind ?? null,
        up: l.flags.includes('UP'),
        mtu: l.mtu,
        alias: l.ifalias ?? null,
        group: l.group,
        addrs: l.addr_info.filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  const routes = async (ns: string) =>
    (await env.sh(ns, ['ip', 'route', 'show', 'table', 'all'])).split('\n').filter(Boolean).sort();
  const save = async (ns: string) =>
    (await env.sh(ns, ['iptables-save']))
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]/g, '[0:0]'));
  const port = (await env.ovs.list('Port', n.port))[0] as Record<string, unknown>;
  const iface = (await env.ovs.list('Interface', n.port))[0] as Record<string, unknown>;
  const bridge = (await env.ovs.list('Bridge', n.bridge))[0] as Record<string, unknown>;
  return {
    a: await links(n.nsA),
    b: await links(n.nsB),
    routesA: await routes(n.nsA),
    routesB: await routes(n.nsB),
    iptablesA: await save(n.nsA),
    ipsetA: (await env.sh(n.nsA, ['ipset', 'save']))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/ initval 0x[0-9a-f]+/, ''))
      .sort(),
    promote: (await env.sh(n.nsA, ['sysctl', '-n', 'net.ipv4.conf.all.promote_secondaries'])).trim(),
    port: { tag: port.tag, trunks: port.trunks, vlan_mode: port.vlan_mode, external_ids: port.external_ids },
    iface: { type: iface.type, external_ids: iface.external_ids, options: iface.options },
    bridge: {
      datapath_type: bridge.datapath_type,
      fail_mode: bridge.fail_mode,
      external_ids: bridge.external_ids,
      ports: (bridge.ports as unknown[]).length,
    },
  };
}

test(
  'the rendered commands, run by bash on a clean host, make the state apply makes',
  rootOnly,
  async (t) => {
    const env = await reconcileEnv(t);
    const changes = await env.plan('present');
    const sw = await env.x.ovs();
    const rendered = renderChanges(changes, env.x.host, { datapath: 'netdev', ovsOwner: sw!.owner });
    const script = planScript(rendered);
    assert.match(script, /^ip netns add /m);
    assert.match(
      script,
      new RegExp(`^ip -n ${env.ovs.netns} link set dev ${env.n.port} netns ${env.n.nsA}$`, 'm'),
    );
    assert.match(script, /^ip netns exec \S+ iptables-restore -w --noflush <<'EOF'$/m);

    const applied = assertApplied(await applyChanges(changes, env.x));
    assert.equal(rendered.changes, applied.changes, 'the plan counts what apply sends');
    const byEngine = await observed(env);

    await env.converge('absent');
    assert.deepEqual(await env.plan('absent'), [], 'clean again');
    await env.x.close(); // bash makes the devices now: no ip process may remember the old ones
    const bash = await run(['bash', '-c', script], { env: env.ovs.env, timeoutMs: 60_000, check: false });
    assert.equal(bash.exitCode, 0, `bash failed: ${bash.stderr}\n${script}`);
    assert.deepEqual(await observed(env), byEngine);
    assert.deepEqual(await env.plan('present'), [], 'the engine finds nothing to do after the script');
  },
);
