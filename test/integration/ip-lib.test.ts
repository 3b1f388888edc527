import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { run } from '../../src/exec/run.js';
import { ipBatch } from '../../src/ip/executor.js';
import * as ip from '../../src/ip/index.js';
import * as net from '../../src/net/index.js';
import { oracle, spaces, vethSpace } from '../helpers/ip-oracle.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';

after(() => ip.closeIpBatches());

function linkNames(links: Record<string, unknown>[]): string[] {
  return links.map((l) => String(l.ifname)).sort();
}

test(
  'namespace lifecycle is idempotent: lo up, promote_secondaries, list, pids, delete',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = sb.ns('life');
    sb.defer(() => ip.deleteNamespace(ns));
    assert.equal(await ip.createNamespace(ns), true);
    assert.equal(await ip.createNamespace(ns), false);
    assert.equal(net.namespaceExists(ns), true);
    assert.ok((await ip.listNamespaces()).includes(ns as net.NamespaceName));
    const lo = await oracle(ns, 'link', 'show', 'lo');
    assert.ok((lo[0]!.flags as string[]).includes('UP'));
    const promote = await run(['sysctl', '-n', 'net.ipv4.conf.all.promote_secondaries'], { namespace: ns });
    assert.equal(promote.stdout.trim(), '1');
    const sleeper = spawn('ip', ['netns', 'exec', ns, 'sleep', '30'], { stdio: 'ignore' });
    try {
      let pids: number[] = [];
      for (let i = 0; i < 100 && !pids.includes(sleeper.pid!); i++) {
        await new Promise((r) => setTimeout(r, 20));
        pids = await ip.namespacePids(ns);
      }
      assert.ok(pids.includes(sleeper.pid!), `pids ${pids} include ${sleeper.pid}`);
    } finally {
      sleeper.kill('SIGKILL');
    }
    const echo = await ip.execInNamespace(ns, ['ip', '-j', 'link', 'show']);
    assert.deepEqual(linkNames(JSON.parse(echo.stdout)), ['lo']);
    assert.equal(await ip.deleteNamespace(ns), true);
    assert.equal(await ip.deleteNamespace(ns), false);
    assert.equal(net.namespaceExists(ns), false);
    const r = await run(['ip', 'netns', 'list']);
    assert.ok(!r.stdout.includes(ns));
  },
);

test(
  'a veth between two namespaces keeps its MAC and MTU, carries the owner mark and a ping',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [a, b] = await spaces(sb, 2);
    const [va, vb] = [sb.dev('a'), sb.dev('b')];
    await ip.addVeth({
      namespace: a,
      name: va,
      peer: vb,
      peerNamespace: b,
      mtu: 1400,
      mac: '02:00:00:aa:00:01',
      peerMac: '02:00:00:aa:00:02',
      up: true,
      owner: { owner: `test-${sb.prefix}`, group: 4711 },
    });
    await ip.addAddress({ namespace: a, dev: va, cidr: '10.250.1.1/24' });
    await ip.addAddress({ namespace: b, dev: vb, cidr: '10.250.1.2/24' });
    const [la] = await oracle(a, 'link', 'show', va);
    const [lb] = await oracle(b, 'link', 'show', vb);
    assert.equal(la?.address, '02:00:00:aa:00:01');
    assert.equal(lb?.address, '02:00:00:aa:00:02');
    assert.equal(la?.mtu, 1400);
    assert.equal(lb?.mtu, 1400);
    assert.equal(la?.ifalias, `tenantnet:test-${sb.prefix}`);
    assert.equal(lb?.ifalias, `tenantnet:test-${sb.prefix}`);
    assert.equal(la?.group, '4711');
    const read = await ip.getLink({ namespace: b, name: vb });
    assert.equal(read.kind, 'veth');
    assert.equal(read.owner, `test-${sb.prefix}`);
    assert.deepEqual(
      read.addresses.filter((x) => x.family === 4).map((x) => x.cidr),
      ['10.250.1.2/24'],
    );
    assert.equal(await sb.ping(a!, '10.250.1.2'), true);
  },
);

test(
  'links move between namespaces, rename, enslave to a bridge, and a VXLAN reads back',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [a, b] = await spaces(sb, 2);
    const [x, y, br, vx, renamed] = ['x', 'y', 'br', 'vx', 'rn'].map((n) => sb.dev(n)) as [
      string,
      string,
      string,
      string,
      string,
    ];
    await ip.addVeth({ namespace: a, name: x, peer: y });
    await ip.setLink({ namespace: a, name: y, moveTo: b! });
    assert.deepEqual(linkNames(await oracle(b!, 'link', 'show', 'dev', y)), [y]);
    assert.deepEqual(
      await oracle(a!, 'link', 'show', 'group', '0').then((l) => l.filter((k) => k.ifname === y)),
      [],
    );
    await ip.setLink({
      namespace: b,
      name: y,
      newName: renamed,
      mtu: 1300,
      allmulticast: true,
      alias: 'moved',
      up: true,
    });
    const [moved] = await oracle(b!, 'link', 'show', 'dev', renamed);
    assert.equal(moved?.mtu, 1300);
    assert.equal(moved?.ifalias, 'moved');
    assert.ok((moved!.flags as string[]).includes('ALLMULTI'));
    await ip.addBridge({ namespace: a, name: br, up: true });
    await ip.setLink({ namespace: a, name: x, master: br, up: true });
    assert.equal((await oracle(a!, 'link', 'show', 'dev', x))[0]?.master, br);
    assert.equal((await ip.getLink({ namespace: a, name: x })).master, br);
    await ip.setLink({ namespace: a, name: x, master: null });
    assert.equal((await oracle(a!, 'link', 'show', 'dev', x))[0]?.master, undefined);
    await ip.addVxlan({
      namespace: a,
      name: vx,
      vni: 4242,
      local: '10.250.7.1',
      remote: '10.250.7.2',
      dstport: 4789,
      learning: false,
    });
    const vxInfo = (
      (await oracle(a!, 'link', 'show', 'dev', vx))[0]!.linkinfo as { info_data: Record<string, unknown> }
    ).info_data;
    assert.equal(vxInfo.id, 4242);
    assert.equal(vxInfo.remote, '10.250.7.2');
    assert.equal(vxInfo.port, 4789);
    assert.equal(vxInfo.learning, false);
    assert.equal((await ip.getLink({ namespace: a, name: vx })).kind, 'vxlan');
    assert.equal(await ip.deleteLink({ namespace: a, name: vx }), true);
    assert.equal(await ip.deleteLink({ namespace: a, name: vx }), false);
    // Deleting one end of a veth removes its peer in the other namespace too.
    await ip.deleteLink({ namespace: a, name: x });
    assert.deepEqual(linkNames(await oracle(b!, 'link', 'show')), ['lo']);
  },
);

test('owned links are listed by group and removed with one request', rootOnly, async (t) => {
  const sb = sandbox(t);
  const [ns] = await spaces(sb, 1);
  const owner = { owner: `own-${sb.prefix}`, group: 5150 };
  for (const i of [1, 2, 3])
    await ip.addVeth({ namespace: ns, name: sb.dev(`o${i}`), peer: sb.dev(`p${i}`), owner });
  await ip.addVeth({ namespace: ns, name: sb.dev('f1'), peer: sb.dev('f2') });
  const owned = await ip.listLinks({ namespace: ns, group: 5150 });
  assert.equal(owned.length, 6);
  assert.ok(owned.every((l) => l.owner === owner.owner));
  assert.equal(await ip.deleteLinkGroup({ namespace: ns, group: 5150 }), true);
  assert.equal(await ip.deleteLinkGroup({ namespace: ns, group: 5150 }), false);
  assert.deepEqual(linkNames(await oracle(ns!, 'link', 'show')), ['lo', sb.dev('f1'), sb.dev('f2')].sort());
});

test(
  'devices named like ip keywords (help, up, h) are made, read and deleted by their names',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [ns] = await spaces(sb, 1);
    await ip.addBridge({ namespace: ns, name: 'help', up: true });
    await ip.addVeth({ namespace: ns, name: 'up', peer: 'h' });
    await ip.addVxlan({ namespace: ns, name: 'mtu', vni: 7 });
    const generation = ipBatch(ns as net.NamespaceName).generation;
    assert.deepEqual(linkNames(await oracle(ns!, 'link', 'show')), ['h', 'help', 'lo', 'mtu', 'up']);
    assert.equal((await ip.getLink({ namespace: ns, name: 'help' })).kind, 'bridge');
    for (const name of ['help', 'up', 'mtu'])
      assert.equal(await ip.deleteLink({ namespace: ns, name }), true);
    assert.equal(await ip.deleteLink({ namespace: ns, name: 'help' }), false);
    assert.deepEqual(linkNames(await oracle(ns!, 'link', 'show')), ['lo']);
    assert.equal(ipBatch(ns as net.NamespaceName).generation, generation, 'the ip process lived on');
  },
);

test('bad input gives the typed error and leaves no trace', rootOnly, async (t) => {
  const sb = sandbox(t);
  const [ns] = await spaces(sb, 1);
  const ghost = sb.ns('ghost');
  const before = linkNames(await oracle(ns!, 'link', 'show'));
  await assert.rejects(
    ip.addVeth({ namespace: ns, name: `${sb.prefix}0123456789`, peer: sb.dev('p') }),
    InvalidInputError,
  );
  await assert.rejects(
    ip.addVeth({ namespace: ns, name: sb.dev('a'), peer: sb.dev('p'), mac: '02:00:00:00:00' }),
    InvalidInputError,
  );
  await assert.rejects(
    ip.addVeth({ namespace: ns, name: sb.dev('a'), peer: sb.dev('p'), mtu: 1 }),
    InvalidInputError,
  );
  await assert.rejects(ip.addAddress({ namespace: ns, dev: 'lo', cidr: '10.250.8.1/33' }), InvalidInputError);
  await assert.rejects(
    ip.addVeth({ namespace: ghost, name: sb.dev('a'), peer: sb.dev('p') }),
    net.NamespaceNotFoundError,
  );
  await assert.rejects(
    ip.addVeth({ namespace: ns, name: sb.dev('a'), peer: sb.dev('p'), peerNamespace: ghost }),
    net.NamespaceNotFoundError,
  );
  await assert.rejects(ip.listLinks({ namespace: ghost }), net.NamespaceNotFoundError);
  await assert.rejects(ip.setLink({ namespace: ns, name: sb.dev('none'), up: true }), ip.DeviceNotFoundError);
  await assert.rejects(
    ip.addAddress({ namespace: ns, dev: sb.dev('none'), cidr: '10.250.8.1/24' }),
    ip.DeviceNotFoundError,
  );
  await assert.rejects(
    ip.addRoute({ namespace: ns, to: '10.250.8.0/24', via: '192.0.2.1' }),
    ip.InvalidArgumentError,
  );
  // A missing master is checked before the line that would end the batch process is sent.
  const generation = ipBatch(ns as net.NamespaceName).generation;
  await assert.rejects(
    ip.setLink({ namespace: ns, name: 'lo', master: sb.dev('nobr') }),
    ip.DeviceNotFoundError,
  );
  assert.equal(ipBatch(ns as net.NamespaceName).generation, generation);
  assert.deepEqual(linkNames(await oracle(ns!, 'link', 'show')), before);
  assert.equal(net.namespaceExists(ghost), false);
  const loAddrs = (await oracle(ns!, 'addr', 'show', 'dev', 'lo'))[0]!.addr_info as { local: string }[];
  assert.ok(!loAddrs.some((a) => a.local.startsWith('10.250.8.')), 'no address was added');
  assert.ok(!(await run(['ip', 'netns', 'list'])).stdout.includes(ghost));
});

test('a killed coprocess fails in-flight requests cleanly and is restarted', rootOnly, async (t) => {
  const { ns, x } = await vethSpace(t);
  const batch = ipBatch(ns as net.NamespaceName);
  const pid = batch.pid;
  const inflight = batch.settle(Array.from({ length: 100 }, () => ({ op: 'link.show', name: x }) as ip.IpOp));
  process.kill(pid!, 'SIGKILL');
  const results = await inflight;
  assert.ok(
    results.some((r) => r.status === 'rejected'),
    'some requests were in flight when ip was killed',
  );
  for (const r of results) {
    if (r.status === 'rejected') assert.ok(r.reason instanceof ip.IpProcessExitedError, String(r.reason));
  }
  await ip.setLink({ namespace: ns, name: x, mtu: 1234 });
  assert.notEqual(batch.pid, pid);
  assert.equal((await oracle(ns!, 'link', 'show', 'dev', x))[0]?.mtu, 1234);
});

test(
  'the monitor reports a link or address change with fresh state, and stops cleanly',
  rootOnly,
  async (t) => {
    const { sb, ns, x } = await vethSpace(t);
    const monitor = ip.monitorLinks({ namespace: ns });
    sb.defer(() => monitor.close());
    await monitor.ready;
    const first = await monitor.next();
    assert.ok((first.value as ip.LinkEvent).links.some((l) => l.name === x));
    await ip.addAddress({ namespace: ns, dev: x, cidr: '10.250.9.1/24' });
    for (;;) {
      const ev = await monitor.next();
      assert.equal(ev.done, false);
      const link = ev.value.links.find((l) => l.name === x);
      if (link?.addresses.some((a) => a.cidr === '10.250.9.1/24')) break;
    }
    await monitor.close();
    assert.equal((await monitor.next()).done, true);
    const ps = await run(['pgrep', '-f', `ip -n ${ns} -o monitor`], { check: false });
    assert.equal(ps.stdout.trim(), '');
  },
);

test(
  'a namespace deleted or re-created behind tenantnet is noticed before the next command',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const ns = sb.ns('again');
    sb.defer(() => ip.deleteNamespace(ns));
    await ip.createNamespace(ns);
    await ip.addBridge({ namespace: ns, name: sb.dev('br') });
    const first = ipBatch(ns as net.NamespaceName).pid;
    await run(['ip', 'netns', 'del', ns]);
    await assert.rejects(ip.listLinks({ namespace: ns }), net.NamespaceNotFoundError);
    await run(['ip', 'netns', 'add', ns]);
    // The old ip process still sits in the deleted namespace: it must not answer for the new one.
    assert.deepEqual(
      (await ip.listLinks({ namespace: ns })).map((l) => l.name),
      ['lo'],
    );
    assert.notEqual(ipBatch(ns as net.NamespaceName).pid, first);
  },
);

test(
  'a monitor whose ip process dies fails the waiting reader; an aborted signal stops it at once',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [ns] = await spaces(sb, 1);
    const monitor = ip.monitorLinks({ namespace: ns });
    sb.defer(() => monitor.close());
    await monitor.ready;
    await monitor.next(); // the snapshot
    const waiting = monitor.next();
    const ps = await run(['pgrep', '-f', `ip -n ${ns} -o monitor`]);
    for (const pid of ps.stdout.trim().split('\n')) process.kill(Number(pid), 'SIGKILL');
    await assert.rejects(waiting, /exited unexpectedly/);
    assert.equal((await monitor.next()).done, true);

    const aborted = ip.monitorLinks({ namespace: ns, signal: AbortSignal.abort() });
    sb.defer(() => aborted.close());
    await aborted.ready;
    assert.equal((await aborted.next()).done, true);
    const left = await run(['pgrep', '-f', `ip -n ${ns} -o monitor`], { check: false });
    assert.equal(left.stdout.trim(), '');
  },
);

test(
  'sysctl keys are read inside a namespace on its batch, in order with other lines; a missing key is left out',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [ns] = await spaces(sb, 1);
    const name = net.namespaceName(ns!);
    // A value the root namespace does not have, so reading the wrong namespace cannot pass.
    const root = (await run(['sysctl', '-n', 'net.ipv4.conf.all.arp_announce'])).stdout.trim();
    const announce = root === '2' ? '1' : '2';
    await ip.sysctl(name, { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.arp_announce': announce });
    const results = await ip.batchExecutor.apply(name, [
      { op: 'link.show' },
      {
        op: 'sysctl.show',
        namespace: name,
        keys: ['net.ipv4.ip_forward', 'net.ipv4.conf.all.arp_announce', 'net.ipv4.no_such_key'],
      },
      { op: 'route.show', family: 4 },
    ]);
    assert.deepEqual(results[1]!.output, {
      'net.ipv4.ip_forward': '1',
      'net.ipv4.conf.all.arp_announce': announce,
    });
    assert.ok(Array.isArray(results[0]!.output) && Array.isArray(results[2]!.output));
  },
);

test(
  'a namespace another batch made a device in goes when deleted: released, or deleted behind tenantnet’s back',
  rootOnly,
  async (t) => {
    // iproute2 keeps a namespace given by name (`link add … peer … netns NS`) open for the life of
    // the `ip`, so a long-lived batch would keep a deleted namespace, and the veth, alive.
    const sb = sandbox(t);
    const [a, b, c] = await spaces(sb, 3);
    const ex = ip.batchExecutor;
    const A = net.namespaceName(a!);
    const veth = (name: string, peer: string, ns: string) =>
      ex.apply(A, [
        {
          op: 'veth.add',
          name: net.deviceName(sb.dev(name)),
          peer: net.deviceName(sb.dev(peer)),
          peerNamespace: net.namespaceName(ns),
        },
      ]);
    const present = async (dev: string) =>
      (await run(['ip', '-n', a!, '-o', 'link', 'show'])).stdout.includes(`${sb.dev(dev)}@`);
    const gone = async (dev: string) => {
      for (let i = 0; i < 50; i++) {
        if (!(await present(dev))) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    };
    await veth('x1', 'y1', b!);
    assert.equal(ipBatch(A).holds(b!), true);
    await ex.release!(net.namespaceName(b!));
    await run(['ip', 'netns', 'del', b!]);
    assert.equal(await gone('x1'), true, 'released before the deletion');
    // Deleted by another tool: the watch on /run/netns lets go of it.
    await veth('x2', 'y2', c!);
    await run(['ip', 'netns', 'del', c!]);
    assert.equal(await gone('x2'), true, 'deleted behind tenantnet’s back');
    // The batch works on in a new ip.
    assert.ok(Array.isArray((await ex.apply(A, [{ op: 'link.show' }]))[0]!.output));
  },
);
