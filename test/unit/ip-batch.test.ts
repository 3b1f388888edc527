import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import {
  AddressAlreadyExistsError,
  addAddress,
  addRoute,
  addVeth,
  type Cidr,
  DeviceNotFoundError,
  deviceName,
  InvalidArgumentError,
  IpBatch,
  type IpExecutor,
  type IpOp,
  IpProcessExitedError,
  LinkAlreadyExistsError,
  MARKER,
  MarkerFrame,
  mapIpError,
  NamespaceNotFoundError,
  ObjectExistsError,
  ObjectNotFoundError,
  type OpResult,
  parseLinks,
  parseNeighbours,
  parseRoutes,
  parseRules,
  setIpExecutor,
  setLink,
} from '../../src/ip/index.js';

test('marker framing: output, own error text and the marker line are told apart by line number', () => {
  const ok = new MarkerFrame(3);
  assert.equal(ok.push('[{"ifname":"lo"}]'), undefined);
  assert.equal(ok.push('Device "tn/mark" does not exist.'), undefined);
  assert.deepEqual(ok.push('Command failed -:4'), { ok: true, output: ['[{"ifname":"lo"}]'] });

  const bad = new MarkerFrame(5);
  bad.push('RTNETLINK answers: File exists');
  assert.equal(bad.push('Command failed -:5'), undefined);
  bad.push('Device "tn/mark" does not exist.');
  assert.deepEqual(bad.push('Command failed -:6'), {
    ok: false,
    errorText: 'RTNETLINK answers: File exists',
  });

  // A line number that merely starts the same (-:50 for line 5) is not ours.
  const near = new MarkerFrame(5);
  assert.equal(near.push('Command failed -:50'), undefined);
  assert.deepEqual(near.push('Command failed -:6'), { ok: true, output: ['Command failed -:50'] });
  assert.match(MARKER, /^addr show dev /);
});

test('kernel error texts map to typed errors, in context of the command', () => {
  const m = (cmd: string, text: string, ns: string | null = 'qr1') => mapIpError(cmd, ns, text);
  const dup = m('addr add 10.0.0.1/24 brd 10.0.0.255 dev a', 'Error: ipv4: Address already assigned.');
  assert.ok(dup instanceof AddressAlreadyExistsError);
  assert.equal(dup.kernelMessage, 'Error: ipv4: Address already assigned.');
  assert.ok(
    m('addr add fd00::1/64 dev a', 'RTNETLINK answers: File exists') instanceof AddressAlreadyExistsError,
  );
  assert.ok(
    m('link add a type veth peer name b', 'RTNETLINK answers: File exists') instanceof LinkAlreadyExistsError,
  );
  const route = m('route add 10.0.0.0/8 via 1.2.3.4', 'RTNETLINK answers: File exists');
  assert.ok(route instanceof ObjectExistsError && !(route instanceof LinkAlreadyExistsError));
  const dev = m('link set dev nosuch up', 'Cannot find device "nosuch"');
  assert.ok(dev instanceof DeviceNotFoundError);
  assert.equal(dev.device, 'nosuch');
  assert.equal(dev.message, 'device "nosuch" not found in namespace "qr1"');
  assert.ok(m('addr show dev x', 'Device "x" does not exist.', null) instanceof DeviceNotFoundError);
  assert.ok(
    m('addr del 10.0.0.1/24 dev a', 'Error: ipv4: Address not found.') instanceof ObjectNotFoundError,
  );
  assert.ok(m('route del 10.9.0.0/16', 'RTNETLINK answers: No such process') instanceof ObjectNotFoundError);
  assert.ok(m('link del group 9', 'RTNETLINK answers: No such device') instanceof ObjectNotFoundError);
  assert.ok(m('link set dev x up', 'RTNETLINK answers: No such device') instanceof DeviceNotFoundError);
  const inval = m('link set dev a mtu 70', 'Error: mtu less than device minimum.');
  assert.ok(inval instanceof InvalidArgumentError);
  assert.match(inval.message, /mtu less than device minimum/);
  assert.ok(
    m('route add 1.0.0.0/8 via 9.9.9.9', 'Error: Nexthop has invalid gateway.') instanceof
      InvalidArgumentError,
  );
  assert.ok(
    m('netns add x', 'Cannot create namespace file "/run/netns/x": File exists', null) instanceof
      ObjectExistsError,
  );
});

test('parsers read ip -json output (links with addresses, routes, rules, neighbours)', () => {
  const links = parseLinks([
    {
      ifindex: 3,
      ifname: 'qr-1',
      flags: ['BROADCAST', 'ALLMULTI', 'UP'],
      mtu: 1450,
      operstate: 'UP',
      qdisc: 'noqueue',
      group: '9',
      address: '02:00:00:00:00:01',
      ifalias: 'tenantnet:router1',
      master: 'br0',
      linkinfo: { info_kind: 'veth' },
      addr_info: [
        { family: 'inet', local: '10.0.0.1', prefixlen: 24, scope: 'global', broadcast: '10.0.0.255' },
      ],
    },
  ]);
  assert.deepEqual(
    { ...links[0], addresses: links[0]?.addresses.map((a) => a.cidr) },
    {
      name: 'qr-1',
      index: 3,
      kind: 'veth',
      mtu: 1450,
      mac: '02:00:00:00:00:01',
      up: true,
      operState: 'UP',
      qdisc: 'noqueue',
      alias: 'tenantnet:router1',
      group: 9,
      master: 'br0',
      allmulticast: true,
      owner: 'router1',
      addresses: ['10.0.0.1/24'],
    },
  );
  const routes = parseRoutes(
    [{ dst: 'default', gateway: '10.0.0.254', dev: 'qg-1', table: '100', flags: ['onlink'] }],
    4,
  );
  assert.equal(routes[0]?.table, 100);
  assert.equal(routes[0]?.onlink, true);
  assert.equal(parseRoutes([{ dst: '10.0.0.0/24', dev: 'a', flags: [] }], 4)[0]?.table, 'main');
  const rules = parseRules(
    [
      { priority: 100, src: '10.0.0.0', srclen: 8, table: '7' },
      { priority: 0, src: 'all', table: 'local' },
    ],
    4,
  );
  assert.deepEqual(
    rules.map((r) => [r.priority, r.from, r.table]),
    [
      [100, '10.0.0.0/8', 7],
      [0, '0.0.0.0/0', 'local'],
    ],
  );
  assert.deepEqual(
    parseNeighbours([{ dst: 'fd00::9', lladdr: '02:00:00:00:00:09', state: ['PERMANENT'] }], 'x')[0],
    {
      address: 'fd00::9',
      family: 6,
      dev: 'x',
      mac: '02:00:00:00:00:09',
      state: ['permanent'],
    },
  );
});

class FakeExecutor implements IpExecutor {
  readonly calls: { namespace: string | null; ops: readonly IpOp[] }[] = [];
  async apply(namespace: string | null, ops: readonly IpOp[]): Promise<OpResult[]> {
    this.calls.push({ namespace, ops });
    return ops.map((op) => ({ op, line: '', output: [] }));
  }
  async settle(namespace: string | null, ops: readonly IpOp[]) {
    return (await this.apply(namespace, ops)).map((value) => ({ status: 'fulfilled' as const, value }));
  }
}

test('bad input is refused before any operation reaches the executor', async () => {
  const fake = new FakeExecutor();
  const prev = setIpExecutor(fake);
  try {
    const bad: [() => Promise<unknown>, string][] = [
      [() => addVeth({ name: 'abcdefghijklmnop', peer: 'b' }), 'abcdefghijklmnop'],
      [() => addVeth({ name: 'a', peer: 'b', mac: '02:00:00:00:00' }), '02:00:00:00:00'],
      [() => addVeth({ name: 'a', peer: 'b', mtu: 1 }), 'MTU'],
      [() => addVeth({ name: 'a', peer: 'b', owner: { owner: 'x y', group: 3 } }), 'owner'],
      [() => addAddress({ dev: 'a', cidr: '10.0.0.1/33' }), '10.0.0.1/33'],
      [() => setLink({ name: 'a', mtu: 1 }), 'MTU'],
      [() => addRoute({ to: '10.0.0.0/8', table: 'nosuch' }), 'nosuch'],
    ];
    for (const [fn, mention] of bad) {
      await assert.rejects(fn, (e: unknown) => e instanceof InvalidInputError && e.message.includes(mention));
    }
    await assert.rejects(
      () => addVeth({ name: 'a', peer: 'b', peerNamespace: 'tn-no-such-namespace-9f' }),
      NamespaceNotFoundError,
    );
    assert.equal(fake.calls.length, 0);
    await addVeth({ name: 'a', peer: 'b', up: true, owner: { owner: 'r1', group: 5 } });
    assert.deepEqual(
      fake.calls[0]?.ops.map((o) => o.op),
      ['veth.add', 'link.set', 'link.set'],
    );
  } finally {
    setIpExecutor(prev);
  }
});

// The framing runs against a real `ip` here: reads of the root namespace need no root.
const batch = new IpBatch(null, { root: false });
after(() => batch.close());

test('a real ip coprocess answers pipelined reads in order, with typed errors in between', async () => {
  const lo = deviceName('lo');
  const missing = deviceName('tn-nosuch0');
  const ops: IpOp[] = [
    { op: 'link.show', name: lo },
    { op: 'link.show', name: missing },
    { op: 'link.show', name: lo },
  ];
  const settled = await batch.settle(ops);
  assert.equal(settled[0]?.status, 'fulfilled');
  assert.equal(settled[1]?.status, 'rejected');
  assert.ok(settled[1]?.status === 'rejected' && settled[1].reason instanceof DeviceNotFoundError);
  const third = settled[2]?.status === 'fulfilled' ? settled[2].value.output : null;
  assert.equal((third as { ifname: string }[])[0]?.ifname, 'lo');
  const many = await batch.apply(Array.from({ length: 200 }, () => ({ op: 'link.show', name: lo }) as IpOp));
  assert.equal(many.length, 200);
});

test('a malformed line ends ip: in-flight requests fail cleanly and the next one restarts it', async () => {
  const lo = deviceName('lo');
  await batch.apply([{ op: 'link.show', name: lo }]);
  const before = batch.generation;
  // Only a forged (unvalidated) value can do this: validated values never reach ip malformed.
  const forged: IpOp = { op: 'addr.add', cidr: '10.0.0.1/33' as Cidr, dev: lo };
  const settled = await batch.settle([forged, { op: 'link.show', name: lo }]);
  for (const s of settled) {
    assert.ok(s.status === 'rejected' && s.reason instanceof IpProcessExitedError, String(s.status));
  }
  const [again] = await batch.apply([{ op: 'link.show', name: lo }]);
  assert.equal((again!.output as { ifname: string }[])[0]?.ifname, 'lo');
  assert.equal(batch.generation, before + 1);
});

test('a killed coprocess fails its in-flight requests and is restarted on the next one', async () => {
  const lo = deviceName('lo');
  await batch.apply([{ op: 'link.show', name: lo }]);
  const pid = batch.pid;
  const inflight = batch.settle(Array.from({ length: 1000 }, () => ({ op: 'link.show', name: lo }) as IpOp));
  // settle() writes its lines a microtask later; a kill before that hits nobody and the test would
  // prove nothing (every request would go to the next child and succeed).
  await new Promise((r) => setImmediate(r));
  await batch.kill('SIGKILL');
  const results = await inflight;
  const failed = results.filter((r) => r.status === 'rejected');
  assert.ok(failed.length > 0, 'some requests were in flight when ip was killed');
  for (const r of failed) assert.ok(r.status === 'rejected' && r.reason instanceof IpProcessExitedError);
  await batch.apply([{ op: 'link.show', name: lo }]);
  assert.notEqual(batch.pid, pid);
});
