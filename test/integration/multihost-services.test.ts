// The services of a tenant spread over hosts, with examples/multihost.yaml on three simulated hosts
// (real agents, real etcd): a router on h1 serving SNAT for an instance on h3 towards an upstream on
// h2 and a floating IP back; distributed DHCP (each host's own dnsmasq, reservations for its own
// ports only, MTU 1450, its own DNS server), a dnsmasq killed and respawned; a security group whose
// remote group spans hosts (a member admitted, a non-member blocked; a new member changes a set on
// the peers, not their rules); the router's host stopping shows in status.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fabric } from '../fakes/fabric.js';
import { rootOnly } from '../helpers/root.js';
import { eth0, nameServer, stopChild, tcpRead, topologyFile, within } from './multihost-helpers.js';

const f = rootOnly.skip ? null : await fabric({ after }, { hosts: 3, resyncInterval: 2, leaseTtl: 3 });
const servers: ChildProcess[] = [];
after(async () => {
  for (const s of servers) await stopChild(s);
});

const EXAMPLE = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'multihost.yaml'), 'utf8');
const TOPO = 'multihost';
const ns = (h: string, i: string) => f!.instanceNs(h, TOPO, i);

interface Spec {
  networks: {
    name: string;
    hostDhcpPorts?: { host: string; port: { mac: string; fixedIps: { address: string }[] } }[];
  }[];
  routers: {
    name: string;
    gateway: { ip: string } | null;
    floatingIps: { address: string; instance: string }[];
  }[];
  instances: { name: string; host: string; port: { mac: string; fixedIps: { address: string }[] } }[];
}

async function spec(): Promise<Spec> {
  return JSON.parse((await f!.etcd.get(`${f!.storePrefix}topologies/${TOPO}/spec`))!) as Spec;
}

test('the example converges on three hosts; every host runs its own dnsmasq', rootOnly, async () => {
  const file = topologyFile(f!, TOPO, EXAMPLE);
  const a = await f!.cli(['--json', 'apply', file, '--wait=90']);
  assert.equal(a.exitCode, 0, a.stdout + a.stderr);
  const s = await f!.cli(['--json', 'status', file]);
  assert.equal(s.exitCode, 0, s.stdout);
  const hosts = s.json<{
    topologies: { hosts: { host: string; dhcp: { network: string; pid: number }[] }[] }[];
  }>().topologies[0]!.hosts;
  for (const h of hosts)
    assert.deepEqual(
      h.dhcp.map((d) => d.network),
      ['web'],
      `${h.host}`,
    );
});

test('verify --store proves the example’s checks across hosts with real packets', rootOnly, async () => {
  const v = await f!.cli(['--json', 'verify', topologyFile(f!, TOPO, EXAMPLE)]);
  assert.equal(v.exitCode, 0, v.stdout + v.stderr);
  const r = v.json<{ passed: number; failed: number; checks: { result: string }[] }>();
  assert.deepEqual([r.passed, r.failed], [5, 0]);
  assert.deepEqual(
    r.checks.map((c) => c.result),
    ['pass', 'block', 'pass', 'pass', 'pass'],
  );
  // The request and its answers went with its lease; no echo server is left in any namespace.
  assert.deepEqual(await f!.etcd.keys(`${f!.storePrefix}verify/`), []);
  const { run } = await import('../../src/exec/run.js');
  const socats = await run(['pgrep', '-f', 'socat TCP4-LISTEN:8080'], { check: false });
  assert.equal(socats.stdout.trim(), '', 'an echo server outlived the request');
});

test(
  'SNAT and a floating IP across hosts: h3 → router on h1 → upstream on h2, and back',
  rootOnly,
  async () => {
    const sp = await spec();
    const edge = sp.routers.find((r) => r.name === 'edge')!;
    servers.push(nameServer(ns('h2', 'upstream'), 80, '$SOCAT_PEERADDR'));
    const fip = edge.floatingIps.find((x) => x.instance === 'web3')!.address;
    const seenFrom = async (h: string, i: string) => {
      let seen = '';
      await within(
        8000,
        async () => {
          seen = await tcpRead(f!, ns(h, i), '172.26.4.1', 80);
          return seen !== '';
        },
        300,
      );
      return seen;
    };
    // web3 (h3) has a floating IP: it goes out as that address; guest2 (h2) as the router's gateway.
    assert.equal(await seenFrom('h3', 'web3'), fip, 'the upstream did not see web3 as its floating IP');
    assert.equal(
      await seenFrom('h2', 'guest2'),
      edge.gateway!.ip,
      'the upstream did not see the SNAT address',
    );
    const ping = await f!.exec(ns('h2', 'upstream'), ['ping', '-c', '2', '-W', '1', fip]);
    assert.equal(ping.exitCode, 0, ping.stdout);
  },
);

test(
  'distributed DHCP: web3 leases from h3 (MTU 1450, h3 as DNS); h3 holds only its own ports; a killed dnsmasq comes back',
  rootOnly,
  async () => {
    const sp = await spec();
    const web = sp.networks.find((n) => n.name === 'web')!;
    const h3dhcp = web.hostDhcpPorts!.find((p) => p.host === 'h3')!.port.fixedIps[0]!.address;
    const web3 = sp.instances.find((i) => i.name === 'web3')!;
    const web1 = sp.instances.find((i) => i.name === 'web1')!;
    assert.equal((await eth0(f!, ns('h3', 'web3'))).mtu, 1450);
    const script = join(f!.host('h3').stateDir, 'instances', 'udhcpc.sh');
    const lease = await f!.exec(
      ns('h3', 'web3'),
      [
        'busybox',
        'udhcpc',
        '-i',
        'eth0',
        '-n',
        '-q',
        '-f',
        '-t',
        '3',
        '-T',
        '1',
        '-s',
        script,
        '-O',
        'mtu',
        '-O',
        'dns',
      ],
      20_000,
    );
    assert.equal(lease.exitCode, 0, lease.stdout + lease.stderr);
    const got = Object.fromEntries(
      [...lease.stdout.matchAll(/tenantnet-lease (\w+)=(\S*)/g)].map((m) => [m[1], m[2]]),
    );
    assert.equal(got.ip, web3.port.fixedIps[0]!.address);
    assert.equal(got.mtu, '1450');
    assert.equal(got.dns, h3dhcp);
    assert.equal(got.serverid, h3dhcp);
    // h3's dnsmasq has a reservation for web3 and none for ports of other hosts.
    const h3ns = `${f!.host('h3').netnsPrefix}qdhcp-${TOPO}.web`;
    const hostsFile = await readFile(join(f!.host('h3').stateDir, 'dhcp', h3ns, 'host'), 'utf8').catch(
      async () => {
        const { readdir } = await import('node:fs/promises');
        throw new Error(
          `no host file; dhcp dir: ${await readdir(join(f!.host('h3').stateDir, 'dhcp')).catch(() => [])}`,
        );
      },
    );
    assert.match(hostsFile, new RegExp(web3.port.mac));
    assert.doesNotMatch(hostsFile, new RegExp(web1.port.mac));
    // kill -9 of h3's dnsmasq: respawned within the resync interval.
    const status = async () =>
      (await f!.cli(['--json', 'status', topologyFile(f!, TOPO, EXAMPLE)]))
        .json<{
          topologies: { hosts: { host: string; dhcp: { pid: number }[] }[] }[];
        }>()
        .topologies[0]!.hosts.find((h) => h.host === 'h3')!.dhcp[0]?.pid;
    const pid = (await status())!;
    assert.ok(pid > 0);
    process.kill(pid, 'SIGKILL');
    const back = await within(
      15_000,
      async () => {
        const p = await status();
        return p !== undefined && p !== pid;
      },
      500,
    );
    assert.ok(back >= 0, `dnsmasq not respawned:\n${await f!.agentLog('h3', 10)}`);
  },
);

test(
  'a remote group across hosts admits a member and blocks a non-member; a new member changes a set, not rules',
  rootOnly,
  async () => {
    const sp = await spec();
    const web3ip = sp.instances.find((i) => i.name === 'web3')!.port.fixedIps[0]!.address;
    servers.push(nameServer(ns('h3', 'web3'), 8080, 'web3'));
    assert.ok(
      (await within(5000, async () => (await tcpRead(f!, ns('h1', 'web1'), web3ip, 8080)) === 'web3')) >= 0,
    );
    assert.equal(await tcpRead(f!, ns('h2', 'guest2'), web3ip, 8080), '');
    const rules = async () =>
      (await f!.exec(f!.host('h3').netns, ['iptables-save'])).stdout
        .split('\n')
        .filter((l) => !l.startsWith('#') && !l.startsWith(':'))
        .join('\n');
    const sets = async () => (await f!.exec(f!.host('h3').netns, ['ipset', 'save'])).stdout;
    const [rulesBefore, setsBefore] = [await rules(), await sets()];
    // guest2 joins the group (on h2): h3's set of the group gains its address, h3's rules stay.
    const file = topologyFile(
      f!,
      TOPO,
      EXAMPLE.replace(
        '{ name: guest2, network: web, host: h2 }',
        '{ name: guest2, network: web, host: h2, security_groups: [web] }',
      ),
    );
    const a = await f!.cli(['apply', file, '--wait=60']);
    assert.equal(a.exitCode, 0, a.stdout + a.stderr);
    const guest = (await spec()).instances.find((i) => i.name === 'guest2')!.port.fixedIps[0]!.address;
    assert.ok(
      (await within(5000, async () => (await sets()).includes(guest))) >= 0,
      'the set did not gain the member',
    );
    assert.notEqual(await sets(), setsBefore);
    assert.equal(await rules(), rulesBefore);
    assert.ok(
      (await within(5000, async () => (await tcpRead(f!, ns('h2', 'guest2'), web3ip, 8080)) === 'web3')) >= 0,
    );
  },
);

test('the router’s host stopping shows in status: h1 down, router edge down', rootOnly, async () => {
  await f!.stopAgent('h1');
  const file = topologyFile(f!, TOPO, EXAMPLE);
  let out = '';
  const seen = await within(
    10_000,
    async () => {
      const s = await f!.cli(['status', file]);
      out = s.stdout;
      return s.exitCode === 1 && /router edge on h1: DOWN/.test(s.stdout);
    },
    500,
  );
  assert.ok(seen >= 0, out);
  assert.match(out, /DOWN h1 since/);
  // The other hosts keep talking at L2 (h2 ↔ h3 on lab).
  const p = await f!.exec(ns('h2', 'lab2'), ['ping', '-c', '1', '-W', '1', '10.30.1.31']);
  assert.equal(p.exitCode, 0);
  await f!.startAgent('h1');
  const d = await f!.cli(['destroy', file]);
  assert.equal(d.exitCode, 0, d.stderr);
});
