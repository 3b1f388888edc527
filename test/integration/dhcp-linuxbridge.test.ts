// DHCP on a real kernel with real dnsmasq and real busybox udhcpc clients, Linux bridge backend, on a
// sandbox namespace standing in for the host: leases, DNS, reload with the same PID, restart,
// respawn after kill -9, bad input that changes nothing, and a disable that leaves nothing.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DhcpNoLeaseError } from '../../src/dhcp/errors.js';
import { dhcpNetworkFromModel } from '../../src/dhcp/from-model.js';
import { DhcpMonitor } from '../../src/dhcp/monitor.js';
import type { DhcpNetwork } from '../../src/dhcp/types.js';
import { dhcpNetwork } from '../../src/dhcp/validate.js';
import { disableDhcp, enableDhcp } from '../../src/dhcp/verbs.js';
import { InvalidInputError } from '../../src/errors.js';
import { readCmdline } from '../../src/exec/proc.js';
import { run } from '../../src/exec/run.js';
import { LinuxBridgeInterfaceDriver } from '../../src/interface/linuxbridge.js';
import { buildModel } from '../../src/model/build.js';
import type { TopologyInput } from '../../src/model/types.js';
import type { Owner } from '../../src/net/ownership.js';
import { resourceId } from '../../src/net/ownership.js';
import { mac } from '../../src/net/types.js';
import { countingExecutors, stateChanging } from '../../src/reconcile/counting.js';
import { hostileString, hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { dhcpExecutors, dnsmasqPid, plugVm, resolve, until } from './dhcp-helpers.js';

const driver = new LinuxBridgeInterfaceDriver();

function topology(
  sbPrefix: string,
  instances: TopologyInput['instances'],
  subnets?: object[],
): TopologyInput {
  return {
    name: sbPrefix,
    backend: 'linuxbridge',
    networks: [
      {
        name: 'web',
        mtu: 1400,
        subnets: (subnets ?? [
          { cidr: '10.61.1.0/24', dns: ['10.61.1.2', '10.61.1.53'] },
          { cidr: 'fd61:1::/64' },
        ]) as never,
      },
    ],
    routers: [{ name: 'r1', interfaces: ['web'] }],
    instances,
  };
}

const a = { name: 'a', network: 'web', ip: '10.61.1.10', mac: 'fa:16:3e:61:00:0a' };
const b = { name: 'b', network: 'web', ip: '10.61.1.11', mac: 'fa:16:3e:61:00:0b' };
const c = { name: 'c', network: 'web', ip: '10.61.1.12', mac: 'fa:16:3e:61:00:0c' };

function instancePort(model: ReturnType<typeof buildModel>, name: string) {
  return model.instances.find((i) => i.name === name)!.port;
}

describe('DHCP with dnsmasq, Linux bridge backend, on a real kernel', rootOnly, () => {
  test('a VM gets exactly its fixed address, router, DNS servers and MTU; names resolve; an unknown MAC gets nothing', async (t) => {
    const sb = sandbox(t);
    const x = dhcpExecutors(sb, await sb.namespace('host'));
    const model = buildModel(topology(sb.prefix, [a, b]));
    const net = dhcpNetworkFromModel(model, 'web');
    sb.defer(() => disableDhcp(net, { executors: x, driver, removeNetwork: true }));
    const first = await enableDhcp(net, { executors: x, driver });
    assert.ok(first.operations > 0);

    const vm = await plugVm(sb, x, driver, model, 'web', instancePort(model, 'a'));
    const lease = await vm.dhcp();
    assert.equal(lease.address, '10.61.1.10');
    assert.equal(lease.prefixLength, 24);
    assert.deepEqual(lease.routers, ['10.61.1.1']);
    assert.deepEqual(lease.dns, ['10.61.1.2', '10.61.1.53']);
    assert.equal(lease.mtu, 1400);
    assert.equal(lease.hostname, 'a');
    assert.equal(lease.domain, 'openstacklocal');
    assert.deepEqual(await vm.addresses(), ['10.61.1.10/24']);
    const route = await run(['ip', '-n', vm.ns, 'route', 'show', 'default']);
    assert.match(route.stdout, /default via 10\.61\.1\.1 dev eth0/);
    const mtuNow = JSON.parse((await run(['ip', '-n', vm.ns, '-j', 'link', 'show', 'dev', 'eth0'])).stdout)[0]
      .mtu;
    assert.equal(mtuNow, 1400);

    // DNS through the DHCP port: the ports' names, bare and qualified, IPv4 and IPv6.
    assert.deepEqual(await resolve(vm.ns, 'b', '10.61.1.2'), ['10.61.1.11']);
    assert.deepEqual(await resolve(vm.ns, 'a.openstacklocal', '10.61.1.2'), ['10.61.1.10']);
    const bV6 = model.instances.find((i) => i.name === 'b')!.port.fixedIps[1]!.address;
    assert.deepEqual(await resolve(vm.ns, 'b', '10.61.1.2', 'aaaa'), [bV6]);

    // A MAC dnsmasq has no host entry for gets no lease (static ranges only).
    const stranger: Owner = { topology: model.topology, kind: 'port', name: 'stranger' } as Owner;
    const unknown = await plugVm(sb, x, driver, model, 'web', {
      owner: stranger,
      id: resourceId(stranger),
      mac: mac('fa:16:3e:61:ff:ff'),
    });
    await assert.rejects(unknown.dhcp(2), DhcpNoLeaseError);
    assert.deepEqual(await unknown.addresses(), []);
  });

  test('port added, changed, removed: files rewritten and SIGHUP to the same dnsmasq; clients see it', async (t) => {
    const sb = sandbox(t);
    const x = dhcpExecutors(sb, await sb.namespace('host'));
    const m1 = buildModel(topology(sb.prefix, [a, b]));
    const net1 = dhcpNetworkFromModel(m1, 'web');
    sb.defer(() => disableDhcp(net1, { executors: x, driver, removeNetwork: true }));
    const { layout } = await enableDhcp(net1, { executors: x, driver });
    const pid = await dnsmasqPid(layout.paths.pid, layout.marker);
    assert.ok(pid);

    // Added: c gets a lease from the same dnsmasq.
    const m2 = buildModel(topology(sb.prefix, [a, b, c]));
    const added = await enableDhcp(dhcpNetworkFromModel(m2, 'web'), { executors: x, driver });
    assert.deepEqual(
      added.planned.flatMap((ch) => ch.steps).map((s) => (s.via === 'process' ? s.action : s.via)),
      ['file', 'file', 'reload'],
    );
    assert.equal(await dnsmasqPid(layout.paths.pid, layout.marker), pid);
    const vmC = await plugVm(sb, x, driver, m2, 'web', instancePort(m2, 'c'));
    assert.equal((await vmC.dhcp()).address, '10.61.1.12');

    // Changed: b's address moves; b's client gets the new one.
    const vmB = await plugVm(sb, x, driver, m2, 'web', instancePort(m2, 'b'));
    assert.equal((await vmB.dhcp()).address, '10.61.1.11');
    const m3 = buildModel(topology(sb.prefix, [a, { ...b, ip: '10.61.1.21' }, c]));
    await enableDhcp(dhcpNetworkFromModel(m3, 'web'), { executors: x, driver });
    assert.equal(await dnsmasqPid(layout.paths.pid, layout.marker), pid);
    assert.equal((await vmB.dhcp()).address, '10.61.1.21');
    assert.deepEqual(await vmB.addresses(), ['10.61.1.21/24']);

    // Removed: c gets no lease any more.
    const m4 = buildModel(topology(sb.prefix, [a, { ...b, ip: '10.61.1.21' }]));
    await enableDhcp(dhcpNetworkFromModel(m4, 'web'), { executors: x, driver });
    assert.equal(await dnsmasqPid(layout.paths.pid, layout.marker), pid);
    assert.doesNotMatch(readFileSync(layout.paths.host, 'utf8'), /fa:16:3e:61:00:0c/);
    await assert.rejects(vmC.dhcp(2), DhcpNoLeaseError);
  });

  test('unchanged re-apply sends nothing; bad input is refused naming the port and changes nothing', async (t) => {
    const sb = sandbox(t);
    const x = dhcpExecutors(sb, await sb.namespace('host'));
    const model = buildModel(topology(sb.prefix, [a, b]));
    const net = dhcpNetworkFromModel(model, 'web');
    sb.defer(() => disableDhcp(net, { executors: x, driver, removeNetwork: true }));
    const { layout } = await enableDhcp(net, { executors: x, driver });
    const pid = await dnsmasqPid(layout.paths.pid, layout.marker);

    const counting = countingExecutors(x);
    const again = await enableDhcp(net, { executors: counting.executors, driver });
    assert.equal(again.operations, 0);
    assert.deepEqual(again.planned, []);
    assert.equal(stateChanging(counting.counts), 0, JSON.stringify(counting.counts));
    assert.equal(counting.counts.processes.spawns + counting.counts.processes.runs, 0);

    const files = ['host', 'opts', 'addn_hosts', 'leases'].map((f) => `${layout.paths.dir}/${f}`);
    const before = files.map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs]);
    const started = (await readFile(`/proc/${pid}/stat`)).split(' ')[21];
    const [ha, hb] = net.hosts as [DhcpNetwork['hosts'][0], DhcpNetwork['hosts'][0]];
    const bad: [string, DhcpNetwork, RegExp][] = [
      [
        'address used twice',
        { ...net, hosts: [ha, { ...hb, fixedIps: [ha.fixedIps[0]!] }] },
        /port vm_b: 10\.61\.1\.10 is already used by port vm_a/,
      ],
      [
        'address outside',
        { ...net, hosts: [ha, { ...hb, fixedIps: [{ ...hb.fixedIps[0]!, address: '10.62.0.5' as never }] }] },
        /port vm_b: 10\.62\.0\.5 is outside its subnet/,
      ],
      [
        'MAC twice',
        { ...net, hosts: [ha, { ...hb, mac: ha.mac }] },
        /port vm_b: MAC fa:16:3e:61:00:0a is already used by port vm_a/,
      ],
      [
        'bad CIDR',
        {
          ...net,
          network: {
            ...net.network,
            subnets: [{ ...net.network.subnets[0]!, cidr: '10.61.1.7/24' as never }],
          },
        },
        /did you mean 10\.61\.1\.0\/24/,
      ],
    ];
    for (const [what, value, message] of bad) {
      await assert.rejects(
        enableDhcp(value, { executors: counting.executors, driver }),
        (e: unknown) => e instanceof InvalidInputError && message.test(e.message),
        what,
      );
    }
    // Hostile strings at the fields that reach dnsmasq's files and argv: refused, nothing changes,
    // on the sandbox or on the host.
    const host = await hostSnapshot();
    const fields: ((v: string) => DhcpNetwork)[] = [
      (v) => ({ ...net, domain: v }),
      (v) => ({ ...net, hosts: [ha, { ...hb, hostname: v }] }),
      (v) => ({ ...net, hosts: [ha, { ...hb, mac: v as never }] }),
      (v) => ({ ...net, hosts: [ha, { ...hb, fixedIps: [{ ...hb.fixedIps[0]!, address: v as never }] }] }),
      (v) => ({ ...net, upstreamServers: [v as never] }),
      (v) => ({ ...net, network: { ...net.network, subnets: [{ ...net.network.subnets[0]!, id: v }] } }),
      (v) => ({
        ...net,
        network: { ...net.network, subnets: [{ ...net.network.subnets[0]!, cidr: v as never }] },
      }),
    ];
    await fc.assert(
      fc.asyncProperty(hostileString(), fc.nat(fields.length - 1), async (v, i) => {
        // Some glued values are plain names (`ab-cd`): harmless, and applying them would change the
        // network on purpose. Only refused ones are sent.
        if (accepts(fields[i]!(v))) {
          assert.doesNotMatch(v, /[\u0000-\u001f\u007f-\u009f\u2028\u2029/]/);
          return;
        }
        counting.reset();
        await enableDhcp(fields[i]!(v), { executors: counting.executors, driver }).then(
          () => assert.fail(`field ${i}: ${JSON.stringify(v)} was accepted`),
          (e: unknown) => assert.ok(e instanceof InvalidInputError, `field ${i}: ${String(e)}`),
        );
        assert.equal(
          stateChanging(counting.counts) + counting.counts.ip.readCalls,
          0,
          'refused before anything is read',
        );
      }),
      { numRuns: 40 },
    );
    assert.deepEqual(snapshotDiff(host, await hostSnapshot()), []);
    assert.deepEqual(
      files.map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs]),
      before,
      'files byte-identical, not rewritten',
    );
    assert.equal(await dnsmasqPid(layout.paths.pid, layout.marker), pid);
    assert.equal((await readFile(`/proc/${pid}/stat`)).split(' ')[21], started, 'dnsmasq untouched');
    assert.equal(stateChanging(counting.counts), 0, 'nothing was sent');
  });

  test('kill -9 dnsmasq: the monitor respawns it with the same arguments', async (t) => {
    const sb = sandbox(t);
    const x = dhcpExecutors(sb, await sb.namespace('host'));
    const model = buildModel(topology(sb.prefix, [a]));
    const net = dhcpNetworkFromModel(model, 'web');
    sb.defer(() => disableDhcp(net, { executors: x, driver, removeNetwork: true }));
    const { layout } = await enableDhcp(net, { executors: x, driver });
    const monitor = new DhcpMonitor({ executors: x, driver, intervalMs: 100 });
    sb.defer(() => monitor.stop());
    assert.equal(monitor.watch(net), layout.marker);
    const respawned: string[] = [];
    monitor.on('respawn', (marker: string) => respawned.push(marker));

    const pid = (await dnsmasqPid(layout.paths.pid, layout.marker))!;
    const argv = await readCmdline(pid);
    process.kill(pid, 'SIGKILL');
    await until(
      async () => {
        const now = await dnsmasqPid(layout.paths.pid, layout.marker);
        return now !== null && now !== pid;
      },
      10_000,
      'dnsmasq to be respawned',
    );
    const fresh = (await dnsmasqPid(layout.paths.pid, layout.marker))!;
    assert.deepEqual(await readCmdline(fresh), argv);
    assert.deepEqual(respawned, [layout.marker]);
    const vm = await plugVm(sb, x, driver, model, 'web', instancePort(model, 'a'));
    assert.equal((await vm.dhcp()).address, '10.61.1.10', 'the respawned dnsmasq serves');
    monitor.unwatch(net);
    assert.deepEqual(monitor.watched(), []);
    await monitor.stop();
  });

  test('a stale device is unplugged; a subnet change restarts dnsmasq; disable leaves nothing (process, files, port, namespace, bridge)', async (t) => {
    const sb = sandbox(t);
    const hostNs = await sb.namespace('host');
    const x = dhcpExecutors(sb, hostNs);
    const dual = buildModel(topology(sb.prefix, [a]));
    const { layout } = await enableDhcp(dhcpNetworkFromModel(dual, 'web'), { executors: x, driver });
    const pid = await dnsmasqPid(layout.paths.pid, layout.marker);

    // A device left in the namespace by an earlier run is unplugged on the next setup.
    await run([
      'ip',
      '-n',
      layout.namespace,
      'link',
      'add',
      sb.dev('old'),
      'type',
      'veth',
      'peer',
      'name',
      sb.dev('peer'),
    ]);
    const swept = await enableDhcp(dhcpNetworkFromModel(dual, 'web'), { executors: x, driver });
    assert.deepEqual(
      swept.planned.map((ch) => ch.action),
      ['delete'],
    );
    const left = await run(['ip', '-n', layout.namespace, '-o', 'link', 'show']);
    assert.doesNotMatch(left.stdout, new RegExp(sb.dev('old')));
    assert.equal(await dnsmasqPid(layout.paths.pid, layout.marker), pid);

    const v4only = buildModel(
      topology(sb.prefix, [a], [{ cidr: '10.61.1.0/24' }, { cidr: 'fd61:1::/64', dhcp: false }]),
    );
    const net = dhcpNetworkFromModel(v4only, 'web');
    const restarted = await enableDhcp(net, { executors: x, driver });
    assert.ok(
      restarted.planned.flatMap((c) => c.steps).some((s) => s.via === 'process' && s.action === 'restart'),
    );
    const now = await dnsmasqPid(layout.paths.pid, layout.marker);
    assert.ok(now !== null && now !== pid);
    assert.equal((await readCmdline(now)).filter((w) => w.startsWith('--dhcp-range=')).length, 1);
    const v6 = await run(['ip', '-n', layout.namespace, '-6', 'addr', 'show', 'scope', 'global']);
    assert.equal(v6.stdout.trim(), '', 'the DHCP port left the IPv6 subnet');

    const gone = await disableDhcp(net, { executors: x, driver, removeNetwork: true });
    assert.ok(gone.operations > 0);
    assert.equal(existsSync(`/run/netns/${layout.namespace}`), false);
    assert.equal(existsSync(layout.paths.dir), false, 'config directory removed');
    assert.equal(await dnsmasqPid(layout.paths.pid, layout.marker), null);
    const hostLinks = await run(['ip', '-n', hostNs, '-o', 'link', 'show']);
    assert.deepEqual(
      hostLinks.stdout.split('\n').filter((l) => l && !/ lo:/.test(l)),
      [],
      'no brq, no tap left on the host',
    );
    const twice = await disableDhcp(net, { executors: x, driver, removeNetwork: true });
    assert.equal(twice.operations, 0, 'disabling again finds nothing to do');
  });
});

function accepts(net: DhcpNetwork): boolean {
  try {
    dhcpNetwork(net);
    return true;
  } catch {
    return false;
  }
}

async function readFile(path: string): Promise<string> {
  return readFileSync(path, 'utf8');
}
