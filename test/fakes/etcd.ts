// A private etcd for tests (etcd's own integration framework, `tests/framework/integration`): one
// member on 127.0.0.1 with free ports and a fresh data directory, stopped by its PID; part of
// tenantnet/testing. `etcdctl` against it is the independent oracle for the store.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/exec/run.js';

/** Options of {@link EtcdSandbox.start}. */
export interface EtcdSandboxOptions {
  /** `--max-txn-ops` (default 1024, as the project recommends; etcd's own default is 128). */
  readonly maxTxnOps?: number;
  /** `--max-request-bytes` (default etcd's, 1572864). */
  readonly maxRequestBytes?: number;
  /** `--auto-compaction-retention` in revisions (default 10000). */
  readonly compactionRetention?: number;
  /** How long to wait for `/health` (default 10 s). */
  readonly startTimeoutMs?: number;
}

/** A free TCP port on 127.0.0.1 (bound, read, released; etcd takes it a moment later). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * One private etcd member for one test file: client and peer URLs on 127.0.0.1 with free ports (never
 * 2379/2380, so it cannot meet a system etcd), `--data-dir` in a fresh temporary directory (about 130
 * MB: etcd preallocates two 64 MB WAL files), `--auto-compaction-mode revision`, `--max-txn-ops 1024`,
 * warn-level logs to `etcd.log` in that directory. It is a child of the test process and is stopped by
 * its PID; the directory goes with it. Each test takes its own key prefix ({@link keyPrefix}) and the
 * leak check fails it when a key is left under that prefix.
 */
export class EtcdSandbox {
  private child: ChildProcess | null;
  private readonly prefixes = new Set<string>();

  private constructor(
    /** The temporary directory: `data/` and `etcd.log`. */
    readonly dir: string,
    /** The client port on 127.0.0.1. */
    readonly clientPort: number,
    /** The peer port on 127.0.0.1. */
    readonly peerPort: number,
    child: ChildProcess,
    /** The arguments it was started with (a restart uses them again, on the same data directory). */
    private readonly args: readonly string[] = [],
  ) {
    this.child = child;
  }

  /** The client URL etcd serves: `http://127.0.0.1:PORT`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  /** The store URL tenantnet takes: `etcd://127.0.0.1:PORT`. */
  get url(): string {
    return `etcd://127.0.0.1:${this.clientPort}`;
  }

  /** The PID of etcd while it runs, else null. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /**
   * Starts etcd and waits until `/health` says it is healthy (about 0.5 s). Ports that another
   * process takes between choosing and binding make etcd exit: it is tried again with new ports.
   *
   * @throws when etcd does not become healthy (its log is in the message)
   */
  static async start(options: EtcdSandboxOptions = {}): Promise<EtcdSandbox> {
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const dir = await mkdtemp(join(tmpdir(), 'tnetcd-'));
      const [clientPort, peerPort] = [await freePort(), await freePort()];
      const peer = `http://127.0.0.1:${peerPort}`;
      const client = `http://127.0.0.1:${clientPort}`;
      const argv = [
        '--name=tn',
        `--data-dir=${join(dir, 'data')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=tn=${peer}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=tn-${randomBytes(4).toString('hex')}`,
        '--auto-compaction-mode=revision',
        `--auto-compaction-retention=${options.compactionRetention ?? 10000}`,
        `--max-txn-ops=${options.maxTxnOps ?? 1024}`,
        ...(options.maxRequestBytes ? [`--max-request-bytes=${options.maxRequestBytes}`] : []),
        '--logger=zap',
        '--log-level=warn',
        `--log-outputs=${join(dir, 'etcd.log')}`,
      ];
      const child = spawn('etcd', argv, { stdio: 'ignore' });
      child.on('error', () => {});
      const sb = new EtcdSandbox(dir, clientPort, peerPort, child, argv);
      child.on('exit', () => {
        if (sb.child === child) sb.child = null;
      });
      try {
        await sb.waitHealthy(options.startTimeoutMs ?? 10_000);
        return sb;
      } catch (e) {
        last = new Error(`${(e as Error).message}\n${await sb.log()}`);
        await sb.stop();
      }
    }
    throw last;
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error('etcd sandbox: etcd exited while starting');
      const ok = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) })
        .then(async (r) => ((await r.json()) as { health?: string }).health === 'true')
        .catch(() => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`etcd sandbox: not healthy after ${timeoutMs} ms`);
  }

  /**
   * A key prefix for one test, `/t-<random>/`, remembered for the leak check. With a test context,
   * the test fails at its end when a key is left under the prefix (and the keys are removed).
   */
  keyPrefix(t?: { after(fn: () => Promise<void>): unknown }): string {
    const p = `/t-${randomBytes(5).toString('hex')}/`;
    this.prefixes.add(p);
    t?.after(async () => {
      const left = await this.keys(p);
      this.prefixes.delete(p);
      if (left.length > 0) {
        await this.etcdctl(['del', '--prefix', p]);
        throw new Error(`etcd sandbox: keys left under ${p}:\n  ${left.join('\n  ')}`);
      }
    });
    return p;
  }

  /**
   * Runs `etcdctl` (API v3) against this member.
   *
   * @returns its stdout
   */
  async etcdctl(args: readonly string[], input?: string): Promise<string> {
    const r = await run(['etcdctl', `--endpoints=${this.endpoint}`, '--command-timeout=5s', ...args], {
      env: { ETCDCTL_API: '3' },
      root: false,
      timeoutMs: 15_000,
      ...(input === undefined ? {} : { input }),
    });
    return r.stdout;
  }

  /** Every key under a prefix, sorted (`etcdctl get --prefix --keys-only`). */
  async keys(prefix: string): Promise<string[]> {
    const out = await this.etcdctl(['get', '--prefix', '--keys-only', prefix]);
    return out
      .split('\n')
      .filter((l) => l !== '')
      .sort();
  }

  /** The value of one key as text, or null (`etcdctl get --print-value-only`). */
  async get(key: string): Promise<string | null> {
    const out = await this.etcdctl(['get', '-w', 'json', key]);
    const kvs = (JSON.parse(out) as { kvs?: { value: string }[] }).kvs;
    return kvs?.[0] ? Buffer.from(kvs[0].value, 'base64').toString('utf8') : null;
  }

  /** Every key and value under a prefix with its mod revision (`etcdctl get --prefix -w json`). */
  async entries(prefix: string): Promise<{ key: string; value: string; modRevision: number }[]> {
    const out = await this.etcdctl(['get', '--prefix', '-w', 'json', prefix]);
    const kvs =
      (JSON.parse(out) as { kvs?: { key: string; value: string; mod_revision: number }[] }).kvs ?? [];
    const text = (b: string) => Buffer.from(b, 'base64').toString('utf8');
    return kvs.map((kv) => ({ key: text(kv.key), value: text(kv.value), modRevision: kv.mod_revision }));
  }

  /** The store's current revision (`etcdctl endpoint status -w json`). */
  async revision(): Promise<number> {
    const out = await this.etcdctl(['endpoint', 'status', '-w', 'json']);
    return (JSON.parse(out) as { Status: { header: { revision: number } } }[])[0]!.Status.header.revision;
  }

  /** Compacts history up to `revision` (default: the current one), physically. */
  async compact(revision?: number): Promise<void> {
    await this.etcdctl(['compaction', '--physical', String(revision ?? (await this.revision()))]);
  }

  /**
   * Stops etcd from answering (SIGSTOP): its socket stays open, requests hang. Resolves once every
   * thread of it is stopped (a signal to a busy multi-threaded process lands a moment later).
   */
  async freeze(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid) return;
    process.kill(pid, 'SIGSTOP');
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline) {
      const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
      const states = await Promise.all(
        tasks.map((t) => readFile(`/proc/${pid}/task/${t}/stat`, 'utf8').catch(() => '')),
      );
      // The state is the field after the command name in parentheses: T (stopped) or t (traced).
      if (states.every((st) => /\) [Tt] /.test(st))) return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`etcd sandbox: etcd (pid ${pid}) did not stop`);
  }

  /** Kills etcd with SIGKILL (a crash: nothing flushed beyond what it synced); resolves once it is gone. */
  async crash(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    });
    this.child = null;
  }

  /**
   * Starts etcd again on the same data directory and ports after {@link crash} (or a stop of the
   * process by other means), and waits until it is healthy.
   *
   * @throws when it does not become healthy (its log is in the message)
   */
  async restart(timeoutMs = 10_000): Promise<void> {
    if (this.child) throw new Error('etcd sandbox: etcd is running');
    const child = spawn('etcd', [...this.args], { stdio: 'ignore' });
    child.on('error', () => {});
    this.child = child;
    child.on('exit', () => {
      if (this.child === child) this.child = null;
    });
    try {
      await this.waitHealthy(timeoutMs);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await this.log()}`);
    }
  }

  /** Lets a frozen etcd go on (SIGCONT). */
  async thaw(): Promise<void> {
    if (this.child?.pid) process.kill(this.child.pid, 'SIGCONT');
  }

  /** The log (warnings and errors), for diagnosing a failure. */
  log(): Promise<string> {
    return readFile(join(this.dir, 'etcd.log'), 'utf8').catch(() => '');
  }

  /** Keys left under the prefixes handed out and not yet checked. */
  async findLeaks(): Promise<string[]> {
    if (!this.child) return [];
    const left: string[] = [];
    for (const p of this.prefixes) left.push(...(await this.keys(p).catch(() => [])));
    return left;
  }

  /**
   * Stops etcd by its PID (SIGCONT in case it was frozen, SIGTERM, SIGKILL after 3 s; reaped before
   * this resolves) and removes the directory. Idempotent.
   */
  async stop(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => c.kill('SIGKILL'), 3000);
        c.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        c.kill('SIGCONT');
        c.kill('SIGTERM');
      });
    }
    this.child = null;
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Leak check, then {@link stop}; throws listing the keys left (after cleaning up regardless). */
  async stopChecked(): Promise<void> {
    const leaks = await this.findLeaks();
    const pid = this.child?.pid;
    await this.stop();
    if (pid !== undefined && (await alive(pid))) leaks.push(`process ${pid} (etcd) still running`);
    if (leaks.length > 0) throw new Error(`etcd sandbox leaked:\n  ${leaks.join('\n  ')}`);
  }
}

/** True when a PID runs etcd (not a zombie, not another program that took the number). */
async function alive(pid: number): Promise<boolean> {
  const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmd.startsWith('etcd\0');
}

/**
 * Starts a private etcd for a test file and stops it (with the leak check) when the test (or suite)
 * ends: pass node:test's context, or anything with an `after(fn)`.
 */
export async function etcdSandbox(
  t: { after(fn: () => Promise<void>): unknown },
  options: EtcdSandboxOptions = {},
): Promise<EtcdSandbox> {
  const etcd = await EtcdSandbox.start(options);
  t.after(() => etcd.stopChecked());
  return etcd;
}
