// The per-test namespace sandbox: a unique prefix, teardown, and a leak check that fails the test.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { TestContext } from 'node:test';
import { run } from '../../src/exec/run.js';

/** Something carrying a sandbox's prefix that was still there after teardown. */
export interface Leak {
  readonly kind: 'namespace' | 'link' | 'process' | 'iptables' | 'ipset';
  readonly what: string;
}

/**
 * A per-test namespace sandbox. Every name it hands out starts with a unique prefix; teardown deletes
 * what was made through it, then a leak check fails the test if anything with the prefix remains
 * anywhere (namespaces, links in any namespace, processes, root-namespace iptables chains and ipsets)
 * and removes it so the machine stays clean.
 */
export class Sandbox {
  /** Unique per sandbox: `t` + 5 base-36 characters. */
  readonly prefix: string;
  private readonly made: string[] = [];
  private readonly cleanups: (() => Promise<unknown>)[] = [];

  constructor(prefix?: string) {
    this.prefix =
      prefix ??
      `t${BigInt(`0x${randomBytes(4).toString('hex')}`)
        .toString(36)
        .padStart(5, '0')
        .slice(-5)}`;
  }

  /** A namespace name carrying the prefix (not created). */
  ns(name: string): string {
    return `${this.prefix}-${name}`;
  }

  /** A device name carrying the prefix (not created); fails the test if it would exceed 15 characters. */
  dev(name: string): string {
    const d = `${this.prefix}${name}`;
    if (d.length > 15) throw new Error(`sandbox: device name "${d}" is longer than 15 characters`);
    return d;
  }

  /** Creates a namespace with `lo` up and tracks it for teardown. */
  async namespace(name: string): Promise<string> {
    const ns = this.ns(name);
    await run(['ip', 'netns', 'add', ns]);
    this.made.push(ns);
    await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Creates `n` namespaces named `<prefix>-0` … `<prefix>-(n-1)`. */
  async namespaces(n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await this.namespace(String(i)));
    return out;
  }

  /**
   * Joins two namespaces with a veth pair (`<prefix>a<i>` / `<prefix>b<i>`), gives each end an
   * IPv4 address from `cidrA`/`cidrB` and brings both up. Test scaffolding, done with plain `ip`.
   */
  async link(nsA: string, cidrA: string, nsB: string, cidrB: string, tag = '0'): Promise<[string, string]> {
    const a = this.dev(`a${tag}`);
    const b = this.dev(`b${tag}`);
    await run(['ip', '-n', nsA, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
    await run(['ip', '-n', nsA, 'addr', 'add', cidrA, 'dev', a]);
    await run(['ip', '-n', nsB, 'addr', 'add', cidrB, 'dev', b]);
    await run(['ip', '-n', nsA, 'link', 'set', a, 'up']);
    await run(['ip', '-n', nsB, 'link', 'set', b, 'up']);
    return [a, b];
  }

  /** Runs a command inside a namespace. */
  exec(ns: string, argv: readonly string[], opts: { timeoutMs?: number; check?: boolean } = {}) {
    return run(argv, { namespace: ns, ...opts });
  }

  /** True when `count` pings from `ns` to `ip` all get a reply (1 s wait each). */
  async ping(ns: string, ip: string, count = 1): Promise<boolean> {
    const r = await run(['ping', '-n', '-q', '-c', String(count), '-W', '1', '-i', '0.2', ip], {
      namespace: ns,
      check: false,
      timeoutMs: 5000 + count * 1500,
    });
    return r.exitCode === 0;
  }

  /** Registers extra teardown work (run before namespaces are deleted, last registered first). */
  defer(fn: () => Promise<unknown>): void {
    this.cleanups.push(fn);
  }

  /** Deletes what was made through the sandbox. Processes still inside its namespaces are reported as leaks. */
  async teardown(): Promise<Leak[]> {
    const leaks: Leak[] = [];
    for (const fn of this.cleanups.splice(0).reverse()) await fn().catch(() => {});
    for (const ns of this.made.splice(0)) {
      for (const pid of await lingering(ns)) {
        leaks.push({ kind: 'process', what: `pid ${pid} in namespace ${ns}: ${await cmdline(pid)}` });
        await run(['kill', '-9', String(pid)], { check: false });
      }
      await run(['ip', 'netns', 'del', ns], { check: false });
    }
    return leaks;
  }

  /** Everything on the machine that carries this sandbox's prefix. */
  async findLeaks(): Promise<Leak[]> {
    const p = this.prefix;
    const leaks: Leak[] = [];
    const namespaces = await listNamespaces();
    for (const ns of namespaces) if (ns.startsWith(p)) leaks.push({ kind: 'namespace', what: ns });
    for (const ns of [null, ...namespaces]) {
      const r = await run(['ip', ...(ns ? ['-n', ns] : []), '-o', 'link', 'show'], { check: false });
      for (const line of r.stdout.split('\n')) {
        const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
        if (name?.startsWith(p) || line.includes(`alias ${p}`)) {
          leaks.push({ kind: 'link', what: `${name} in ${ns ?? 'the root namespace'}` });
        }
      }
    }
    const carrying = async () => {
      const found = new Map<number, string>();
      for (const pid of await listPids()) {
        const cmd = await cmdline(pid);
        if (pid !== process.pid && cmd.includes(p)) found.set(pid, cmd);
      }
      return found;
    };
    const first = await carrying();
    if (first.size > 0) {
      // Only what lasts counts: another file's scan may be inside one of our names for a moment.
      await new Promise((r) => setTimeout(r, 300));
      const again = await carrying();
      for (const [pid, cmd] of first)
        if (again.get(pid) === cmd) leaks.push({ kind: 'process', what: `pid ${pid}: ${cmd}` });
    }
    const save = await run(['iptables-save'], { check: false }).catch(() => null);
    for (const line of save?.stdout.split('\n') ?? []) {
      if (line.includes(p)) leaks.push({ kind: 'iptables', what: `root namespace: ${line}` });
    }
    const sets = await run(['ipset', 'list', '-n'], { check: false }).catch(() => null);
    for (const s of sets?.stdout.split('\n') ?? [])
      if (s.startsWith(p)) leaks.push({ kind: 'ipset', what: s });
    return leaks;
  }

  /** Removes whatever {@link findLeaks} reports, best effort. */
  async forceClean(leaks: readonly Leak[]): Promise<void> {
    for (const l of leaks) {
      if (l.kind === 'process') {
        const pid = /pid (\d+)/.exec(l.what)?.[1];
        if (pid) await run(['kill', '-9', pid], { check: false });
      }
    }
    for (const l of leaks) {
      if (l.kind === 'namespace') await run(['ip', 'netns', 'del', l.what], { check: false });
      if (l.kind === 'link') {
        const [name, , ...where] = l.what.split(' ');
        const ns = where.join(' ') === 'the root namespace' ? [] : ['-n', where.join(' ')];
        await run(['ip', ...ns, 'link', 'del', name!], { check: false });
      }
    }
  }
}

/**
 * PIDs inside a namespace that are still there 300 ms after first seen. Other test files' leak scans
 * enter every namespace for a few milliseconds (`ip -n NS link show`); those are not leaks.
 */
async function lingering(ns: string): Promise<number[]> {
  const pids = async () =>
    (await run(['ip', 'netns', 'pids', ns], { check: false })).stdout
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  const first = await pids();
  if (first.length === 0) return [];
  await new Promise((r) => setTimeout(r, 300));
  const again = new Set(await pids());
  return first.filter((p) => again.has(p));
}

async function listNamespaces(): Promise<string[]> {
  return readdir('/run/netns').catch(() => []);
}

async function listPids(): Promise<number[]> {
  return (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
}

async function cmdline(pid: number): Promise<string> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.replace(/\0+$/, '').replace(/\0/g, ' ') || (await readlink(`/proc/${pid}/exe`).catch(() => '?'));
}

/**
 * Makes a {@link Sandbox} for a test: after the test, teardown runs and the leak check fails the
 * test if anything carrying the prefix is left (and cleans it up).
 */
export function sandbox(t: TestContext): Sandbox {
  const sb = new Sandbox();
  t.after(async () => {
    const early = await sb.teardown();
    const late = await sb.findLeaks();
    await sb.forceClean(late);
    const all = [...early, ...late];
    if (all.length > 0) {
      throw new Error(`sandbox ${sb.prefix} leaked:\n${all.map((l) => `  ${l.kind}: ${l.what}`).join('\n')}`);
    }
  });
  return sb;
}
