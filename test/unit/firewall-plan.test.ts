import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/errors.js';
import { portId } from '../../src/firewall/chains.js';
import { type FirewallDesired, firewallFromModel } from '../../src/firewall/desired.js';
import { BridgeNetfilterError } from '../../src/firewall/errors.js';
import { egressChain, firewallPrefix, ingressChain, spoofChain } from '../../src/firewall/names.js';
import { resourceId } from '../../src/net/ownership.js';
import type { IptablesStep } from '../../src/reconcile/step.js';
import { hostileString } from '../helpers/host-snapshot.js';
import { desired, FwHost, topology } from './firewall-fixtures.js';

const prefix = firewallPrefix(topology().topology);
const chain = (c: string) => `tn-${prefix}-${c}`;
const idOf = (d: FirewallDesired, name: string) =>
  portId(d.ports.find((p) => p.owner.name === `vm_${name}`)!);
const lines = (text: string | undefined) =>
  (text ?? '').split('\n').filter((l) => l !== '' && l !== 'COMMIT' && !l.startsWith('*'));
const zoneOf = (h: FwHost, network: string) =>
  Number(new RegExp(`comment net-${network} -j CT --zone (\\d+)`).exec(h.save(4))?.[1]);

describe('firewall plan on a fake host', () => {
  test('converges in one apply; a re-apply plans nothing and sends nothing', async () => {
    const h = new FwHost();
    const d = desired();
    const { changes, applied } = await h.apply(d);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]?.action, 'create');
    assert.ok(applied.operations > 0);
    const restores = h.iptables.restores.length;
    assert.deepEqual(await h.plan(d), []);
    const again = await h.apply(d);
    assert.equal(again.applied.operations, 0);
    assert.equal(h.iptables.restores.length, restores, 'no iptables-restore');
    assert.equal(h.ipset.restores.length, 1, 'one ipset restore: the web set, once');
  });

  test('the planned restore text is exactly what the apply sends', async () => {
    const h = new FwHost();
    for (const d of [
      desired(),
      desired((t) => ((t.securityGroups as { rules: unknown[] }[])[1]!.rules = [])),
    ]) {
      const changes = await h.plan(d);
      const step = changes[0]!.steps.find((s): s is IptablesStep => s.via === 'iptables')!;
      const { applied } = await h.apply(d);
      assert.deepEqual(applied.sent, step.planned.text);
      assert.equal(applied.iptablesOps, step.planned.operations);
    }
    const removal = await h.plan(null, desired().topology);
    const step = removal[0]!.steps.find((s): s is IptablesStep => s.via === 'iptables')!;
    const { applied } = await h.apply(null, desired().topology);
    assert.deepEqual(applied.sent, step.planned.text);
  });

  test('ports: groups give ingress, egress and spoof chains; no groups gives anti-spoofing only; no port security, nothing', async () => {
    const h = new FwHost();
    const d = desired();
    await h.apply(d);
    const save = h.save(4);
    for (const n of ['a', 'b', 'c']) {
      for (const c of [ingressChain, egressChain, spoofChain])
        assert.ok(save.includes(`:${chain(c(idOf(d, n)))} `), n);
    }
    const dd = idOf(d, 'd');
    assert.ok(!save.includes(`:${chain(ingressChain(dd))} `));
    assert.ok(save.includes(`:${chain(spoofChain(dd))} `));
    assert.ok(!save.includes(`--physdev-out tap${dd}`), 'traffic to d is not filtered');
    assert.ok(
      !lines(save).some((l) => l.includes(`${chain(egressChain(dd))} -m state`)),
      'd egress: no state/SG rules',
    );
    assert.equal(d.ports.length, 4, 'e (port security off) is not a filtered port');
  });

  test('rules keep their order; one changed rule is one delete and one insert per port in the group', async () => {
    const h = new FwHost();
    await h.apply(desired());
    const d = desired((t) => {
      const web = (t.securityGroups as { rules: { port?: number }[] }[])[0]!;
      web.rules[1]!.port = 81;
    });
    const { applied } = await h.apply(d);
    const sent = lines(applied.sent[4]);
    assert.equal(sent.length, 6, sent.join('\n'));
    for (const n of ['a', 'b', 'c']) {
      const i = chain(ingressChain(idOf(d, n)));
      assert.equal(sent.filter((l) => l.startsWith(`-D ${i} `)).length, 1);
      assert.equal(sent.filter((l) => l.startsWith(`-I ${i} `) && l.includes('--dport 81')).length, 1);
    }
    const a = chain(ingressChain(idOf(d, 'a')));
    const rules = lines(h.save(4)).filter((l) => l.startsWith(`-A ${a} `));
    const at = (s: string) => rules.findIndex((r) => r.includes(s));
    assert.ok(
      at('--match-set') < at('--dport 81') && at('--dport 81') < at('--dports 8000:8100'),
      rules.join('\n'),
    );
    assert.deepEqual(await h.plan(d), []);
  });

  test('a member joining a remote group on another host changes the ipset and no iptables rule', async () => {
    const place = (extra: boolean) => (t: Record<string, unknown>) => {
      const inst = t.instances as Record<string, unknown>[];
      for (const i of inst) i.host = 'h1';
      if (extra)
        inst.push({ name: 'f', network: 'web', ip: '10.0.1.20', securityGroups: ['web'], host: 'h2' });
    };
    const h = new FwHost();
    const before = firewallOn(place(false));
    await h.apply(before);
    const ipsetRestores = h.ipset.restores.length;
    const { changes, applied } = await h.apply(firewallOn(place(true)));
    assert.equal(applied.restores, 0, 'no iptables restore');
    assert.equal(changes[0]!.steps.map((s) => s.via).join(), 'ipset');
    assert.equal(h.ipset.restores.length, ipsetRestores + 1);
    assert.match(h.ipset.restores.at(-1)!, /^add \S+ 10\.0\.1\.20 -exist\n$/);
  });

  test('without ipsets a remote group is one rule per member, and a membership change rewrites those rules', async () => {
    const h = new FwHost();
    await h.apply(desired(undefined, false));
    const a = chain(ingressChain(idOf(desired(), 'a')));
    const icmp = lines(h.save(4)).filter((l) => l.startsWith(`-A ${a} `) && l.includes('-p icmp'));
    // web's members are a, b, c: a's own address is left out.
    assert.deepEqual(
      icmp.map((l) => /-s (\S+)/.exec(l)?.[1]),
      ['10.0.1.11/32', '10.0.2.10/32'],
    );
    assert.equal(h.ipset.restores.length, 0);
    const { applied } = await h.apply(
      desired((t) => ((t.instances as { securityGroups?: string[] }[])[1]!.securityGroups = []), false),
    );
    assert.ok(lines(applied.sent[4]).some((l) => l.startsWith(`-D ${a} `)));
  });

  test('a removed rule cuts only the flows it allowed; a member leaving a set cuts its flows to the ports matching the set', async () => {
    const h = new FwHost();
    await h.apply(desired());
    const z = zoneOf(h, portNet(desired(), 'c'));
    const zw = zoneOf(h, portNet(desired(), 'a'));
    h.conntrack.add('host', { protocol: 'tcp', src: '10.9.9.9', dst: '10.0.2.10', dport: 22, zone: z });
    h.conntrack.add('host', { protocol: 'tcp', src: '10.9.9.9', dst: '10.0.2.10', dport: 80, zone: z });
    h.conntrack.add('host', { protocol: 'icmp', src: '10.0.1.11', dst: '10.0.1.10', zone: zw });
    h.conntrack.add('host', { protocol: 'icmp', src: '10.0.2.10', dst: '10.0.1.10', zone: zw });
    // ssh loses its rule; b leaves web.
    const d = desired((t) => {
      (t.securityGroups as { rules: unknown[] }[])[1]!.rules = [];
      (t.instances as { securityGroups?: string[] }[])[1]!.securityGroups = ['ssh'];
    });
    await h.apply(d);
    const left = (h.conntrack.flows.get('host') ?? []).map(
      (f) => `${f.src}>${f.dst}:${f.dport ?? f.protocol}`,
    );
    assert.deepEqual(left.sort(), ['10.0.2.10>10.0.1.10:icmp', '10.9.9.9>10.0.2.10:80']);
  });

  test('a port that goes takes the conntrack entries of its addresses in its zone with it', async () => {
    const h = new FwHost();
    await h.apply(desired());
    const z = zoneOf(h, portNet(desired(), 'b'));
    h.conntrack.add('host', { protocol: 'tcp', src: '10.0.1.11', dst: '10.9.9.9', dport: 443, zone: z });
    h.conntrack.add('host', { protocol: 'tcp', src: '10.9.9.9', dst: '10.0.1.11', dport: 80, zone: z });
    h.conntrack.add('host', { protocol: 'tcp', src: '10.9.9.9', dst: '10.0.1.11', dport: 80, zone: z + 7 });
    h.conntrack.add('host', { protocol: 'tcp', src: '10.9.9.9', dst: '10.0.1.10', dport: 80, zone: z });
    await h.apply(desired((t) => (t.instances as unknown[]).splice(1, 1)));
    const left = (h.conntrack.flows.get('host') ?? []).map((f) => `${f.dst}@${f.zone}`);
    assert.deepEqual(left.sort(), [`10.0.1.10@${z}`, `10.0.1.11@${z + 7}`]);
  });

  test('a rule, a chain or a set member deleted by hand is restored, and only that', async () => {
    const h = new FwHost();
    const d = desired();
    await h.apply(d);
    const state = h.iptables.states.get('host/4')!;
    const a = state.get('filter')!.chains.get(chain(ingressChain(idOf(d, 'a'))))!;
    a.rules.splice(2, 1);
    const set = [...h.ipset.sets('host').values()][0]!;
    set.members.delete('10.0.1.11');
    const { changes, applied } = await h.apply(d);
    assert.equal(changes[0]?.action, 'update');
    assert.equal(applied.iptablesOps, 1);
    assert.equal(applied.ipsetOps, 1);
    assert.ok(
      set.members.has('10.0.1.11') || [...h.ipset.sets('host').values()][0]!.members.has('10.0.1.11'),
    );
    assert.deepEqual(await h.plan(d), []);
  });

  test('removal (desired null) takes away every chain, rule, set and the shared chain, and plans nothing after', async () => {
    const h = new FwHost();
    const d = desired();
    await h.apply(d);
    const { changes } = await h.apply(null, d.topology);
    assert.equal(changes[0]?.action, 'delete');
    for (const f of [4, 6] as const) {
      assert.deepEqual(
        lines(h.save(f)).filter((l) => /tn-|tenantnet/.test(l)),
        [],
        h.save(f),
      );
    }
    assert.equal(h.ipset.sets('host').size, 0);
    assert.deepEqual(await h.plan(null, d.topology), []);
    assert.deepEqual(await h.plan({ ...d, ports: [] }), []);
  });

  test('dropping the last remote-group rule destroys its set after the rules that used it', async () => {
    const h = new FwHost();
    await h.apply(desired());
    const d = desired((t) => (t.securityGroups as { rules: unknown[] }[])[0]!.rules.splice(0, 1));
    const { changes } = await h.apply(d);
    const destroy = changes[0]!.steps.find((s) => s.via === 'ipset')!;
    assert.equal(destroy.phase, 'service');
    assert.equal(h.ipset.sets('host').size, 0);
    assert.deepEqual(await h.plan(d), []);
  });

  test('conntrack zones: one per network, unique on the host across topologies, kept by a network', async () => {
    const h = new FwHost();
    await h.apply(desired());
    const web = zoneOf(h, portNet(desired(), 'a'));
    const db = zoneOf(h, portNet(desired(), 'c'));
    assert.deepEqual([web, db].sort(), [1, 2]);
    const other = desired((t) => (t.name = 'other'));
    await h.apply(other);
    assert.deepEqual([zoneOf(h, portNet(other, 'a')), zoneOf(h, portNet(other, 'c'))].sort(), [3, 4]);
    // A network that sorts first joins: the others keep theirs.
    const more = desired((t) => {
      (t.networks as unknown[]).push({ name: 'aaa', cidr: '10.0.3.0/24' });
      (t.instances as unknown[]).push({ name: 'z', network: 'aaa', securityGroups: ['web'] });
    });
    await h.apply(more);
    assert.equal(zoneOf(h, portNet(more, 'a')), web);
    assert.equal(zoneOf(h, portNet(more, 'c')), db);
    assert.equal(zoneOf(h, portNet(more, 'z')), 5);
  });

  test('bridged traffic that bypasses iptables is a typed error before anything runs', async () => {
    for (const sysctl of ['0\n1\n', null]) {
      const h = new FwHost();
      h.sysctl = sysctl;
      await assert.rejects(h.apply(desired()), (e: unknown) => {
        assert.ok(e instanceof BridgeNetfilterError);
        assert.match((e as Error).message, /bridge-nf-call-iptables=(0|missing)/);
        return true;
      });
      assert.equal(h.iptables.restores.length + h.ipset.restores.length, 0);
    }
    // Removing needs no bridge netfilter (nothing is read then).
    const h = new FwHost();
    h.sysctl = '0\n0\n';
    assert.deepEqual(await h.plan(null, desired().topology), []);
  });

  test('hostile strings anywhere in the desired state are an InvalidInputError naming the field, and nothing runs', async () => {
    const d = desired();
    const paths: ((v: string) => FirewallDesired)[] = [
      (v) => ({ ...d, topology: v as never }),
      (v) => ({ ...d, ports: [{ ...d.ports[0]!, mac: v as never }] }),
      (v) => ({ ...d, ports: [{ ...d.ports[0]!, fixedIps: [v as never] }] }),
      (v) => ({ ...d, ports: [{ ...d.ports[0]!, hook: { ...d.ports[0]!.hook, device: v as never } }] }),
      (v) => ({ ...d, ports: [{ ...d.ports[0]!, hook: { ...d.ports[0]!.hook, bridge: v as never } }] }),
      (v) => ({ ...d, ports: [{ ...d.ports[0]!, securityGroups: [v as never] }] }),
      (v) => ({
        ...d,
        ports: [{ ...d.ports[0]!, allowedAddressPairs: [{ cidr: v as never, mac: d.ports[0]!.mac }] }],
      }),
      (v) => ({
        ...d,
        securityGroups: d.securityGroups.map((g, i) =>
          i === 0
            ? { ...g, rules: g.rules.map((r) => ({ ...r, remoteIp: v as never, remoteGroup: null })) }
            : g,
        ),
      }),
      (v) => ({
        ...d,
        securityGroups: d.securityGroups.map((g, i) =>
          i === 0 ? { ...g, rules: g.rules.map((r) => ({ ...r, protocol: v })) } : g,
        ),
      }),
      (v) => ({
        ...d,
        securityGroups: d.securityGroups.map((g) => ({ ...g, members: { 4: [v as never], 6: [] } })),
      }),
    ];
    const h = new FwHost();
    await fc.assert(
      fc.asyncProperty(hostileString(), fc.integer({ min: 0, max: paths.length - 1 }), async (v, i) => {
        const bad = (paths[i] as (v: string) => FirewallDesired)(v);
        let threw: unknown = null;
        try {
          await h.plan(bad, d.topology);
        } catch (e) {
          threw = e;
        }
        // A hostile string that happens to be valid (a protocol number) may plan; anything else is refused.
        if (threw !== null) {
          assert.ok(threw instanceof InvalidInputError, String(threw));
          assert.match((threw as InvalidInputError).message, /^firewall/);
        }
      }),
      { numRuns: 200 },
    );
    assert.equal(h.iptables.restores.length + h.ipset.restores.length, 0);
  });
});

function portNet(d: FirewallDesired, name: string): string {
  const p = d.ports.find((x) => x.owner.name === `vm_${name}`)!;
  return resourceId(p.network);
}

function firewallOn(edit: (t: Record<string, unknown>) => void): FirewallDesired {
  return firewallFromModel(topology(edit), { host: 'h1' });
}
