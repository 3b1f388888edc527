import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { run } from '../../src/exec/run.js';
import * as ip from '../../src/ip/index.js';
import { rootOnly } from '../helpers/root.js';
import { type Sandbox, sandbox } from '../helpers/sandbox.js';

after(() => ip.closeIpBatches());

/** The independent oracle: a separate `ip -j` process. */
async function oracle(ns: string | null | undefined, ...args: string[]): Promise<Record<string, unknown>[]> {
  const r = await run(['ip', ...(ns ? ['-n', ns] : []), '-d', '-j', ...args]);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>[]) : [];
}

/** Sandbox namespaces whose tenantnet coprocesses are closed before the sandbox deletes them. */
async function spaces(sb: Sandbox, n: number): Promise<string[]> {
  const list = await sb.namespaces(n);
  for (const ns of list) sb.defer(() => ip.closeIpBatches(ns as ip.NamespaceName));
  return list;
}

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
    assert.equal(ip.namespaceExists(ns), true);
    assert.ok((await ip.listNamespaces()).includes(ns as ip.NamespaceName));
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
    assert.equal(ip.namespaceExists(ns), false);
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
  'addresses: add with broadcast, duplicate is a typed error, delete is idempotent, flush per family',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [ns] = await spaces(sb, 1);
    const [x, y] = [sb.dev('x'), sb.dev('y')];
    await ip.addVeth({ namespace: ns, name: x, peer: y, up: true });
    await ip.addAddress({ namespace: ns, dev: x, cidr: '10.250.2.5/24' });
    await ip.addAddress({ namespace: ns, dev: x, cidr: '10.250.3.5/32' });
    await ip.addAddress({ namespace: ns, dev: x, cidr: 'fd00:250::5/64' });
    const info = (await oracle(ns, 'addr', 'show', 'dev', x))[0]?.addr_info as Record<string, unknown>[];
    const v4 = info.filter((i) => i.family === 'inet');
    assert.deepEqual(
      v4.map((i) => [i.local, i.prefixlen, i.broadcast]),
      [
        ['10.250.2.5', 24, '10.250.2.255'],
        ['10.250.3.5', 32, '10.250.3.5'],
      ],
    );
    await assert.rejects(
      ip.addAddress({ namespace: ns, dev: x, cidr: '10.250.2.5/24' }),
      ip.AddressAlreadyExistsError,
    );
    await assert.rejects(
      ip.addAddress({ namespace: ns, dev: x, cidr: 'fd00:250::5/64' }),
      ip.AddressAlreadyExistsError,
    );
    assert.equal(await ip.deleteAddress({ namespace: ns, dev: x, cidr: '10.250.3.5/32' }), true);
    assert.equal(await ip.deleteAddress({ namespace: ns, dev: x, cidr: '10.250.3.5/32' }), false);
    assert.deepEqual(
      (await ip.listAddresses({ namespace: ns, dev: x, family: 6, scope: 'global' })).map((a) => a.cidr),
      ['fd00:250::5/64'],
    );
    await ip.flushAddresses({ namespace: ns, dev: x, family: 6 });
    const after = (await oracle(ns, 'addr', 'show', 'dev', x))[0]?.addr_info as Record<string, unknown>[];
    assert.deepEqual(
      after.map((i) => i.local),
      ['10.250.2.5'],
    );
  },
);

test(
  'routes: add, replace, tables by name and number, one default gateway, flush a table',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [ns] = await spaces(sb, 1);
    const [x, y] = [sb.dev('x'), sb.dev('y')];
    await ip.addVeth({ namespace: ns, name: x, peer: y, up: true });
    await ip.addAddress({ namespace: ns, dev: x, cidr: '10.250.4.1/24' });
    await ip.addRoute({ namespace: ns, to: '10.251.0.0/16', via: '10.250.4.2', metric: 10 });
    await assert.rejects(
      ip.addRoute({ namespace: ns, to: '10.251.0.0/16', via: '10.250.4.2', metric: 10 }),
      ip.ObjectExistsError,
    );
    await ip.replaceRoute({ namespace: ns, to: '10.251.0.0/16', via: '10.250.4.3', metric: 10 });
    let main = await oracle(ns, 'route', 'show', 'table', 'main', '10.251.0.0/16');
    assert.deepEqual(
      main.map((r) => r.gateway),
      ['10.250.4.3'],
    );
    await ip.addRoute({ namespace: ns, to: '192.0.2.0/24', dev: x, scope: 'link', table: 'default' });
    await ip.addRoute({
      namespace: ns,
      to: '198.51.100.0/24',
      via: '203.0.113.1',
      dev: x,
      onlink: true,
      table: 100,
    });
    assert.equal((await oracle(ns, 'route', 'show', 'table', '253')).length, 1);
    const t100 = await oracle(ns, 'route', 'show', 'table', '100');
    assert.ok((t100[0]!.flags as string[]).includes('onlink'));
    await ip.setDefaultGateway({ namespace: ns, via: '10.250.4.2' });
    await ip.setDefaultGateway({ namespace: ns, via: '10.250.4.3' });
    await ip.setDefaultGateway({ namespace: ns, via: '10.250.4.4', metric: 7 });
    main = await oracle(ns, 'route', 'show', 'table', 'main', 'default');
    assert.deepEqual(
      main.map((r) => [r.gateway, r.metric]),
      [['10.250.4.4', 7]],
    );
    assert.deepEqual(
      (await ip.getDefaultGateways({ namespace: ns })).map((g) => g.via),
      ['10.250.4.4'],
    );
    assert.equal(await ip.deleteDefaultGateway({ namespace: ns }), 1);
    assert.deepEqual(await oracle(ns, 'route', 'show', 'table', 'main', 'default'), []);
    assert.equal(await ip.deleteRoute({ namespace: ns, to: '10.251.0.0/16', metric: 10 }), true);
    assert.equal(await ip.deleteRoute({ namespace: ns, to: '10.251.0.0/16', metric: 10 }), false);
    assert.deepEqual(
      (await ip.listRoutes({ namespace: ns, table: 100 })).map((r) => r.to),
      ['198.51.100.0/24'],
    );
    await ip.flushRoutes({ namespace: ns, table: 100 });
    assert.deepEqual(await oracle(ns, 'route', 'show', 'table', '100'), []);
    await ip.setDefaultGateway({ namespace: ns, family: 6, via: 'fe80::1', dev: x });
    const v6 = await oracle(ns, '-6', 'route', 'show', 'default');
    assert.deepEqual(
      v6.map((r) => r.gateway),
      ['fe80::1'],
    );
  },
);

test('rules: add is idempotent, both families, delete is silent when absent', rootOnly, async (t) => {
  const sb = sandbox(t);
  const [ns] = await spaces(sb, 1);
  assert.equal(await ip.addRule({ namespace: ns, from: '10.250.5.0/24', table: 100, priority: 1000 }), true);
  assert.equal(await ip.addRule({ namespace: ns, from: '10.250.5.0/24', table: 100, priority: 1000 }), false);
  assert.equal(await ip.addRule({ namespace: ns, iif: 'lo', table: 'main', priority: 1001 }), true);
  assert.equal(await ip.addRule({ namespace: ns, from: 'fd00:5::/64', table: 200, priority: 1002 }), true);
  const v4 = (await oracle(ns, 'rule', 'show')).filter((r) => r.priority === 1000);
  assert.deepEqual(
    v4.map((r) => [r.src, r.srclen, r.table]),
    [['10.250.5.0', 24, '100']],
  );
  const v6 = await oracle(ns, '-6', 'rule', 'show');
  assert.ok(v6.some((r) => r.priority === 1002 && r.src === 'fd00:5::' && r.table === '200'));
  const listed = await ip.listRules({ namespace: ns });
  assert.ok(listed.some((r) => r.iif === 'lo' && r.priority === 1001 && r.table === 'main'));
  assert.equal(
    await ip.deleteRule({ namespace: ns, from: '10.250.5.0/24', table: 100, priority: 1000 }),
    true,
  );
  assert.equal(
    await ip.deleteRule({ namespace: ns, from: '10.250.5.0/24', table: 100, priority: 1000 }),
    false,
  );
  assert.ok(!(await oracle(ns, 'rule', 'show')).some((r) => r.priority === 1000));
});

test('neighbours: permanent add, dump, flush keeps permanent, delete is idempotent', rootOnly, async (t) => {
  const sb = sandbox(t);
  const [ns] = await spaces(sb, 1);
  const [x, y] = [sb.dev('x'), sb.dev('y')];
  await ip.addVeth({ namespace: ns, name: x, peer: y, up: true });
  await ip.addAddress({ namespace: ns, dev: x, cidr: '10.250.6.1/24' });
  await ip.addNeighbour({ namespace: ns, dev: x, address: '10.250.6.9', mac: '02:00:00:00:06:09' });
  await ip.addNeighbour({
    namespace: ns,
    dev: x,
    address: '10.250.6.10',
    mac: '02:00:00:00:06:0a',
    permanent: false,
  });
  await ip.addNeighbour({ namespace: ns, dev: x, address: 'fd00:6::9', mac: '02:00:00:00:06:09' });
  const dump = await ip.listNeighbours({ namespace: ns, dev: x });
  assert.deepEqual(dump.map((n) => n.address).sort(), ['10.250.6.10', '10.250.6.9', 'fd00:6::9']);
  await ip.flushNeighbours({ namespace: ns, dev: x });
  const left = await oracle(ns, 'neigh', 'show', 'dev', x);
  assert.deepEqual(left.map((n) => n.dst).sort(), ['10.250.6.9', 'fd00:6::9']);
  assert.equal(await ip.deleteNeighbour({ namespace: ns, dev: x, address: '10.250.6.9' }), true);
  assert.equal(await ip.deleteNeighbour({ namespace: ns, dev: x, address: '10.250.6.9' }), false);
  assert.deepEqual(
    (await oracle(ns, 'neigh', 'show', 'dev', x)).map((n) => n.dst),
    ['fd00:6::9'],
  );
});

test(
  'sysctl inside a namespace leaves the root namespace alone; a failing key is named',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [ns] = await spaces(sb, 1);
    const rootBefore = (await run(['sysctl', '-n', 'net.ipv4.conf.all.arp_ignore'])).stdout.trim();
    const want = rootBefore === '2' ? '1' : '2';
    await assert.rejects(
      ip.sysctl(ns!, { 'net.ipv4.conf.all.arp_ignore': want, 'net.ipv4.tn_no_such_key': 1 }),
      (e: unknown) =>
        e instanceof ip.SysctlError &&
        Object.keys(e.failures).join() === 'net.ipv4.tn_no_such_key' &&
        e.message.includes('tn_no_such_key'),
    );
    const inside = await run(['sysctl', '-n', 'net.ipv4.conf.all.arp_ignore'], { namespace: ns });
    assert.equal(inside.stdout.trim(), want);
    assert.equal((await run(['sysctl', '-n', 'net.ipv4.conf.all.arp_ignore'])).stdout.trim(), rootBefore);
    await assert.rejects(ip.sysctl(ns!, { 'bad key': 1 }), InvalidInputError);
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
  await ip.deleteLinkGroup({ namespace: ns, group: 5150 });
  assert.deepEqual(linkNames(await oracle(ns!, 'link', 'show')), ['lo', sb.dev('f1'), sb.dev('f2')].sort());
});

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
    ip.NamespaceNotFoundError,
  );
  await assert.rejects(
    ip.addVeth({ namespace: ns, name: sb.dev('a'), peer: sb.dev('p'), peerNamespace: ghost }),
    ip.NamespaceNotFoundError,
  );
  await assert.rejects(ip.listLinks({ namespace: ghost }), ip.NamespaceNotFoundError);
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
  const generation = ip.ipBatch(ns as ip.NamespaceName).generation;
  await assert.rejects(
    ip.setLink({ namespace: ns, name: 'lo', master: sb.dev('nobr') }),
    ip.DeviceNotFoundError,
  );
  assert.equal(ip.ipBatch(ns as ip.NamespaceName).generation, generation);
  assert.deepEqual(linkNames(await oracle(ns!, 'link', 'show')), before);
  assert.equal(ip.namespaceExists(ghost), false);
  assert.deepEqual((await oracle(ns!, 'addr', 'show', 'dev', 'lo'))[0]?.addr_info && true, true);
  assert.ok(!(await run(['ip', 'netns', 'list'])).stdout.includes(ghost));
});

test('a killed coprocess fails in-flight requests cleanly and is restarted', rootOnly, async (t) => {
  const sb = sandbox(t);
  const [ns] = await spaces(sb, 1);
  const batch = ip.ipBatch(ns as ip.NamespaceName);
  const x = ip.deviceName(sb.dev('k'));
  await ip.addVeth({ namespace: ns, name: x, peer: sb.dev('kp') });
  const pid = batch.pid;
  const inflight = batch.settle(Array.from({ length: 100 }, () => ({ op: 'link.show', name: x }) as ip.IpOp));
  process.kill(pid!, 'SIGKILL');
  const results = await inflight;
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
    const sb = sandbox(t);
    const [ns] = await spaces(sb, 1);
    const x = sb.dev('m');
    await ip.addVeth({ namespace: ns, name: x, peer: sb.dev('mp'), up: true });
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
