import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { dumpOutput, IpBatch, MARKER, MarkerFrame } from '../../src/ip/batch.js';
import { mapIpError } from '../../src/ip/errors.js';
import {
  AddressAlreadyExistsError,
  addAddress,
  addRoute,
  addVeth,
  DeviceNotFoundError,
  InvalidArgumentError,
  type IpOp,
  IpProcessExitedError,
  LinkAlreadyExistsError,
  ObjectExistsError,
  ObjectNotFoundError,
  setLink,
} from '../../src/ip/index.js';
import { parseLinks } from '../../src/ip/links.js';
import { parseNeighbours } from '../../src/ip/neighbours.js';
import { parseRoutes } from '../../src/ip/routes.js';
import { parseRules } from '../../src/ip/rules.js';
import { type Cidr, deviceName, NamespaceNotFoundError } from '../../src/net/index.js';
import { FakeIpKernel } from '../fakes/ip.js';

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
  const extack = m('addr add 10.0.0.1/24 dev gone', 'Error: ipv4: Device not found.');
  assert.ok(extack instanceof DeviceNotFoundError, String(extack));
  assert.equal(extack.device, 'gone');
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

test('bad input is refused before any operation reaches the executor', async () => {
  const kernel = new FakeIpKernel();
  const via = { executor: kernel };
  const bad: [() => Promise<unknown>, string][] = [
    [() => addVeth({ ...via, name: 'abcdefghijklmnop', peer: 'b' }), 'abcdefghijklmnop'],
    [() => addVeth({ ...via, name: 'a', peer: 'b', mac: '02:00:00:00:00' }), '02:00:00:00:00'],
    [() => addVeth({ ...via, name: 'a', peer: 'b', mtu: 1 }), 'MTU'],
    [() => addVeth({ ...via, name: 'a', peer: 'b', owner: { owner: 'x y', group: 3 } }), 'owner'],
    [() => addAddress({ ...via, dev: 'a', cidr: '10.0.0.1/33' }), '10.0.0.1/33'],
    [() => setLink({ ...via, name: 'a', mtu: 1 }), 'MTU'],
    [() => addRoute({ ...via, to: '10.0.0.0/8', table: 'nosuch' }), 'nosuch'],
    [() => addVeth({ ...via, namespace: '', name: 'a', peer: 'b' }), 'namespace'],
    [() => addVeth({ ...via, namespace: '../../proc/1/ns/net', name: 'a', peer: 'b' }), 'namespace'],
  ];
  for (const [fn, mention] of bad) {
    await assert.rejects(fn, (e: unknown) => e instanceof InvalidInputError && e.message.includes(mention));
  }
  assert.equal(kernel.calls, 0, 'no call reached the executor');
  // A missing peer namespace is found by the executor before it runs anything of the call.
  await assert.rejects(
    () => addVeth({ ...via, name: 'a', peer: 'b', peerNamespace: 'tn-no-such-namespace-9f' }),
    NamespaceNotFoundError,
  );
  assert.equal(kernel.applied.length, 0);
  await addVeth({ ...via, name: 'a', peer: 'b', up: true, owner: { owner: 'r1', group: 5 } });
  assert.deepEqual(
    kernel.applied.map((a) => a.line),
    [
      'link add name a group 5 type veth peer name b group 5',
      'link set dev a alias tenantnet:r1 up',
      'link set dev b alias tenantnet:r1 up',
    ],
  );
});

// The framing runs against a real `ip` here: reads of the root namespace need no root.
const batch = new IpBatch(null, { root: false, requestTimeoutMs: 5000 });
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

test('a forged op that would end ip is refused before anything of its call is written', async () => {
  const lo = deviceName('lo');
  await batch.apply([{ op: 'link.show', name: lo }]);
  const before = batch.generation;
  // Only a forged (unvalidated) value gets here: the line builder re-checks every word at run time.
  const forged: IpOp = { op: 'addr.add', cidr: '10.0.0.1/33' as Cidr, dev: lo };
  const settled = await batch.settle([{ op: 'link.show', name: lo }, forged]);
  for (const s of settled) {
    assert.ok(s.status === 'rejected' && s.reason instanceof InvalidInputError, String(s.status));
  }
  const [again] = await batch.apply([{ op: 'link.show', name: lo }]);
  assert.equal((again!.output as { ifname: string }[])[0]?.ifname, 'lo');
  assert.equal(batch.generation, before, 'the ip process lived on');
});

test('a newline forged into an op is refused at once: no extra command runs, nothing hangs', async () => {
  const before = batch.generation;
  const started = Date.now();
  const forged = { op: 'link.show', name: 'lo\naddr show dev lo' } as unknown as IpOp;
  const settled = await batch.settle([forged]);
  assert.ok(settled[0]?.status === 'rejected' && settled[0].reason instanceof InvalidInputError);
  assert.match(String((settled[0] as PromiseRejectedResult).reason.message), /link\.show name/);
  assert.ok(Date.now() - started < 1000, 'refused without waiting for a timeout');
  const [again] = await batch.apply([{ op: 'link.show', name: deviceName('lo') }]);
  assert.equal((again!.output as { ifname: string }[]).length, 1, 'the framing still holds');
  assert.equal(batch.generation, before);
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

test('a dump the kernel interrupted is recognised (its JSON follows the warning line) and read again', () => {
  const interrupted = ['Dump was interrupted and may be inconsistent.', '[{"ifname":"lo"}]'];
  assert.deepEqual(dumpOutput(interrupted), { lines: ['[{"ifname":"lo"}]'], interrupted: true });
  assert.deepEqual(dumpOutput(['[{"ifname":"lo"}]']), { lines: ['[{"ifname":"lo"}]'], interrupted: false });
  assert.deepEqual(dumpOutput([]), { lines: [], interrupted: false });
});
