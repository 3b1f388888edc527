// Helpers of the interface drivers' integration tests: real executors on a simulated host (the private
// OVS's namespace, or a sandbox namespace), requests named after the sandbox, traffic probes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/exec/run.js';
import { applyOrThrow } from '../../src/interface/apply.js';
import type { PlugNetwork, PlugRequest, PlugStyle } from '../../src/interface/driver.js';
import { closeIpBatches, type IpExecutor } from '../../src/ip/executor.js';
import type { IpOp } from '../../src/ip/ops.js';
import { type Owner, resourceId } from '../../src/net/ownership.js';
import { deviceName, mac, mtu, namespaceName } from '../../src/net/types.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { type RealExecutors, realExecutors } from '../../src/reconcile/real-executors.js';
import type { Change } from '../../src/reconcile/step.js';
import type { Sandbox } from '../helpers/sandbox.js';

const stateDir = mkdtempSync(join(tmpdir(), 'tn-iface-'));
process.once('exit', () => rmSync(stateDir, { recursive: true, force: true }));

/**
 * Real executors whose host is `hostNs` (never the root namespace), with Open vSwitch at `socket`
 * (null: none) and a state directory of this test process (its own apply lock). Close them after.
 */
export function executorsOn(hostNs: string, socket: string | null): RealExecutors {
  return realExecutors({
    hostNamespace: hostNs,
    ovsdbSocket: socket ?? join(stateDir, 'no-ovs.sock'),
    stateDir,
    ovs: { datapathType: 'netdev' },
  });
}

/** Applies changes with the engine; resolves with the operations sent. */
export function apply(x: Executors, changes: readonly Change[]): Promise<number> {
  return applyOrThrow(changes, x);
}

/** A network of the sandbox's topology. */
export function network(sb: Sandbox, name: string, m = 1500): PlugNetwork {
  const owner = { topology: sb.prefix, kind: 'network', name } as Owner;
  return { owner, id: resourceId(owner), mtu: mtu(m), external: false };
}

/** A plug request of port `name` of the sandbox's topology. */
export function request(
  sb: Sandbox,
  name: string,
  net: PlugNetwork,
  ns: string,
  dev: string,
  style?: PlugStyle,
  macTail = 1,
): PlugRequest {
  const owner = { topology: sb.prefix, kind: 'port', name } as Owner;
  return {
    network: net,
    port: {
      owner,
      id: resourceId(owner),
      mac: mac(`fa:16:3e:00:00:${macTail.toString(16).padStart(2, '0')}`),
    },
    device: deviceName(dev),
    namespace: namespaceName(ns),
    ...(style ? { style } : {}),
  };
}

/** Adds an address inside a namespace (test scaffolding, plain `ip`). */
export async function address(ns: string, dev: string, cidr: string): Promise<void> {
  await run(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', dev]);
}

/** ifindex of a device in a namespace, or null. */
export async function ifindex(ns: string, dev: string): Promise<number | null> {
  const r = await run(['ip', '-n', ns, '-j', 'link', 'show', 'dev', dev], { check: false });
  if (r.exitCode !== 0) return null;
  return (JSON.parse(r.stdout) as { ifindex: number }[])[0]?.ifindex ?? null;
}

/** Names of the links of a namespace (lo left out). */
export async function links(ns: string): Promise<string[]> {
  const r = await run(['ip', '-n', ns, '-j', 'link', 'show'], { check: false });
  if (r.exitCode !== 0) return [];
  return (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n !== 'lo');
}

/** Starts a socat echo server in a namespace; it is killed (with its forks) before teardown. */
export async function echoServer(sb: Sandbox, ns: string, listen: string): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, 'socat', listen, 'PIPE'], {
    detached: true,
    stdio: 'ignore',
  });
  sb.defer(async () => {
    const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {}
    await exited;
  });
  await new Promise((r) => setTimeout(r, 150));
}

/** True when a TCP or UDP echo through socat comes back from `to`. */
export async function echo(ns: string, proto: 'TCP' | 'UDP', to: string, port: number): Promise<boolean> {
  const target = proto === 'TCP' ? `TCP:${to}:${port},connect-timeout=1` : `UDP:${to}:${port}`;
  const r = await run(['socat', '-T1', '-', target], {
    namespace: ns,
    input: 'probe\n',
    check: false,
    timeoutMs: 5000,
  });
  return r.stdout.includes('probe');
}

/**
 * Makes sandbox namespaces whose ip coprocesses are closed before the sandbox deletes them (register
 * unplugs with `sb.defer` after this: deferred work runs last registered first).
 */
export async function namespaces(sb: Sandbox, ...names: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of names) {
    const ns = await sb.namespace(n);
    sb.defer(() => closeIpBatches(namespaceName(ns)));
    out.push(ns);
  }
  return out;
}

/**
 * Executors like `x`, except that namespace `victim` is deleted (`ip netns del`) just before the
 * first ip batch that moves a device into it or makes a veth end in it: a namespace that vanishes
 * half way through a plug.
 */
export function vanishing(x: Executors, victim: string): Executors {
  const touches = (ops: readonly IpOp[]) =>
    ops.some(
      (o) =>
        (o.op === 'link.set' && o.set.namespace === victim) ||
        (o.op === 'veth.add' && o.peerNamespace === victim),
    );
  let done = false;
  const before = async (ops: readonly IpOp[]) => {
    if (done || !touches(ops)) return;
    done = true;
    await closeIpBatches(namespaceName(victim));
    await run(['ip', 'netns', 'del', victim]);
  };
  const ip: IpExecutor = {
    ...x.ip,
    apply: async (ns, ops) => {
      await before(ops);
      return x.ip.apply(ns, ops);
    },
    settle: async (ns, ops) => {
      await before(ops);
      return x.ip.settle(ns, ops);
    },
  };
  return { ...x, ip };
}
