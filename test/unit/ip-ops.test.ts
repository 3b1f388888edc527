import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchLine, type IpOp, routeSpec, ruleSpec } from '../../src/ip/index.js';
import {
  cidr,
  deviceName as d,
  ipAddress,
  linkGroup,
  mac,
  mtu,
  namespaceName,
  routeScope,
  tableId,
} from '../../src/net/index.js';

test('link operations become the expected ip -batch lines', () => {
  const cases: [IpOp, string][] = [
    [{ op: 'netns.add', name: namespaceName('qrouter-1') }, 'netns add qrouter-1'],
    [
      {
        op: 'veth.add',
        name: d('tapx'),
        peer: d('ns-x'),
        peerNamespace: namespaceName('qdhcp-1'),
        group: linkGroup(9),
        mtu: mtu(1450),
        mac: mac('02:00:00:00:00:01'),
      },
      'link add name tapx group 9 mtu 1450 address 02:00:00:00:00:01 type veth peer name ns-x group 9 mtu 1450 netns qdhcp-1',
    ],
    [{ op: 'bridge.add', name: d('brq1') }, 'link add name brq1 type bridge'],
    [
      {
        op: 'vxlan.add',
        name: d('vx1'),
        vxlan: { vni: 42, local: ipAddress('10.0.0.1'), remote: ipAddress('10.0.0.2'), learning: false },
      },
      'link add name vx1 type vxlan id 42 local 10.0.0.1 remote 10.0.0.2 dstport 4789 nolearning',
    ],
    [
      {
        op: 'vxlan.add',
        name: d('vxlan-42'),
        vxlan: { vni: 42, local: ipAddress('10.0.0.1'), dstport: 4789, learning: false, proxy: true },
      },
      'link add name vxlan-42 type vxlan id 42 local 10.0.0.1 dstport 4789 nolearning proxy',
    ],
    [
      {
        op: 'link.set',
        name: d('a'),
        set: { mtu: mtu(9000), alias: 'tenantnet:r1', master: d('br0'), allmulticast: true, up: true },
      },
      'link set dev a mtu 9000 alias tenantnet:r1 allmulticast on master br0 up',
    ],
    [{ op: 'link.set', name: d('a'), set: { master: null, up: false } }, 'link set dev a nomaster down'],
    [{ op: 'link.del.group', group: linkGroup(77) }, 'link del group 77'],
    [{ op: 'link.show', name: d('a') }, 'addr show dev a'],
    [{ op: 'link.show', group: linkGroup(77) }, 'addr show group 77'],
    [{ op: 'link.show' }, 'addr show'],
  ];
  for (const [op, line] of cases) assert.equal(batchLine(op), line);
});

test('a device name that is also an ip keyword (up, mtu, help, h) always follows "name" or "dev"', () => {
  // Bare, `ip link add up type bridge` makes a bridge called bridge0 and sets it up, and
  // `link del help` prints usage and ends the whole batch process.
  for (const n of ['up', 'mtu', 'help', 'h', 'dev', 'name', 'type']) {
    assert.equal(batchLine({ op: 'bridge.add', name: d(n) }), `link add name ${n} type bridge`);
    assert.equal(batchLine({ op: 'link.del', name: d(n) }), `link del dev ${n}`);
    assert.match(
      batchLine({ op: 'veth.add', name: d(n), peer: d(n) }),
      new RegExp(`^link add name ${n} .* peer name ${n}$`),
    );
    assert.match(
      batchLine({ op: 'vxlan.add', name: d(n), vxlan: { vni: 1 } }),
      new RegExp(`^link add name ${n} type vxlan`),
    );
  }
});

test('no operation is ever written as "link show" (it breaks later addr show in iproute2 6.1)', () => {
  for (const op of [{ op: 'link.show' }, { op: 'link.show', name: d('x') }] as IpOp[]) {
    assert.doesNotMatch(batchLine(op), /^link show/);
  }
});

test('address lines carry the computed IPv4 broadcast; IPv6 has none; flush narrows by family', () => {
  assert.equal(
    batchLine({ op: 'addr.add', cidr: cidr('10.0.0.5/24'), dev: d('qr-1') }),
    'addr add 10.0.0.5/24 brd 10.0.0.255 dev qr-1',
  );
  assert.equal(
    batchLine({ op: 'addr.add', cidr: cidr('10.0.0.5/32'), dev: d('qr-1'), scope: 'link' }),
    'addr add 10.0.0.5/32 brd 10.0.0.5 scope link dev qr-1',
  );
  assert.equal(
    batchLine({ op: 'addr.add', cidr: cidr('fd00::5/64'), dev: d('x') }),
    'addr add fd00::5/64 dev x',
  );
  assert.equal(batchLine({ op: 'addr.flush', dev: d('x'), family: 6 }), 'addr flush dev x to ::/0');
  assert.equal(batchLine({ op: 'addr.flush', dev: d('x'), family: 4 }), 'addr flush dev x to 0.0.0.0/0');
});

test('routes and rules: tables by name, family from the addresses, onlink and scope', () => {
  const r = routeSpec({
    to: '10.2.0.0/16',
    via: '10.0.0.1',
    dev: 'qg-1',
    metric: 10,
    table: 100,
    onlink: true,
  });
  assert.equal(
    batchLine({ op: 'route.add', route: r }),
    'route add 10.2.0.0/16 via 10.0.0.1 dev qg-1 metric 10 table 100 onlink',
  );
  const def6 = routeSpec({ to: 'default', via: 'fd00::1', table: 254 });
  assert.equal(def6.family, 6);
  assert.equal(
    batchLine({ op: 'route.replace', route: def6 }),
    'route replace default via fd00::1 table main',
  );
  assert.equal(routeSpec({ to: 'default', family: 6 }).family, 6);
  assert.throws(() => routeSpec({ to: '10.0.0.0/8', via: 'fd00::1' }), /same family/);
  assert.equal(batchLine({ op: 'route.flush', table: tableId('default') }), 'route flush table default');
  assert.equal(batchLine({ op: 'route.show', family: 6 }), 'route show table all');
  assert.equal(batchLine({ op: 'route.show' }), 'route show table all root 0.0.0.0/0');
  const rule = ruleSpec({ from: '10.0.0.5', table: 'main', priority: 100 });
  assert.equal(batchLine({ op: 'rule.add', rule }), 'rule add from 10.0.0.5/32 priority 100 table main');
  assert.equal(
    batchLine({ op: 'rule.del', rule: ruleSpec({ iif: 'qr-1', table: 7 }) }),
    'rule del iif qr-1 table 7',
  );
  assert.equal(ruleSpec({ to: 'fd00::/8' }).family, 6);
});

test('neighbour lines: replace with nud permanent, flush leaves permanent entries alone', () => {
  assert.equal(
    batchLine({
      op: 'neigh.replace',
      address: ipAddress('10.0.0.9'),
      mac: mac('02:00:00:00:00:09'),
      dev: d('qr-1'),
      permanent: true,
    }),
    'neigh replace 10.0.0.9 lladdr 02:00:00:00:00:09 dev qr-1 nud permanent',
  );
  assert.equal(batchLine({ op: 'neigh.flush', dev: d('qr-1') }), 'neigh flush dev qr-1');
  // `neigh del` of an absent entry exits ip 6.1's batch process: a targeted flush never fails.
  assert.equal(
    batchLine({ op: 'neigh.del', address: ipAddress('fd00::9'), dev: d('x') }),
    'neigh flush to fd00::9 dev x nud all',
  );
});

test('a scope is global, link or host for routes and addresses alike; anything else is refused', () => {
  for (const s of ['global', 'link', 'host']) assert.equal(routeScope(s), s);
  for (const bad of ['site', 'Global', '', 'link host']) {
    assert.throws(() => routeScope(bad), /is not global, link or host/);
    assert.throws(
      () => routeSpec({ to: '10.0.0.0/8', scope: bad as 'link' }),
      /scope: .* is not global, link or host/,
    );
  }
});
