// Helpers of the firewall's integration tests: a lab = a simulated host namespace (or the private
// OVS's namespace), a topology whose instances are sandbox namespaces plugged by the interface
// drivers (Linux bridge, or OVS hybrid) with static addresses, the firewall applied to it, and
// traffic probes (ping, TCP/UDP echo with a chosen source port, long-lived flows).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/exec/run.js';
import { type FirewallDesired, firewallFromModel } from '../../src/firewall/desired.js';
import { applyFirewall, removeFirewall } from '../../src/firewall/verbs.js';
import type { InterfaceDriver, PlugRequest } from '../../src/interface/driver.js';
import { LinuxBridgeInterfaceDriver } from '../../src/interface/linuxbridge.js';
import { OvsInterfaceDriver } from '../../src/interface/ovs.js';
import { closeIpBatches } from '../../src/ip/executor.js';
import type { ConntrackExecutor } from '../../src/iptables/conntrack.js';
import { kernelConntrackExecutor } from '../../src/iptables/conntrack.js';
import { countOps } from '../../src/iptables/diff.js';
import { type IptablesExecutor, kernelIptablesExecutor } from '../../src/iptables/executor.js';
import { type IpsetExecutor, kernelIpsetExecutor } from '../../src/iptables/ipset-executor.js';
import { buildModel, type Model, type TopologyInput } from '../../src/model/index.js';
import type { Instance, Port } from '../../src/model/types.js';
import { deviceName, type IpFamily, namespaceName } from '../../src/net/types.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { applyChanges, assertApplied } from '../../src/reconcile/apply.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { Observation } from '../../src/reconcile/observation.js';
import { realExecutors } from '../../src/reconcile/real-executors.js';
import type { Change } from '../../src/reconcile/step.js';
import type { PrivateOvs } from '../helpers/ovs-sandbox.js';
import type { Sandbox } from '../helpers/sandbox.js';

/** A topology as the tests write it: everything but its name and backend. */
export type LabInput = Omit<TopologyInput, 'name' | 'backend'>;

/** What one firewall apply sent, recorded at the executors. */
export interface Applied {
  /** State-changing operations the engine counted. */
  readonly operations: number;
  /** iptables-restore inputs per family, one after another. */
  readonly sent: Partial<Record<IpFamily, string>>;
  /** State-changing iptables lines. */
  readonly iptablesOps: number;
  /** ipset restore lines. */
  readonly ipsetOps: number;
  /** conntrack deletes. */
  readonly conntrack: number;
}

/** The real netfilter executors, recording what they are sent. */
class Recorder {
  restores: { family: IpFamily; input: string }[] = [];
  ipsetLines = 0;
  deletes = 0;
  readonly iptables: IptablesExecutor = {
    lock: (ns) => kernelIptablesExecutor.lock(ns),
    save: (ns, f) => kernelIptablesExecutor.save(ns, f),
    restore: async (ns, family, input) => {
      this.restores.push({ family, input });
      await kernelIptablesExecutor.restore(ns, family, input);
    },
  };
  readonly ipset: IpsetExecutor = {
    save: (ns, set) => kernelIpsetExecutor.save(ns, set),
    restore: async (ns, input) => {
      this.ipsetLines += input.split('\n').filter((l) => l !== '').length;
      await kernelIpsetExecutor.restore(ns, input);
    },
    destroy: (ns, set) => kernelIpsetExecutor.destroy(ns, set),
    listNames: (ns) => kernelIpsetExecutor.listNames(ns),
  };
  readonly conntrack: ConntrackExecutor = {
    delete: (ns, f) => {
      this.deletes++;
      return kernelConntrackExecutor.delete(ns, f);
    },
    list: (ns, f) => kernelConntrackExecutor.list(ns, f),
  };
}

/** Options of a {@link Lab}. */
export interface LabOptions {
  /** Plug with the OVS hybrid style on this private OVS (default: Linux bridge in a sandbox host). */
  readonly ovs?: PrivateOvs;
  /** Instances that get no static address (a DHCP client configures them). */
  readonly unaddressed?: readonly string[];
}

/** A simulated host with a topology's instances plugged and addressed. */
export class Lab {
  model!: Model;
  private readonly plugged = new Map<string, PlugRequest>();
  private readonly netPlanned = new Set<string>();
  private readonly spaces = new Map<string, string>();

  private constructor(
    readonly sb: Sandbox,
    readonly x: Executors,
    readonly host: string,
    private readonly driver: InterfaceDriver,
    private readonly opts: LabOptions,
    private readonly rec: Recorder,
  ) {}

  /** Makes the host, builds the model of `input` and plugs every instance. */
  static async create(sb: Sandbox, input: LabInput, opts: LabOptions = {}): Promise<Lab> {
    let host: string;
    let driver: InterfaceDriver;
    let bridge: string | null = null;
    if (opts.ovs) {
      host = opts.ovs.ovs.netns;
      bridge = opts.ovs.ovs.name(`i${sb.prefix.slice(-4)}`);
      driver = new OvsInterfaceDriver({ integrationBridge: bridge });
      await new OvsBridge(opts.ovs.sw, bridge).create({ datapathType: 'netdev', failMode: 'standalone' });
    } else {
      host = await sb.namespace('host');
      sb.defer(() => closeIpBatches(namespaceName(host)));
      driver = new LinuxBridgeInterfaceDriver();
    }
    const sw = opts.ovs?.sw ?? null;
    const stateDir = await mkdtemp(join(tmpdir(), `${sb.prefix}-state-`));
    sb.defer(() => rm(stateDir, { recursive: true, force: true }));
    const rec = new Recorder();
    const x: Executors = {
      ...realExecutors({ hostNamespace: host, stateDir }),
      iptables: rec.iptables,
      ipset: rec.ipset,
      conntrack: rec.conntrack,
      ovs: async () => sw,
    };
    const lab = new Lab(sb, x, host, driver, opts, rec);
    if (opts.ovs) {
      // The private OVS outlives the test: take away what the test made in its namespace.
      sb.defer(async () => {
        await lab.firewall(null);
        for (const req of lab.plugged.values()) {
          await applyChanges(driver.planUnplug(req, await driver.observePlug(new Observation(x), req)), x);
        }
        await opts.ovs?.sw.deleteBridge(bridge as string);
        // Unplugging read the instances' namespaces again: close those batches before they go.
        for (const ns of lab.spaces.values()) await closeIpBatches(namespaceName(ns));
      });
    }
    await lab.update(input);
    return lab;
  }

  /** Rebuilds the model from `input` (addresses and MACs kept) and plugs instances not plugged yet. */
  async update(input: LabInput): Promise<Model> {
    const previous = this.model ? JSON.parse(JSON.stringify(this.model)) : undefined;
    this.model = buildModel(
      { name: this.sb.prefix, backend: this.opts.ovs ? 'ovs' : 'linuxbridge', ...input },
      previous ? { previous } : {},
    );
    for (const inst of this.model.instances) {
      if (this.plugged.has(inst.name)) continue;
      await this.plug(inst);
    }
    return this.model;
  }

  private async plug(inst: Instance): Promise<void> {
    const network = this.model.networks.find((n) => n.name === inst.network)!;
    const ns = await this.sb.namespace(inst.name);
    this.sb.defer(() => closeIpBatches(namespaceName(ns)));
    this.spaces.set(inst.name, ns);
    const req: PlugRequest = {
      port: inst.port,
      network,
      device: deviceName('eth0'),
      namespace: namespaceName(ns),
      ...(this.opts.ovs ? { style: 'hybrid' as const } : {}),
    };
    const obs = new Observation(this.x);
    const changes: Change[] = [];
    if (!this.netPlanned.has(network.name)) {
      changes.push(...this.driver.planNetwork(network, await this.driver.observeNetwork(obs, network)));
      this.netPlanned.add(network.name);
    }
    changes.push(...this.driver.planPlug(req, await this.driver.observePlug(obs, req)));
    assertApplied(await applyChanges(changes, this.x));
    this.plugged.set(inst.name, req);
    if (this.opts.unaddressed?.includes(inst.name)) return;
    for (const f of inst.port.fixedIps) {
      const subnet = network.subnets.find((s) => s.name === f.subnet)!;
      const nodad = f.address.includes(':') ? ['nodad'] : [];
      await run([
        'ip',
        '-n',
        ns,
        'addr',
        'add',
        `${f.address}/${subnet.prefixLength}`,
        'dev',
        'eth0',
        ...nodad,
      ]);
    }
  }

  /**
   * Plugs a port of the model that is not an instance's (the network's DHCP port) into a new sandbox
   * namespace `name` as `eth0`, with its addresses. Returns the namespace.
   */
  async plugPort(port: Port, name: string): Promise<string> {
    const network = this.model.networks.find((n) => n.name === port.network)!;
    const ns = await this.sb.namespace(name);
    this.sb.defer(() => closeIpBatches(namespaceName(ns)));
    const req: PlugRequest = {
      port,
      network,
      device: deviceName('eth0'),
      namespace: namespaceName(ns),
      ...(this.opts.ovs ? { style: 'hybrid' as const } : {}),
    };
    const obs = new Observation(this.x);
    assertApplied(
      await applyChanges(this.driver.planPlug(req, await this.driver.observePlug(obs, req)), this.x),
    );
    this.plugged.set(`port:${port.name}`, req);
    for (const f of port.fixedIps) {
      const subnet = network.subnets.find((s) => s.name === f.subnet)!;
      await run(['ip', '-n', ns, 'addr', 'add', `${f.address}/${subnet.prefixLength}`, 'dev', 'eth0']);
    }
    return ns;
  }

  /** The namespace of an instance. */
  ns(name: string): string {
    return this.spaces.get(name) as string;
  }

  /** An instance's first IPv4 address. */
  ip(name: string): string {
    const inst = this.model.instances.find((i) => i.name === name)!;
    return inst.port.fixedIps.find((f) => !f.address.includes(':'))!.address;
  }

  /** The desired firewall of the current model. */
  desired(ipset?: boolean): FirewallDesired {
    return firewallFromModel(this.model, ipset === undefined ? {} : { ipset });
  }

  /** Applies the firewall through the engine (null: removes it); what was planned and sent. */
  async firewall(desired: FirewallDesired | null): Promise<{ changes: readonly Change[]; applied: Applied }> {
    const r0 = this.rec.restores.length;
    const i0 = this.rec.ipsetLines;
    const c0 = this.rec.deletes;
    const out =
      desired === null
        ? await removeFirewall(this.model.topology, { executors: this.x })
        : await applyFirewall(desired, { executors: this.x });
    const mine = this.rec.restores.slice(r0);
    const sent: Partial<Record<IpFamily, string>> = {};
    for (const r of mine) sent[r.family] = (sent[r.family] ?? '') + r.input;
    return {
      changes: out.planned,
      applied: {
        operations: out.operations,
        sent,
        iptablesOps: mine.reduce((n, r) => n + countOps(r.input), 0),
        ipsetOps: this.rec.ipsetLines - i0,
        conntrack: this.rec.deletes - c0,
      },
    };
  }

  /** The host's iptables-save of a family. */
  async save(family: 4 | 6 = 4): Promise<string> {
    return (await run([family === 4 ? 'iptables-save' : 'ip6tables-save'], { namespace: this.host })).stdout;
  }
}

/** True when a TCP or UDP echo comes back from `to:port`, optionally from source port `sport`. */
export async function echo(
  ns: string,
  proto: 'TCP' | 'UDP',
  to: string,
  port: number,
  sport?: number,
): Promise<boolean> {
  const src = sport === undefined ? '' : `,sourceport=${sport},reuseaddr`;
  const target = proto === 'TCP' ? `TCP:${to}:${port},connect-timeout=1${src}` : `UDP:${to}:${port}${src}`;
  const r = await run(['socat', '-T1', '-', target], {
    namespace: ns,
    input: 'probe\n',
    check: false,
    timeoutMs: 5000,
  });
  return r.stdout.includes('probe');
}

/** Starts a long-running process in a namespace; it (and its children) are killed at teardown. */
export async function background(sb: Sandbox, ns: string, argv: readonly string[]): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  sb.defer(async () => {
    const exited =
      child.exitCode === null && child.signalCode === null ? once(child, 'exit') : Promise.resolve();
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {}
    await exited;
  });
  return child;
}

/** Starts socat echo servers (TCP and UDP) on each port in a namespace, and waits for them to listen. */
export async function echoServers(sb: Sandbox, ns: string, ports: readonly number[]): Promise<void> {
  for (const p of ports) {
    await background(sb, ns, ['socat', `TCP-LISTEN:${p},reuseaddr,fork`, 'PIPE']);
    await background(sb, ns, ['socat', `UDP-RECVFROM:${p},reuseaddr,fork`, 'PIPE']);
  }
  await new Promise((r) => setTimeout(r, 200));
}

/**
 * A long-lived TCP flow: a client that connects once and then echoes a line every 100 ms, printing
 * one timestamp (ms since epoch) per echo that came back within 500 ms. Read the times with
 * {@link FlowProbe.times}.
 */
export interface FlowProbe {
  /** Times of successful echoes so far. */
  times(): number[];
}

const FLOW_CLIENT = `
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
s.settimeout(0.5)
while True:
    try:
        s.sendall(b'x\\n')
        if s.recv(16):
            print(int(time.time() * 1000), flush=True)
    except OSError:
        pass
    time.sleep(0.1)
`;

/** Starts a {@link FlowProbe} from `ns` to `to:port` and waits for its first echo. */
export async function flow(sb: Sandbox, ns: string, to: string, port: number): Promise<FlowProbe> {
  const child = await background(sb, ns, ['/usr/bin/python3', '-c', FLOW_CLIENT, to, String(port)]);
  const times: number[] = [];
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') times.push(Number(l));
  });
  const deadline = Date.now() + 5000;
  while (times.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (times.length === 0) throw new Error(`flow to ${to}:${port} never echoed`);
  return { times: () => [...times] };
}

/** A continuous ping (every 200 ms) whose replies are timestamped; see {@link FlowProbe}. */
export async function pings(sb: Sandbox, ns: string, to: string): Promise<FlowProbe> {
  const child = await background(sb, ns, ['ping', '-n', '-D', '-i', '0.2', '-W', '1', to]);
  const times: number[] = [];
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^\[(\d+\.\d+)\] \d+ bytes from/.exec(l);
      if (m) times.push(Math.round(Number(m[1]) * 1000));
    }
  });
  const deadline = Date.now() + 5000;
  while (times.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (times.length === 0) throw new Error(`ping to ${to} never answered`);
  return { times: () => [...times] };
}

/**
 * A probe that is expected to succeed, tried up to `tries` times: on a loaded machine a first packet
 * can be late (a fresh link, ARP); a firewall that blocks still fails every time.
 */
export async function eventually(probe: () => Promise<boolean>, tries = 3): Promise<boolean> {
  for (let i = 0; i < tries; i++) if (await probe()) return true;
  return false;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
