// The DHCP plan on the stateful fakes: converges in one apply, plans nothing when unchanged, reloads
// for ports, restarts for subnets, rebuilds what was deleted by hand, and removes everything it made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existingDhcpServers } from '../../src/dhcp/existing.js';
import { dhcpLayout } from '../../src/dhcp/layout.js';
import { observeDhcp } from '../../src/dhcp/observe.js';
import { planDhcp } from '../../src/dhcp/plan.js';
import { enableDhcp } from '../../src/dhcp/verbs.js';
import { InvalidInputError } from '../../src/errors.js';
import { LinuxBridgeInterfaceDriver } from '../../src/interface/linuxbridge.js';
import { parseLinks } from '../../src/ip/links.js';
import { Observation } from '../../src/reconcile/observation.js';
import { planScript, renderChanges } from '../../src/reconcile/render.js';
import type { ProcessStep } from '../../src/reconcile/step.js';
import { converge, dnsmasqs, fakeHost, plan, served, topology } from './dhcp-fixtures.js';

const processSteps = (changes: Awaited<ReturnType<typeof plan>>) =>
  changes.flatMap((c) => c.steps.filter((s): s is ProcessStep => s.via === 'process'));

test('enabling converges in one apply: namespace, port, addresses, route, files, one dnsmasq', async (t) => {
  const fx = await fakeHost(t);
  const { net } = served();
  const layout = dhcpLayout(net, fx.executors.host, { driver: fx.driver });
  await converge(fx, net);

  const ns = fx.kernel.ns(layout.namespace)!;
  assert.ok(ns, 'the qdhcp- namespace exists');
  const dev = ns.link(layout.device)!;
  assert.ok(dev?.up, 'the DHCP port is up in the namespace');
  assert.equal(dev.mtu, 1450);
  assert.deepEqual(
    dev.addresses.map((a) => a.cidr).sort(),
    [...net.port.fixedIps.map((f) => `${f.address}/${f.address.includes(':') ? 64 : 24}`)].sort(),
  );
  assert.equal(ns.sysctl.get('net.ipv4.ip_nonlocal_bind'), '1');
  assert.equal(ns.sysctl.get('net.ipv6.conf.default.accept_ra'), '0');
  assert.equal(ns.link('lo')?.alias, 'tenantnet:u1.dhcp.web');
  const defaults = ns.routes.filter((r) => r.to === 'default');
  assert.deepEqual(defaults.map((r) => r.via).sort(), ['10.0.1.1', 'fd00:1::1']);

  for (const f of ['host', 'addn_hosts', 'opts', 'leases']) {
    assert.ok(await fx.files.read(`${layout.paths.dir}/${f}`), `${f} written`);
  }
  const [p, ...more] = dnsmasqs(fx);
  assert.equal(more.length, 0);
  assert.equal(p!.namespace, layout.namespace);
  assert.ok(p!.argv.includes(`--pid-file=${layout.paths.pid}`));
  const port = (await fx.ovs!.observe({ owner: 'u1.port.dhcp_web' })).bridges.flatMap((b) => b.ports);
  assert.equal(port.length, 1, 'one OVS port, owned by the DHCP port');

  assert.deepEqual(await plan(fx, net, net), [], 'an unchanged re-apply plans nothing');
});

test('a port added, changed or removed rewrites the files and SIGHUPs the same dnsmasq', async (t) => {
  const fx = await fakeHost(t);
  const base = topology();
  const { net } = served(base);
  await converge(fx, net);
  const [p] = dnsmasqs(fx);
  const writes = fx.files.log.length;

  const added = served({ ...base, instances: [...base.instances!, { name: 'c', network: 'web' }] }).net;
  const planned = await plan(fx, added, added);
  assert.deepEqual(
    processSteps(planned).map((s) => s.action),
    ['reload'],
  );
  const files = planned.flatMap((c) => c.steps.filter((s) => s.via === 'file'));
  assert.deepEqual(files.map((s) => (s.via === 'file' ? s.path.split('/').pop() : '')).sort(), [
    'addn_hosts',
    'host',
  ]);
  assert.equal(planned.flatMap((c) => c.steps).filter((s) => s.via === 'ip' || s.via === 'ovs').length, 0);
  await converge(fx, added);
  assert.deepEqual(dnsmasqs(fx), [p], 'same process');
  assert.deepEqual(p!.signals, ['SIGHUP']);
  assert.equal(fx.files.log.length - writes, 2, 'two files written, once each');
  assert.match(
    (await fx.files.read(`${dhcpLayout(net, fx.executors.host, fx).paths.host}`))!,
    /,c\.openstacklocal,/,
  );

  const changed = served({
    ...base,
    instances: [base.instances![0]!, { ...base.instances![1]!, ip: '10.0.1.99' }],
  }).net;
  await converge(fx, changed);
  assert.deepEqual(p!.signals, ['SIGHUP', 'SIGHUP']);
  assert.match(
    (await fx.files.read(`${dhcpLayout(net, fx.executors.host, fx).paths.host}`))!,
    /,10\.0\.1\.99\n/,
  );
  assert.deepEqual(await plan(fx, changed, changed), []);
});

test('a subnet change (CIDR, DHCP off) restarts dnsmasq with the new command line', async (t) => {
  const fx = await fakeHost(t);
  const base = topology();
  const { net } = served(base);
  await converge(fx, net);
  const [old] = dnsmasqs(fx);

  const v4only = served({
    ...base,
    networks: [
      { name: 'web', mtu: 1450, subnets: [{ cidr: '10.0.1.0/24' }, { cidr: 'fd00:1::/64', dhcp: false }] },
    ],
  }).net;
  const planned = await plan(fx, v4only, v4only);
  assert.deepEqual(
    processSteps(planned).map((s) => s.action),
    ['restart'],
  );
  await converge(fx, v4only);
  const [now, ...more] = dnsmasqs(fx);
  assert.equal(more.length, 0);
  assert.notEqual(now!.pid, old!.pid);
  assert.deepEqual(old!.signals, ['SIGKILL']);
  assert.equal(now!.argv.filter((a) => a.startsWith('--dhcp-range=')).length, 1);
  assert.deepEqual(await plan(fx, v4only, v4only), []);
});

test('what was deleted by hand is made again (file, process, namespace, lo mark, stale device)', async (t) => {
  const fx = await fakeHost(t);
  const { net } = served();
  const layout = dhcpLayout(net, fx.executors.host, { driver: fx.driver });
  await converge(fx, net);
  const [p] = dnsmasqs(fx);

  await fx.files.remove(layout.paths.opts);
  let planned = await plan(fx, net, net);
  assert.deepEqual(
    processSteps(planned).map((s) => s.action),
    ['reload'],
  );
  await converge(fx, net);
  assert.deepEqual(p!.signals, ['SIGHUP']);

  fx.processes.exit(p!.pid);
  planned = await plan(fx, net, net);
  assert.deepEqual(
    processSteps(planned).map((s) => s.action),
    ['enable'],
  );
  await converge(fx, net);
  assert.equal(dnsmasqs(fx).length, 1);

  fx.kernel.ns(layout.namespace)!.link('lo')!.alias = null;
  planned = await plan(fx, net, net);
  assert.deepEqual(
    planned.flatMap((c) => c.steps).map((s) => (s.via === 'ip' ? s.ops.map((o) => o.op).join(',') : s.via)),
    ['sysctl,link.set'],
  );
  await converge(fx, net);

  fx.kernel.ns(layout.namespace)!.addLink({ name: 'ns-stale', kind: 'veth' });
  planned = await plan(fx, net, net);
  assert.equal(planned.length, 1);
  assert.equal(planned[0]!.action, 'delete');
  await converge(fx, net);
  assert.equal(fx.kernel.ns(layout.namespace)!.link('ns-stale'), undefined);

  const running = dnsmasqs(fx)[0]!;
  // The namespace deleted by hand: made again, the port plugged again, dnsmasq restarted in it.
  await fx.executors.ip.apply(null, [{ op: 'netns.del', name: layout.namespace }]);
  planned = await plan(fx, net, net);
  assert.deepEqual(
    processSteps(planned).map((s) => s.action),
    ['restart'],
  );
  await converge(fx, net);
  assert.ok(fx.kernel.ns(layout.namespace)?.link(layout.device)?.up);
  assert.notEqual(dnsmasqs(fx)[0]!.pid, running.pid);
  assert.deepEqual(await plan(fx, net, net), []);
});

test('removal stops dnsmasq and removes its files, the port, the OVS row and the namespace', async (t) => {
  const fx = await fakeHost(t);
  const { net } = served();
  const layout = dhcpLayout(net, fx.executors.host, { driver: fx.driver });
  await converge(fx, net);
  const [p] = dnsmasqs(fx);

  await converge(fx, null, net);
  assert.equal(fx.kernel.ns(layout.namespace), undefined);
  assert.deepEqual(dnsmasqs(fx), []);
  assert.deepEqual(p!.signals, ['SIGKILL']);
  assert.deepEqual(await fx.files.list(layout.paths.dir), []);
  assert.ok(fx.processes.ran.some((r) => r.argv[0] === 'rmdir' && r.argv[1] === layout.paths.dir));
  assert.equal(
    (await fx.ovs!.observe({ owner: 'u1.port.dhcp_web' })).bridges.flatMap((b) => b.ports).length,
    0,
  );
  assert.deepEqual(
    fx.kernel
      .ns('host')!
      .links.map((l) => l.name)
      .filter((n) => n !== 'lo' && n !== 'br-int'),
    [],
  );
  assert.deepEqual(await plan(fx, null, net), [], 'nothing left to remove');
});

test('the Linux bridge driver: the network bridge with the server, ns- device, removed on request', async (t) => {
  const fx = await fakeHost(t, false);
  const driver = new LinuxBridgeInterfaceDriver();
  const host = { ...fx, driver };
  const { net } = served({ ...topology(), backend: 'linuxbridge' });
  const layout = dhcpLayout(net, fx.executors.host, { driver });
  assert.match(layout.device, /^ns-/);
  await converge(host, net, net, { withNetwork: true });
  const brq = `brq${net.network.id}`;
  assert.ok(fx.kernel.ns('host')!.link(brq), 'brq made');
  assert.ok(fx.kernel.ns(layout.namespace)!.link(layout.device)?.up);
  assert.deepEqual(await plan(host, net, net, { withNetwork: true }), []);
  await converge(host, null, net, { removeNetwork: true });
  assert.equal(fx.kernel.ns('host')!.links.filter((l) => l.name !== 'lo').length, 0);
  assert.equal(fx.kernel.ns(layout.namespace), undefined);
});

test('an invalid network is refused naming the port, and nothing is read or changed', async (t) => {
  const fx = await fakeHost(t);
  const { net } = served();
  await converge(fx, net);
  const before = JSON.stringify([...fx.files.files.entries()]);
  const writes = fx.files.log.length;
  const [a, b] = net.hosts;
  const bad = {
    ...net,
    hosts: [a!, { ...b!, fixedIps: [{ ...b!.fixedIps[0]!, address: a!.fixedIps[0]!.address }] }],
  };
  await assert.rejects(
    enableDhcp(bad, { executors: fx.executors, driver: fx.driver }),
    (e: unknown) =>
      e instanceof InvalidInputError &&
      /port vm_b: 10\.0\.1\.10 is already used by port vm_a/.test(e.message),
  );
  assert.equal(JSON.stringify([...fx.files.files.entries()]), before);
  assert.equal(fx.files.log.length, writes);
  assert.deepEqual(dnsmasqs(fx)[0]!.signals, []);
});

test('removal never deletes a namespace of its name whose lo carries another owner', async (t) => {
  const fx = await fakeHost(t);
  const { net } = served();
  const layout = dhcpLayout(net, fx.executors.host, { driver: fx.driver });
  const space = fx.kernel.addNamespace(layout.namespace);
  const lo = space.link('lo') ?? space.addLink({ name: 'lo', kind: null as never });
  lo.alias = 'tenantnet:other.dhcp.web';
  const planned = await plan(fx, null, net);
  assert.ok(
    !planned.flatMap((c) => c.steps).some((s) => s.via === 'ip' && s.ops.some((o) => o.op === 'netns.del')),
  );
});

test('existingDhcpServers: the servers of this host from the state directory, with their live PID', async (t) => {
  const fx = await fakeHost(t);
  const { net } = served();
  await converge(fx, net);
  const layout = dhcpLayout(net, fx.executors.host, { driver: fx.driver });
  fx.files.put(`${fx.executors.host.stateDir}/dhcp/not-ours/host`, '');
  const found = await existingDhcpServers(fx.executors);
  assert.deepEqual(
    found.map((s) => [s.marker, s.topology, s.network, s.pid]),
    [[layout.marker, 'u1', 'web', dnsmasqs(fx)[0]!.pid]],
  );
  fx.processes.exit(dnsmasqs(fx)[0]!.pid);
  assert.equal((await existingDhcpServers(fx.executors))[0]!.pid, null);
});

test('a stale veth pair inside the namespace is deleted once (ip reads its peer)', async (t) => {
  const fx = await fakeHost(t);
  const { net } = served();
  await converge(fx, net);
  const [pair] = parseLinks([
    { ifname: 'ns-old', ifindex: 7, link: 'ns-peer', linkinfo: { info_kind: 'veth' }, flags: [] },
  ]);
  assert.equal(pair!.peer, 'ns-peer');
  const obs = new Observation(fx.executors);
  const observed = await observeDhcp(net, obs, { driver: fx.driver });
  const links = [
    ...observed.namespace!.links,
    { ...pair!, name: 'ns-old' as never },
    { ...pair!, name: 'ns-peer' as never, peer: 'ns-old' },
  ];
  const planned = planDhcp(
    net,
    { ...observed, namespace: { ...observed.namespace!, links } },
    { driver: fx.driver },
  );
  assert.deepEqual(
    planned.flatMap((c) => c.steps).flatMap((s) => (s.via === 'ip' ? s.ops : [])),
    [{ op: 'link.del', name: 'ns-old' }],
  );
});

test('the plan renders as commands a person would type: the files, the dnsmasq command line, kill -HUP', async (t) => {
  const fx = await fakeHost(t);
  const base = topology();
  const { net } = served(base);
  const layout = dhcpLayout(net, fx.executors.host, { driver: fx.driver });
  const script = planScript(renderChanges(await plan(fx, net, net), fx.executors.host));
  assert.match(script, new RegExp(`ip netns add ${layout.namespace.replace('.', '\\.')}`));
  assert.match(script, /net\.ipv4\.ip_nonlocal_bind=1/);
  assert.ok(script.includes(`${layout.paths.host}`));
  assert.match(script, /dnsmasq --no-hosts --no-resolv --pid-file=/);
  await converge(fx, net);
  const added = served({ ...base, instances: [...base.instances!, { name: 'c', network: 'web' }] }).net;
  const reload = planScript(renderChanges(await plan(fx, added, added), fx.executors.host));
  assert.match(reload, /kill -HUP/);
  assert.doesNotMatch(reload, /dnsmasq --no-hosts/);
});
