import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IpsetManager } from '../../src/iptables/ipset.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import type { NetnsPrefix } from '../../src/net/naming.js';
import type { NamespaceName } from '../../src/net/types.js';
import type { HostSettings } from '../../src/reconcile/executors.js';
import { planJson, planScript, renderChanges, shellWord } from '../../src/reconcile/render.js';
import type { Change, ResourceRef } from '../../src/reconcile/step.js';
import { FakeIpset } from '../fakes/ipset.js';
import { FakeIptables } from '../fakes/iptables.js';

const NS = 'qdhcp-demo.net1' as NamespaceName;
const ref = (kind: ResourceRef['kind'], name: string) => ({ topology: 'demo', kind, name }) as ResourceRef;
const root: HostSettings = {
  namespace: null,
  netnsPrefix: '' as NetnsPrefix,
  stateDir: '/var/lib/tenantnet',
};
const simulated: HostSettings = { ...root, namespace: 'host1' as NamespaceName };

function plan(): Change[] {
  const rules = new IptablesManager({
    namespace: NS,
    prefix: 'dhcp',
    families: [4],
    executor: new FakeIptables(),
  });
  rules.table('filter').addRule('INPUT', '-p udp -m udp --dport 67 -j ACCEPT');
  const sets = new IpsetManager({ namespace: NS, prefix: 'dh', executor: new FakeIpset() });
  return [
    {
      resource: ref('dhcp', 'net1'),
      action: 'create',
      summary: '+ dhcp net1',
      after: [ref('network', 'net1')],
      steps: [
        { via: 'ip', phase: 'namespace', place: 'host', ops: [{ op: 'netns.add', name: NS }] },
        {
          via: 'ip',
          phase: 'namespace',
          place: NS,
          ops: [{ op: 'link.set', name: 'lo' as never, set: { up: true } }],
        },
        {
          via: 'ip',
          phase: 'port',
          place: 'host',
          ops: [{ op: 'link.set', name: 'tapdhcp1' as never, set: { namespace: NS } }],
        },
        {
          via: 'ip',
          phase: 'l3',
          place: NS,
          ops: [{ op: 'addr.add', cidr: '10.0.0.2/24' as never, dev: 'tapdhcp1' as never }],
        },
        {
          via: 'ipset',
          phase: 'netfilter',
          place: NS,
          manager: sets,
          sets: [{ id: 'peers', family: 4, members: ['10.0.0.5'], observed: null }],
        },
        {
          via: 'iptables',
          phase: 'netfilter',
          place: NS,
          manager: rules,
          planned: { operations: 2, text: { 4: rules.plan(4, '') } },
        },
        { via: 'conntrack', phase: 'netfilter', place: NS, filters: [{ family: 4, dst: '10.0.0.9' }] },
        {
          via: 'command',
          phase: 'l3',
          place: NS,
          argv: ['arping', '-U', '-c', '1', '-I', 'tapdhcp1', '10.0.0.2'],
          okCodes: [1],
        },
        {
          via: 'file',
          phase: 'service',
          path: '/var/lib/tenantnet/dhcp/net1/host',
          content: 'fa:16:3e:00:00:05,vm 1,10.0.0.5\n',
        },
        {
          via: 'process',
          phase: 'service',
          action: 'enable',
          service: {
            uuid: 'net1',
            service: 'dnsmasq',
            place: NS,
            pidfile: '/var/lib/tenantnet/dhcp/net1/pid',
            argv: [
              'dnsmasq',
              '--pid-file=/var/lib/tenantnet/dhcp/net1/pid',
              '--conf-dir=/var/lib/tenantnet/dhcp/net1',
            ],
            mode: 'daemonizes',
          },
        },
      ],
    },
    {
      resource: ref('network', 'net1'),
      action: 'create',
      summary: '+ network net1',
      steps: [
        {
          via: 'ovs',
          phase: 'port',
          ops: [
            {
              op: 'port.add',
              bridge: 'br-int',
              spec: { name: 'tapdhcp1', type: 'internal', tag: 4095 },
              owner: 'demo.dhcp.net1',
            },
          ],
        },
        { via: 'ovs', phase: 'l3', ops: [{ op: 'port.tag', name: 'tapdhcp1', tag: 3 }] },
      ],
    },
    {
      resource: ref('instance', 'old'),
      action: 'delete',
      summary: '- instance old',
      steps: [
        {
          via: 'ip',
          phase: 'namespace',
          place: 'host',
          ops: [{ op: 'netns.del', name: 'vm-demo.old' as NamespaceName }],
        },
        {
          via: 'process',
          phase: 'service',
          action: 'disable',
          service: {
            uuid: 'old',
            service: 'agent',
            place: 'host',
            pidfile: '/var/lib/tenantnet/old.pid',
            argv: ['agent', 'old'],
            mode: 'foreground',
          },
        },
        { via: 'file', phase: 'service', path: '/var/lib/tenantnet/old.conf', content: null },
      ],
    },
  ];
}

test('a plan renders as the commands apply runs, in apply order: deletions first, then phase by phase', () => {
  const r = renderChanges(plan(), root, { datapath: 'netdev' });
  assert.equal(
    planScript(r),
    `#!/bin/bash
set -euo pipefail
kill -KILL "$(cat /var/lib/tenantnet/old.pid)" 2>/dev/null || true
rm -f /var/lib/tenantnet/old.pid
rm -f /var/lib/tenantnet/old.conf
ip netns del vm-demo.old
ip netns add qdhcp-demo.net1
ip -n qdhcp-demo.net1 link set dev lo up
ovs-vsctl add-port br-int tapdhcp1 -- set Interface tapdhcp1 type=internal external_ids:tenantnet-owner=demo.dhcp.net1 -- set Port tapdhcp1 tag=4095 vlan_mode=trunk trunks=4095 external_ids:tenantnet-owner=demo.dhcp.net1
ip link set dev tapdhcp1 netns qdhcp-demo.net1
ovs-vsctl set Port tapdhcp1 tag=3 -- clear Port tapdhcp1 vlan_mode trunks
ip -n qdhcp-demo.net1 addr add 10.0.0.2/24 brd 10.0.0.255 dev tapdhcp1
ip netns exec qdhcp-demo.net1 arping -U -c 1 -I tapdhcp1 10.0.0.2 || case $? in 1) true ;; *) false ;; esac
ip netns exec qdhcp-demo.net1 ipset restore <<'EOF'
create dh4-peers hash:net family inet -exist
add dh4-peers 10.0.0.5 -exist
EOF
ip netns exec qdhcp-demo.net1 iptables-restore -w --noflush <<'EOF'
${
  plan()
    .flatMap((c) => c.steps)
    .flatMap((s) => (s.via === 'iptables' ? [s.planned.text[4]] : []))[0]
}EOF
ip netns exec qdhcp-demo.net1 conntrack -D -f ipv4 -d 10.0.0.9 || [ $? -eq 1 ]
install -d -m 0755 /var/lib/tenantnet/dhcp/net1
cat > /var/lib/tenantnet/dhcp/net1/host <<'EOF'
fa:16:3e:00:00:05,vm 1,10.0.0.5
EOF
chmod 0644 /var/lib/tenantnet/dhcp/net1/host
install -d -m 0755 /var/lib/tenantnet/dhcp/net1
ip netns exec qdhcp-demo.net1 dnsmasq --pid-file=/var/lib/tenantnet/dhcp/net1/pid --conf-dir=/var/lib/tenantnet/dhcp/net1
`,
  );
  assert.deepEqual(r.summary, [
    '- instance old  (3 operations)',
    '+ network net1  (2 operations)',
    '+ dhcp net1  (12 operations)',
  ]);
  const json = planJson(r);
  assert.equal(json.changes, r.changes);
  assert.equal(json.changes, 17);
  assert.deepEqual(json.operations[0], {
    resource: 'demo/instance/old',
    action: 'delete',
    pass: 'delete',
    phase: 'service',
    via: 'process',
    command:
      'kill -KILL "$(cat /var/lib/tenantnet/old.pid)" 2>/dev/null || true\nrm -f /var/lib/tenantnet/old.pid',
  });
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(json)));
});

test('on a simulated host, the host is its namespace: ip -n HOST; netns add still from the root namespace', () => {
  const r = renderChanges(plan(), simulated, { datapath: 'netdev' });
  const cmds = r.commands.map((c) => c.command);
  assert.ok(cmds.includes('ip -n host1 link set dev tapdhcp1 netns qdhcp-demo.net1'));
  assert.ok(cmds.includes('ip netns add qdhcp-demo.net1'));
  assert.ok(cmds.includes('ip netns del vm-demo.old'));
  assert.ok(
    cmds.some((c) => c.startsWith('ip netns exec qdhcp-demo.net1 iptables-restore')),
    'namespaces stay themselves',
  );
  assert.ok(
    !cmds.some((c) => c.startsWith('ip link ') || c.startsWith('ip -n host1 netns')),
    'nothing of the host runs in the root namespace',
  );
});

test('words that bash would read otherwise are quoted', () => {
  assert.equal(shellWord('tap-1.2:x=y/z,@%+'), 'tap-1.2:x=y/z,@%+');
  assert.equal(shellWord('a b'), "'a b'");
  assert.equal(shellWord("it's $(rm -rf /)"), "'it'\\''s $(rm -rf /)'");
  const r = renderChanges(
    [
      {
        resource: ref('dhcp', 'x'),
        action: 'create',
        summary: 'x',
        steps: [
          {
            via: 'file',
            phase: 'service',
            path: '/var/lib/tenantnet/x',
            content: 'EOF\nno newline at the end',
          },
          { via: 'command', phase: 'l3', place: 'host', argv: ['echo', "$HOME 'q'"] },
        ],
      },
    ],
    root,
  );
  assert.deepEqual(
    r.commands.map((c) => c.command),
    [
      "echo '$HOME '\\''q'\\'''",
      "install -d -m 0755 /var/lib/tenantnet\nprintf '%s' 'EOF\nno newline at the end' > /var/lib/tenantnet/x\nchmod 0644 /var/lib/tenantnet/x",
    ],
  );
});
