// Simulated hosts on one kernel (part of tenantnet/testing): an underlay namespace holding a Linux
// bridge, N host namespaces each wired to it with a veth and a VTEP address that exists only inside
// them, a private etcd, and one real `tenantnet agent` PROCESS per host (`--host-netns`, its own
// `--netns-prefix`, `--state-dir` and the fabric's key prefix). Everything carries the fabric's
// prefix and goes at `stop()`, which reports anything left. The OVN/Neutron equivalent is a
// multi-node devstack; here it is namespaces.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunResult, run } from '../../src/exec/run.js';
import { EtcdSandbox } from './etcd.js';

/** Options of {@link Fabric.start}. */
export interface FabricOptions {
  /** How many hosts (1-9, default 3): `h1`…`hN`, VTEPs 10.254.0.11… */
  readonly hosts?: number;
  /** Start the agents at once (default true). */
  readonly agents?: boolean;
  /** `--lease-ttl` of the agents (default 15). */
  readonly leaseTtl?: number;
  /** `--resync-interval` of the agents in seconds (default 30). */
  readonly resyncInterval?: number;
  /** The underlay MTU (default 1500). */
  readonly mtu?: number;
  /** An etcd to share (its owner stops it); default: a private one, stopped with the fabric. */
  readonly etcd?: EtcdSandbox;
  /** More `tenantnet` options for every agent (`--log-level debug`). */
  readonly agentArgs?: readonly string[];
  /** How to run the tenantnet command (default {@link tenantnetArgv}: the sources under tsx, or the build). */
  readonly command?: readonly string[];
  /** The prefix of every name (default: `t` + 5 random characters, a test sandbox's shape). */
  readonly prefix?: string;
}

/** One simulated host. */
export interface FabricHost {
  /** `h1`… */
  readonly name: string;
  /** The namespace standing for the host: `<prefix>h1`. */
  readonly netns: string;
  /** The prefix of the namespaces its agent derives: `<prefix>h1-`. */
  readonly netnsPrefix: string;
  readonly vtep: string;
  readonly stateDir: string;
  /** The agent's log file. */
  readonly log: string;
}

/** One run of the tenantnet command. */
export interface FabricRun extends RunResult {
  /** stdout as JSON. */
  json<T = Record<string, unknown>>(): T;
}

const MAIN_TS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const MAIN_JS = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');

/** How to run the tenantnet command from here (the sources under tsx, or the built package). */
export function tenantnetArgv(): string[] {
  return existsSync(MAIN_TS) ? [process.execPath, '--import', 'tsx', MAIN_TS] : [process.execPath, MAIN_JS];
}

async function cmdline(pid: number): Promise<string> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.split('\0').join(' ').trim();
}

/** PIDs (not this process) whose command line carries `text`. */
async function processesWith(text: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const d of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(d);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmd = await cmdline(pid);
    if (cmd.includes(text)) out.set(pid, cmd);
  }
  return out;
}

async function namespacesWith(prefix: string): Promise<string[]> {
  return (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(prefix));
}

/**
 * Simulated hosts for one test (see the file header). `Fabric.start()`, then `fabric.cli([...])` for
 * store verbs, `fabric.exec(ns, argv)` in any of its namespaces, and `fabric.stop()` at the end.
 */
export class Fabric {
  private readonly agents = new Map<string, ChildProcess>();
  private stopped = false;

  private constructor(
    /** The prefix of every namespace and process argument the fabric makes. */
    readonly prefix: string,
    /** The underlay namespace (`<prefix>ul`) holding the bridge `br-ul`. */
    readonly underlay: string,
    readonly hosts: readonly FabricHost[],
    readonly etcd: EtcdSandbox,
    private readonly ownsEtcd: boolean,
    /** The key prefix of the fabric in the store: `/t-<prefix>/`. */
    readonly storePrefix: string,
    readonly dir: string,
    private readonly options: FabricOptions,
  ) {}

  /**
   * Builds the fabric: underlay, hosts, etcd, and (unless `agents: false`) one agent per host, each
   * registered in the store before this resolves.
   *
   * @throws when a step fails (what was made is removed first)
   */
  static async start(options: FabricOptions = {}): Promise<Fabric> {
    const n = options.hosts ?? 3;
    if (!Number.isInteger(n) || n < 1 || n > 9) throw new Error(`fabric: hosts must be 1-9, not ${n}`);
    const prefix =
      options.prefix ??
      `t${BigInt(`0x${randomBytes(4).toString('hex')}`)
        .toString(36)
        .padStart(5, '0')
        .slice(-5)}`;
    const dir = await mkdtemp(join(tmpdir(), `tn-fabric-${prefix}-`));
    await chmod(dir, 0o755); // dnsmasq runs as nobody and must reach its files
    const etcd = options.etcd ?? (await EtcdSandbox.start());
    const hosts: FabricHost[] = Array.from({ length: n }, (_, i) => ({
      name: `h${i + 1}`,
      netns: `${prefix}h${i + 1}`,
      netnsPrefix: `${prefix}h${i + 1}-`,
      vtep: `10.254.0.${11 + i}`,
      stateDir: join(dir, `h${i + 1}`),
      log: join(dir, `h${i + 1}.log`),
    }));
    const f = new Fabric(prefix, `${prefix}ul`, hosts, etcd, !options.etcd, `/t-${prefix}/`, dir, options);
    try {
      await f.wire(options.mtu ?? 1500);
      if (options.agents !== false) await Promise.all(hosts.map((h) => f.startAgent(h.name)));
    } catch (e) {
      await f.stop().catch(() => {});
      throw e;
    }
    return f;
  }

  private async wire(mtu: number): Promise<void> {
    const ul = this.underlay;
    await run(['ip', 'netns', 'add', ul]);
    await run(['ip', '-n', ul, 'link', 'set', 'lo', 'up']);
    await run(['ip', '-n', ul, 'link', 'add', 'br-ul', 'mtu', String(mtu), 'type', 'bridge']);
    await run(['ip', '-n', ul, 'link', 'set', 'br-ul', 'up']);
    for (const h of this.hosts) {
      await run(['ip', 'netns', 'add', h.netns]);
      await run(['ip', '-n', h.netns, 'link', 'set', 'lo', 'up']);
      await run([
        'ip',
        '-n',
        ul,
        'link',
        'add',
        h.name,
        'mtu',
        String(mtu),
        'type',
        'veth',
        'peer',
        'name',
        'ul0',
        'mtu',
        String(mtu),
        'netns',
        h.netns,
      ]);
      await run(['ip', '-n', ul, 'link', 'set', h.name, 'master', 'br-ul', 'up']);
      await run(['ip', '-n', h.netns, 'addr', 'add', `${h.vtep}/24`, 'dev', 'ul0']);
      await run(['ip', '-n', h.netns, 'link', 'set', 'ul0', 'up']);
    }
  }

  /** A host by name. */
  host(name: string): FabricHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`fabric: no host ${name}`);
    return h;
  }

  /** The store options every store verb takes. */
  get storeArgs(): string[] {
    return ['--store', this.etcd.url, '--store-prefix', this.storePrefix];
  }

  /** The global options that point the tenantnet command at a host. */
  hostArgs(name: string): string[] {
    const h = this.host(name);
    return ['--state-dir', h.stateDir, '--host-netns', h.netns, '--netns-prefix', h.netnsPrefix];
  }

  /** The agent process of a host (null when not running). */
  agentPid(name: string): number | null {
    const c = this.agents.get(name);
    return c && c.exitCode === null && c.signalCode === null ? (c.pid ?? null) : null;
  }

  /**
   * Starts a host's agent (a real process) and waits until its record is in the store.
   *
   * @param extra more `tenantnet agent` options
   */
  async startAgent(name: string, extra: readonly string[] = []): Promise<number> {
    const h = this.host(name);
    if (this.agentPid(name) !== null) throw new Error(`fabric: the agent of ${name} runs already`);
    const fd = openSync(h.log, 'a');
    const [cmd, ...args] = (this.options.command ?? tenantnetArgv()) as [string, ...string[]];
    const child = spawn(
      cmd,
      [
        ...args,
        ...this.hostArgs(name),
        '--json',
        'agent',
        '--host',
        h.name,
        '--vtep',
        h.vtep,
        ...this.storeArgs,
        '--lease-ttl',
        String(this.options.leaseTtl ?? 15),
        '--resync-interval',
        String(this.options.resyncInterval ?? 30),
        ...(this.options.agentArgs ?? []),
        ...extra,
      ],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    child.on('error', () => {});
    this.agents.set(name, child);
    const key = `${this.storePrefix}hosts/${h.name}/agent`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `fabric: the agent of ${name} exited (${child.exitCode ?? child.signalCode}):\n${await this.agentLog(name)}`,
        );
      }
      const v = await this.etcd.get(key).catch(() => null);
      // This process's record (a restart within the TTL finds the last one's still there).
      if (v?.includes(`"pid":${child.pid},`) && /"state":"(ready|degraded)"/.test(v ?? '')) {
        return child.pid!;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `fabric: the agent of ${name} did not become ready in 30 s:\n${await this.agentLog(name)}`,
    );
  }

  /**
   * Stops a host's agent by its PID: `signal` (default SIGTERM, which keeps the lease), SIGKILL
   * after 5 s. Resolves when it has exited.
   */
  async stopAgent(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.agents.get(name);
    this.agents.delete(name);
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      c.kill('SIGCONT');
      c.kill(signal);
    });
  }

  /** The last lines of a host's agent log. */
  async agentLog(name: string, lines = 40): Promise<string> {
    const text = await readFile(this.host(name).log, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /**
   * Runs `tenantnet ARGS… --store URL --store-prefix P` (the store verbs), not checked.
   *
   * @param args the verb and its arguments
   */
  async cli(args: readonly string[], opts: { timeoutMs?: number; host?: string } = {}): Promise<FabricRun> {
    const r = await run(
      [
        ...(this.options.command ?? tenantnetArgv()),
        ...(opts.host ? this.hostArgs(opts.host) : []),
        ...args,
        ...this.storeArgs,
      ],
      { check: false, timeoutMs: opts.timeoutMs ?? 60_000 },
    );
    return { ...r, json: <T>() => JSON.parse(r.stdout) as T };
  }

  /** The namespace of an instance on a host. */
  instanceNs(host: string, topology: string, instance: string): string {
    return `${this.host(host).netnsPrefix}vm-${topology}.${instance}`;
  }

  /** Runs a command in one of the fabric's namespaces, not checked. */
  exec(netns: string, argv: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
    if (!netns.startsWith(this.prefix))
      throw new Error(`fabric: ${netns} is not one of the fabric's namespaces`);
    return run(argv, { namespace: netns, check: false, timeoutMs });
  }

  /**
   * Tears everything down: agents by PID (TERM, then KILL), any process still carrying the prefix
   * (dnsmasq, probes), every namespace with the prefix, the keys under the store prefix, etcd when
   * the fabric started it, the temporary directory.
   *
   * @returns what was still there after teardown (empty when nothing leaked)
   */
  async stop(): Promise<string[]> {
    if (this.stopped) return [];
    this.stopped = true;
    await Promise.all([...this.agents.keys()].map((h) => this.stopAgent(h)));
    const leaks: string[] = [];
    // What stopped agents leave on purpose (fail static: the dataplane keeps serving) goes now; any
    // other process of the fabric's (an agent's helper that outlived it) is a leak.
    for (const [pid, cmd] of await processesWith(this.prefix)) {
      if (!/^(dnsmasq|busybox udhcpc|socat) /.test(cmd))
        leaks.push(`process ${pid} outlived its agent: ${cmd}`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    // Instance, router and DHCP namespaces first, then hosts and the underlay.
    const all = await namespacesWith(this.prefix);
    const order = [...all.filter((n) => n.includes('-')), ...all.filter((n) => !n.includes('-'))];
    for (const ns of order) await run(['ip', 'netns', 'del', ns], { check: false });
    await this.etcd.etcdctl(['del', '--prefix', this.storePrefix]).catch(() => '');
    await new Promise((r) => setTimeout(r, 200));
    for (const ns of await namespacesWith(this.prefix)) leaks.push(`namespace ${ns}`);
    for (const [pid, cmd] of await processesWith(this.prefix)) leaks.push(`process ${pid}: ${cmd}`);
    if (this.ownsEtcd) await this.etcd.stop();
    await rm(this.dir, { recursive: true, force: true });
    return leaks;
  }

  /** {@link stop}, then throws when anything was left (the leak check of a test). */
  async stopChecked(): Promise<void> {
    const leaks = await this.stop();
    if (leaks.length > 0) throw new Error(`fabric ${this.prefix} leaked:\n  ${leaks.join('\n  ')}`);
  }
}

/**
 * Starts a fabric for a test file and stops it (with the leak check) when the test or suite ends.
 */
export async function fabric(
  t: { after(fn: () => Promise<void>): unknown },
  options: FabricOptions = {},
): Promise<Fabric> {
  const f = await Fabric.start(options);
  t.after(() => f.stopChecked());
  return f;
}
