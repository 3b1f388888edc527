import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTopology, parseTopology, TopologyError } from '../../src/topology/index.js';

const BASE = `name: demo
networks:
  - name: web
    subnets: [{ cidr: 10.10.1.0/24 }, { cidr: "fd00:1::/64" }]
  - { name: db, cidr: 10.10.2.0/24 }
  - { name: v6only, cidr: "fd00:9::/64" }
  - { name: quiet, cidr: 10.10.3.0/24, dhcp: false }
  - { name: public, cidr: 172.24.4.0/24, external: true, dhcp: false }
routers:
  - { name: r1, gateway: { network: public, ip: 172.24.4.10 }, interfaces: [web, db] }
instances:
  - { name: web1, network: web, ip: 10.10.1.10 }
  - { name: db1, network: db, ip: 10.10.2.10 }
  - { name: six, network: v6only }
  - { name: upstream, network: public, ip: 172.24.4.1, address: static }
floating_ips:
  - { instance: web1, address: 172.24.4.20 }
checks:
`;

function built(checks: string) {
  return buildTopology(parseTopology({ text: BASE + checks, file: 'c.yaml' }));
}

function linesOf(checks: string): string[] {
  try {
    built(checks);
  } catch (e) {
    assert.ok(e instanceof TopologyError, String(e));
    return e.lines;
  }
  assert.fail('the checks resolved');
}

test('checks resolve to a source namespace, a destination address and the namespace that owns it', () => {
  const { model, checks } = built(`  - { from: web1, to: db1, protocol: tcp, port: 5432 }
  - { from: upstream, to: fip:web1, protocol: udp, port: 53, expect: block }
  - { from: upstream, to: 172.24.4.20, protocol: tcp, port: 22 }
  - { from: router:r1, to: web1 }
  - { from: dhcp:web, to: 10.10.2.1, protocol: tcp, port: 179 }
  - { from: web1, to: "FD00:1:0::1" }
  - { from: db1, to: 8.8.8.8 }
`);
  const web = model.networks.find((n) => n.name === 'web')!;
  const at = (kind: string, name: string) => ({ kind, topology: 'demo', name });
  assert.deepEqual(
    checks.map((c) => ({
      index: c.index,
      source: c.source,
      destination: c.destination,
      family: c.family,
      server: c.server,
      protocol: c.protocol,
      port: c.port,
      expect: c.expect,
    })),
    [
      {
        index: 0,
        source: at('instance', 'web1'),
        destination: '10.10.2.10',
        family: 4,
        server: at('instance', 'db1'),
        protocol: 'tcp',
        port: 5432,
        expect: 'pass',
      },
      {
        index: 1,
        source: at('instance', 'upstream'),
        destination: '172.24.4.20',
        family: 4,
        server: at('instance', 'web1'),
        protocol: 'udp',
        port: 53,
        expect: 'block',
      },
      {
        // a literal floating IP: its instance listens
        index: 2,
        source: at('instance', 'upstream'),
        destination: '172.24.4.20',
        family: 4,
        server: at('instance', 'web1'),
        protocol: 'tcp',
        port: 22,
        expect: 'pass',
      },
      {
        index: 3,
        source: at('router', 'r1'),
        destination: '10.10.1.10',
        family: 4,
        server: at('instance', 'web1'),
        protocol: 'icmp',
        port: null,
        expect: 'pass',
      },
      {
        // a router's interface address: the router's namespace listens
        index: 4,
        source: at('dhcp', 'web'),
        destination: '10.10.2.1',
        family: 4,
        server: at('router', 'r1'),
        protocol: 'tcp',
        port: 179,
        expect: 'pass',
      },
      {
        // canonicalised; the router's IPv6 interface address on web
        index: 5,
        source: at('instance', 'web1'),
        destination: 'fd00:1::1',
        family: 6,
        server: at('router', 'r1'),
        protocol: 'icmp',
        port: null,
        expect: 'pass',
      },
      {
        // nobody's: ping only
        index: 6,
        source: at('instance', 'db1'),
        destination: '8.8.8.8',
        family: 4,
        server: null,
        protocol: 'icmp',
        port: null,
        expect: 'pass',
      },
    ],
  );
  assert.ok(web.dhcpPort);
});

test('to an instance: its IPv4 address when both ends have IPv4, else the family they share', () => {
  const { model, checks } = built(`  - { from: web1, to: six }
  - { from: six, to: web1 }
`);
  const six = model.instances.find((i) => i.name === 'six')!.port.fixedIps[0]!.address;
  const web1v6 = model.instances.find((i) => i.name === 'web1')!.port.fixedIps[1]!.address;
  assert.deepEqual(
    checks.map((c) => [c.destination, c.family]),
    [
      [six, 6],
      [web1v6, 6],
    ],
  );
});

test('check problems are located: forms, ports, unknown names, families, destinations without an owner', () => {
  assert.deepEqual(
    linesOf(`  - { from: "web1!", to: "db 1" }
  - { from: router:nope, to: fip:db1 }
  - { from: dhcp:quiet, to: web1 }
  - { from: dhcp:ghost, to: ghost, protocol: udp }
  - { from: web1, to: db1, protocol: icmp, port: 7 }
  - { from: web1, to: db1, protocol: tcp, port: 0 }
  - { from: db1, to: six }
  - { from: db1, to: "fd00:9::99" }
  - { from: db1, to: 8.8.8.8, protocol: tcp, port: 53 }
  - { from: db1, to: web1, protocol: sctp, expect: maybe }
`),
    [
      'c.yaml:19:13: from: "web1!" is not an instance name, router:NAME or dhcp:NETWORK',
      'c.yaml:19:26: to: "db 1" is not an instance name, fip:INSTANCE or an IP address',
      'c.yaml:20:13: there is no router "nope"',
      'c.yaml:20:30: instance "db1" has no floating IP',
      'c.yaml:21:13: network "quiet" has no DHCP (no subnet with dhcp: true), so no dhcp namespace',
      'c.yaml:22:5: a udp check needs "port" (1-65535)',
      'c.yaml:22:13: there is no network "ghost"',
      'c.yaml:22:29: there is no instance "ghost"',
      'c.yaml:23:50: port: icmp has no ports; give port with tcp or udp only',
      'c.yaml:24:49: port: 0 is not a port (1-65535)',
      'c.yaml:25:22: six has no address of a family db1 has (db1: IPv4)',
      'c.yaml:26:13: db1 has no IPv6 address to reach fd00:9::99 from',
      'c.yaml:27:22: no namespace of the topology has 8.8.8.8, so a tcp check has nowhere to listen (use icmp, or an address the topology owns)',
      'c.yaml:28:38: protocol: "sctp" is not one of icmp, tcp, udp',
      'c.yaml:28:52: expect: "maybe" is not one of pass, block',
    ],
  );
});

test('an address two tenants share is ambiguous for a server; the instance name is not', () => {
  const overlap = `name: ov
networks:
  - { name: a, cidr: 10.0.0.0/24 }
  - { name: b, cidr: 10.0.0.0/24 }
instances:
  - { name: a1, network: a, ip: 10.0.0.5 }
  - { name: b1, network: b, ip: 10.0.0.5 }
checks:
  - { from: a1, to: 10.0.0.5, protocol: tcp, port: 80 }
  - { from: a1, to: b1, protocol: tcp, port: 80 }
  - { from: a1, to: 10.0.0.5 }
`;
  try {
    parseTopology({ text: overlap, file: 'o.yaml' });
    assert.fail('loaded');
  } catch (e) {
    assert.ok(e instanceof TopologyError);
    assert.deepEqual(e.lines, [
      'o.yaml:9:21: 10.0.0.5 is used by instance a1 and instance b1; name the instance instead',
    ]);
  }
});

test('checks are checked against the names even when the model fails', () => {
  let lines: string[] = [];
  try {
    parseTopology({
      text: 'name: demo\ninstances:\n  - { name: web2, network: nowhere }\nchecks:\n  - { from: nobody, to: web2 }\n',
      file: 'm.yaml',
    });
  } catch (e) {
    lines = (e as TopologyError).lines;
  }
  assert.deepEqual(lines, [
    'm.yaml:3:28: there is no network "nowhere"',
    'm.yaml:5:13: there is no instance "nobody"',
  ]);
});

test('an unknown source is reported once, not again as a family mismatch', () => {
  assert.deepEqual(linesOf('  - { from: nobody, to: web1 }\n  - { from: router:none, to: db1 }\n'), [
    'c.yaml:19:13: there is no instance "nobody"',
    'c.yaml:20:13: there is no router "none"',
  ]);
});
