// A private Open vSwitch for tests (ovsdbapp's backend/ovs_idl/fixtures): its own ovsdb-server and
// ovs-vswitchd in a temporary directory and network namespace; part of tenantnet/testing.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/exec/run.js';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** Does a unix socket accept a connection now? (Closed again at once.) */
function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * A private Open vSwitch for one test file: its own ovsdb-server (database, socket, pidfile, unixctl
 * and log in a temporary directory) and its own ovs-vswitchd, which runs inside its own network
 * namespace. The namespace is needed because every userspace (`netdev`) datapath opens a tap
 * device called `ovs-netdev`: a second vswitchd in the same namespace fails with "Device or resource
 * busy", so two test files could not run at once. Bridge and internal-port taps also land in that
 * namespace, never in the root one, and vanish with it.
 *
 * Both daemons are children of the test process (no `--detach`), so stopping reaps them at once and
 * no zombie holds the socket. Names a test gives bridges and ports start with {@link prefix}; the
 * leak check fails when a bridge, port or device with the prefix is left.
 */
export class OvsSandbox {
  /** `o` + 5 base-36 characters; starts every bridge and port name the tests make. */
  readonly prefix: string;
  /** Run directory: conf.db, db.sock, pidfiles, unixctl sockets, logs, `BR.mgmt`. */
  readonly dir: string;
  /** The namespace ovs-vswitchd runs in (holds `ovs-netdev` and the bridge/internal-port taps). */
  readonly netns: string;
  private server: ChildProcess | null = null;
  private vswitchd: ChildProcess | null = null;

  private constructor(prefix: string, dir: string) {
    this.prefix = prefix;
    this.dir = dir;
    this.netns = `tnovs-${prefix}`;
  }

  /** ovsdb-server's socket path. */
  get socketPath(): string {
    return join(this.dir, 'db.sock');
  }

  /** Environment that points `ovs-vsctl`/`ovs-ofctl`/`ovs-appctl` (and tenantnet's flows) here. */
  get env(): Record<string, string> {
    return { OVS_RUNDIR: this.dir, OVS_LOGDIR: this.dir, OVS_DBDIR: this.dir };
  }

  /** A bridge or port name carrying the prefix; fails when longer than 15 characters. */
  name(suffix: string): string {
    const n = `${this.prefix}${suffix}`;
    if (n.length > 15) throw new Error(`ovs sandbox: name "${n}" is longer than 15 characters`);
    return n;
  }

  /** Starts both daemons and waits until vswitchd has applied a configuration. */
  static async start(): Promise<OvsSandbox> {
    const prefix = `o${BigInt(`0x${randomBytes(4).toString('hex')}`)
      .toString(36)
      .padStart(5, '0')
      .slice(-5)}`;
    const dir = await mkdtemp(join(tmpdir(), 'tnovs-'));
    const sb = new OvsSandbox(prefix, dir);
    try {
      await run(['ovsdb-tool', 'create', join(dir, 'conf.db'), SCHEMA]);
      await sb.startServer();
      await sb.vsctl(['--no-wait', 'init']);
      await run(['ip', 'netns', 'add', sb.netns]);
      await run(['ip', '-n', sb.netns, 'link', 'set', 'lo', 'up']);
      sb.vswitchd = sb.spawnDaemon('ovs-vswitchd', [
        'ip',
        'netns',
        'exec',
        sb.netns,
        'ovs-vswitchd',
        `unix:${sb.socketPath}`,
        ...sb.daemonArgs('ovs-vswitchd'),
      ]);
      // A change makes vswitchd bump cur_cfg; ovs-vsctl waits for it, so this returns once it is up.
      await sb.vsctl(['set', 'Open_vSwitch', '.', `external_ids:tenantnet-sandbox=${dir}`]);
    } catch (e) {
      await sb.stop().catch(() => {});
      throw e;
    }
    return sb;
  }

  private daemonArgs(name: string): string[] {
    const d = this.dir;
    return [
      `--pidfile=${d}/${name}.pid`,
      `--unixctl=${d}/${name}.ctl`,
      `--log-file=${d}/${name}.log`,
      '--no-chdir',
    ];
  }

  private spawnDaemon(name: string, argv: string[]): ChildProcess {
    const [cmd, ...args] = argv as [string, ...string[]];
    const child = spawn(cmd, args, { env: { ...process.env, ...this.env }, stdio: 'ignore' });
    child.on('error', () => {});
    child.on('exit', () => {
      if (this.server === child) this.server = null;
      if (this.vswitchd === child) this.vswitchd = null;
    });
    void name;
    return child;
  }

  private async startServer(): Promise<void> {
    this.server = this.spawnDaemon('ovsdb-server', [
      'ovsdb-server',
      join(this.dir, 'conf.db'),
      `--remote=punix:${this.socketPath}`,
      ...this.daemonArgs('ovsdb-server'),
    ]);
    // The socket file appears at bind(), a moment before listen(): until then a client is refused
    // (seen under load). Ready means a connection is accepted, not that the file exists.
    const deadline = Date.now() + 10_000;
    while (!(existsSync(this.socketPath) && (await accepts(this.socketPath)))) {
      if (Date.now() > deadline) throw new Error(`ovs sandbox: ovsdb-server did not open ${this.socketPath}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Kills ovsdb-server (SIGKILL) and starts it again on the same database (for reconnect tests). */
  async restartServer(downMs = 100): Promise<void> {
    if (this.server) await stopChild(this.server, 'SIGKILL');
    await rm(this.socketPath, { force: true });
    await new Promise((r) => setTimeout(r, downMs));
    await this.startServer();
  }

  /** Runs `ovs-vsctl` against this sandbox (waits for vswitchd unless `--no-wait` is given). */
  async vsctl(args: readonly string[]): Promise<string> {
    const r = await run(['ovs-vsctl', `--db=unix:${this.socketPath}`, '--timeout=10', ...args], {
      env: this.env,
    });
    return r.stdout;
  }

  /** `ovs-vsctl --format=json list TABLE [records]` as objects with decoded-to-plain-JSON cells. */
  async list(table: string, ...records: string[]): Promise<Record<string, unknown>[]> {
    const out = JSON.parse(await this.vsctl(['--format=json', 'list', table, ...records])) as {
      headings: string[];
      data: unknown[][];
    };
    return out.data.map((row) => Object.fromEntries(out.headings.map((h, i) => [h, plain(row[i])])));
  }

  /** Runs `ovs-ofctl` against this sandbox's bridges. */
  async ofctl(args: readonly string[], input?: string): Promise<string> {
    const r = await run(['ovs-ofctl', ...args], { env: this.env, ...(input ? { input } : {}) });
    return r.stdout;
  }

  /** Runs `ovs-appctl` against this sandbox's ovs-vswitchd (e.g. `revalidator/wait`). */
  async appctl(args: readonly string[]): Promise<string> {
    const r = await run(['ovs-appctl', '-t', join(this.dir, 'ovs-vswitchd.ctl'), ...args], { env: this.env });
    return r.stdout;
  }

  /** Moves a device (an internal port's tap) from vswitchd's namespace into `ns`. */
  async moveToNamespace(dev: string, ns: string): Promise<void> {
    await run(['ip', '-n', this.netns, 'link', 'set', dev, 'netns', ns]);
  }

  /** Bridges, ports, interfaces and devices carrying the prefix that still exist. */
  async findLeaks(): Promise<string[]> {
    const leaks: string[] = [];
    if (this.server) {
      for (const table of ['Bridge', 'Port', 'Interface']) {
        for (const row of await this.list(table).catch(() => [])) {
          if (String(row.name).startsWith(this.prefix)) leaks.push(`${table} ${row.name}`);
        }
      }
    }
    for (const ns of [[], ['-n', this.netns]]) {
      const r = await run(['ip', ...ns, '-o', 'link', 'show'], { check: false });
      for (const line of r.stdout.split('\n')) {
        const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
        if (name?.startsWith(this.prefix)) leaks.push(`device ${name} in ${ns[1] ?? 'the root namespace'}`);
      }
    }
    return leaks;
  }

  /**
   * Stops both daemons (SIGTERM, then SIGKILL after 3 s; each is reaped before this resolves),
   * deletes vswitchd's namespace and the run directory. Idempotent.
   */
  async stop(): Promise<void> {
    await Promise.all([this.vswitchd, this.server].map((c) => (c ? stopChild(c, 'SIGTERM') : undefined)));
    await run(['ip', 'netns', 'del', this.netns], { check: false });
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Leak check, then {@link stop}; throws listing the leaks (after cleaning up regardless). */
  async stopChecked(): Promise<void> {
    const leaks = await this.findLeaks();
    await this.stop();
    if (leaks.length > 0) throw new Error(`ovs sandbox ${this.prefix} leaked:\n  ${leaks.join('\n  ')}`);
  }

  /** Pids of the two daemons while they run (for the harness's own test). */
  get pids(): number[] {
    return [this.server?.pid, this.vswitchd?.pid].filter((p): p is number => p !== undefined);
  }

  /** The log of a daemon, for diagnosing a failure. */
  log(name: 'ovsdb-server' | 'ovs-vswitchd'): Promise<string> {
    return readFile(join(this.dir, `${name}.log`), 'utf8').catch(() => '');
  }
}

function stopChild(c: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => c.kill('SIGKILL'), 3000);
    c.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    c.kill(signal);
  });
}

/** An `ovs-vsctl --format=json` cell as plain JSON: sets → arrays, maps → objects, uuids → text. */
export function plain(cell: unknown): unknown {
  if (Array.isArray(cell) && cell.length === 2) {
    const [tag, v] = cell as [unknown, unknown];
    if (tag === 'uuid' || tag === 'named-uuid') return v;
    if (tag === 'set' && Array.isArray(v)) return v.map(plain);
    if (tag === 'map' && Array.isArray(v)) {
      return Object.fromEntries((v as [unknown, unknown][]).map(([k, x]) => [String(plain(k)), plain(x)]));
    }
  }
  return cell;
}

/**
 * Starts a private OVS for one test and stops it (with the leak check) when the test ends: pass
 * node:test's test context, or anything with an `after(fn)` that runs `fn` at the end of the test.
 * Needs root.
 */
export async function ovsSandbox(t: { after(fn: () => Promise<void>): unknown }): Promise<OvsSandbox> {
  const ovs = await OvsSandbox.start();
  t.after(() => ovs.stopChecked());
  return ovs;
}
