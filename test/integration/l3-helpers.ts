// Helpers of the L3 integration tests: a simulated host (a sandbox namespace, or the private OVS's),
// a topology named after the sandbox (two internal networks, an external one with an "upstream" that
// has no route back to the internal subnets, instances with static addresses), instances plugged
// with the same interface driver, and TCP probes that report the source address the server saw.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/exec/run.js';
import type { InterfaceDriver, PlugRequest } from '../../src/interface/driver.js';
import { initL3 } from '../../src/interface/init-l3.js';
import { closeIpBatches } from '../../src/ip/executor.js';
import { routerNamespace } from '../../src/l3/desired.js';
import { deleteRouter } from '../../src/l3/router.js';
import { buildModel } from '../../src/model/build.js';
import type { Model, TopologyInput } from '../../src/model/types.js';
import { netnsPrefix } from '../../src/net/naming.js';
import { type Cidr, deviceName, type IpAddress, namespaceName } from '../../src/net/types.js';
import { type RealExecutors, realExecutors } from '../../src/reconcile/real-executors.js';
import type { Sandbox } from '../helpers/sandbox.js';

const stateDir = mkdtempSync(join(tmpdir(), 'tn-l3-'));
process.once('exit', () => rmSync(stateDir, { recursive: true, force: true }));

/**
 * Real executors whose host is `hostNs`, whose derived namespaces carry the sandbox's prefix, with
 * Open vSwitch at `socket` (null: none).
 */
export function executorsFor(sb: Sandbox, hostNs: string, socket: string | null = null): RealExecutors {
  return realExecutors({
    hostNamespace: hostNs,
    netnsPrefix: `${sb.prefix}-`,
    ovsdbSocket: socket ?? join(stateDir, 'no-ovs.sock'),
    stateDir,
    ovs: { datapathType: 'netdev' },
  });
}

/**
 * The topology of the tests, named after the sandbox: networks a (10.1.0.0/24), b (10.2.0.0/24),
 * ext (172.24.4.0/24, external); router r1 with interfaces a and b, gateway 172.24.4.2 on ext; vm1
 * (10.1.0.10, floating IP 172.24.4.100), vm2 (10.2.0.10), vm3 (10.1.0.11) and `upstream`
 * (172.24.4.1, the external subnet's gateway: the router's default route).
 */
export function topology(
  sb: Sandbox,
  router: Record<string, unknown> = {},
  over: Partial<TopologyInput> = {},
) {
  return {
    name: sb.prefix,
    backend: 'linuxbridge',
    networks: [
      { name: 'a', cidr: '10.1.0.0/24', dhcp: false },
      { name: 'b', cidr: '10.2.0.0/24', dhcp: false },
      { name: 'ext', cidr: '172.24.4.0/24', dhcp: false, external: true },
    ],
    routers: [
      { name: 'r1', gateway: { network: 'ext', ip: '172.24.4.2' }, interfaces: ['a', 'b'], ...router },
    ],
    instances: [
      { name: 'vm1', network: 'a', ip: '10.1.0.10', address: 'static' },
      { name: 'vm2', network: 'b', ip: '10.2.0.10', address: 'static' },
      { name: 'vm3', network: 'a', ip: '10.1.0.11', address: 'static' },
      { name: 'upstream', network: 'ext', ip: '172.24.4.1', address: 'static' },
    ],
    floatingIps: [{ instance: 'vm1', address: '172.24.4.100' }],
    ...over,
  } as TopologyInput;
}

/** The model of {@link topology}. */
export function model(
  sb: Sandbox,
  router: Record<string, unknown> = {},
  over: Partial<TopologyInput> = {},
): Model {
  return buildModel(topology(sb, router, over));
}

/** The router's namespace in the sandbox. */
export function routerNs(sb: Sandbox): string {
  return routerNamespace({ topology: sb.prefix, name: 'r1' }, netnsPrefix(`${sb.prefix}-`));
}

/**
 * Deletes the router before the sandbox tears down (and, should that fail, its namespace), and lets
 * go of the ip coprocesses in it.
 */
export function removeRouterAfter(sb: Sandbox, x: RealExecutors, driver: InterfaceDriver): void {
  sb.defer(async () => {
    await deleteRouter({ topology: sb.prefix, name: 'r1' }, { executors: x, driver }).catch(() => {});
    await closeIpBatches(namespaceName(routerNs(sb)));
    await run(['ip', 'netns', 'del', routerNs(sb)], { check: false });
  });
}

/**
 * Plugs an instance of the model into a sandbox namespace with `driver` (device eth0), gives it its
 * address and a default route via its subnet's gateway (the router), unless `gateway` is false. On
 * OVS (internal ports: the device is the port, unique on the bridge) give `device`.
 */
export async function plugInstance(
  x: RealExecutors,
  driver: InterfaceDriver,
  m: Model,
  name: string,
  ns: string,
  opts: { gateway?: boolean; device?: string } = {},
): Promise<void> {
  const vm = m.instances.find((i) => i.name === name)!;
  const network = m.networks.find((n) => n.name === vm.network)!;
  const subnet = network.subnets.find((s) => s.name === vm.port.fixedIps[0]!.subnet)!;
  const req: PlugRequest = {
    network,
    port: vm.port,
    device: deviceName(opts.device ?? 'eth0'),
    namespace: namespaceName(ns),
  };
  await driver.plug(req, { executors: x });
  await initL3(
    {
      device: req.device,
      place: req.namespace,
      cidrs: [`${vm.port.fixedIps[0]!.address}/${subnet.prefixLength}` as Cidr],
      gateways: opts.gateway === false || !subnet.gateway ? [] : [subnet.gateway as IpAddress],
    },
    vm.owner,
    { executors: x },
  );
}

/**
 * A TCP server in `ns` on `port` that answers every connection with the address it came from (the
 * source the server saw), then closes. Killed (with its forks) before teardown.
 */
export async function sourceServer(sb: Sandbox, ns: string, port: number): Promise<void> {
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, 'socat', `TCP-LISTEN:${port},reuseaddr,fork`, 'SYSTEM:echo $SOCAT_PEERADDR'],
    { detached: true, stdio: 'ignore' },
  );
  killBeforeTeardown(sb, child);
  await new Promise((r) => setTimeout(r, 200));
}

/** The source address a {@link sourceServer} saw for a connection from `ns`, or null when it failed. */
export async function seenSource(ns: string, to: string, port: number): Promise<string | null> {
  const r = await run(['socat', '-T2', '-', `TCP:${to}:${port},connect-timeout=2`], {
    namespace: ns,
    input: '',
    check: false,
    timeoutMs: 6000,
  });
  const seen = r.stdout.trim();
  return r.exitCode === 0 && seen !== '' ? seen : null;
}

/** An echo server (every line back) in `ns` on `port`. */
export async function echoServer(sb: Sandbox, ns: string, port: number): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, 'socat', `TCP-LISTEN:${port},reuseaddr,fork`, 'PIPE'], {
    detached: true,
    stdio: 'ignore',
  });
  killBeforeTeardown(sb, child);
  await new Promise((r) => setTimeout(r, 200));
}

/** A long-lived TCP connection from `ns` to `to:port`: send a line, wait for it to come back. */
export interface Flow {
  /** True when `text` came back within `ms`. */
  roundTrip(text: string, ms?: number): Promise<boolean>;
}

/** Opens a {@link Flow} (a socat client kept running), closed before teardown. */
export async function openFlow(sb: Sandbox, ns: string, to: string, port: number): Promise<Flow> {
  const child = spawn('ip', ['netns', 'exec', ns, 'socat', '-', `TCP:${to}:${port},connect-timeout=2`], {
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  killBeforeTeardown(sb, child);
  let got = '';
  child.stdout!.on('data', (d: Buffer) => {
    got += d.toString();
  });
  return {
    async roundTrip(text: string, ms = 2000) {
      if (child.exitCode !== null || child.stdin!.destroyed) return false;
      child.stdin!.write(`${text}\n`);
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (got.includes(text)) return true;
        if (child.exitCode !== null) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    },
  };
}

function killBeforeTeardown(sb: Sandbox, child: ChildProcess): void {
  child.on('error', () => {});
  sb.defer(async () => {
    const exited =
      child.exitCode === null && child.signalCode === null ? once(child, 'exit') : Promise.resolve();
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {}
    await exited;
  });
}

/** Runs `ip -j ARGS` in a namespace and parses it. */
export async function ipJson(ns: string, ...args: string[]): Promise<Record<string, unknown>[]> {
  return JSON.parse((await run(['ip', '-n', ns, '-j', ...args])).stdout || '[]');
}

/** What a router namespace holds, comparable: addresses, routes, NAT rules (in order), sysctls. */
export async function routerPicture(ns: string): Promise<string> {
  const [addr, routes, nat, sysctls] = await Promise.all([
    run(['ip', '-n', ns, '-o', 'addr', 'show']),
    run(['ip', '-n', ns, 'route', 'show', 'table', 'all']),
    run(['iptables-save', '-t', 'nat'], { namespace: ns }),
    run(['sysctl', 'net.ipv4.ip_forward', 'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce'], {
      namespace: ns,
    }),
  ]);
  const clean = (s: string) =>
    s
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) =>
        l
          .replace(/^\d+:\s+/, '')
          .replace(/valid_lft.*$/, '')
          .replace(/\[\d+:\d+\]/, ''),
      );
  // Devices made again get other indexes (addresses and routes list by index) and their IPv6
  // link-local addresses go through DAD again: compare the sets, without those.
  const sorted = (s: string) =>
    clean(s)
      .filter((l) => !/ fe80::/.test(l))
      .sort()
      .join('\n');
  return [sorted(addr.stdout), sorted(routes.stdout), clean(nat.stdout).join('\n'), sysctls.stdout].join(
    '\n---\n',
  );
}
