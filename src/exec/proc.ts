// /proc readers: arguments, descendants, tree kills, and how tenantnet knows its own processes (Neutron: utils.get_cmdline_from_pid).
import { readdir, readFile } from 'node:fs/promises';

/**
 * Reads `/proc/PID/cmdline` as its arguments. Empty for a zombie, a kernel thread or a PID that
 * no longer exists: a process with no arguments is not one tenantnet can recognise as its own.
 */
export async function readCmdline(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw === '' ? [] : raw.replace(/\0$/, '').split('\0');
}

// What may stand right before and right after a marker inside one argument.
const BEFORE = new Set(['/', '=', ',']);
const AFTER = new Set(['/', ',']);

/**
 * True when one of `args` carries `marker` as a whole token: the argument equals it, or contains
 * it with a delimiter (or the argument's edge) on both sides: before it the start, `/`, `=` or `,`;
 * after it the end, `/` or `,`. So `net1` is carried by `net1`, `--conf-dir=/var/lib/x/net1`,
 * `/x/net1/host` and `--tags=a,net1,b`, but not by `net10`, `xnet1`, `/x/net1.pid` or
 * `--net1=x`. Pure.
 */
export function carriesMarker(args: readonly string[], marker: string): boolean {
  if (marker === '') return false;
  for (const a of args) {
    for (let i = a.indexOf(marker); i !== -1; i = a.indexOf(marker, i + 1)) {
      const end = i + marker.length;
      if ((i === 0 || BEFORE.has(a[i - 1]!)) && (end === a.length || AFTER.has(a[end]!))) return true;
    }
  }
  return false;
}

/**
 * True when `pid` is a live process whose command line carries `marker` as a whole token (see
 * {@link carriesMarker}). This, not mere existence of the PID, is how tenantnet decides a process is
 * its own: a reused PID fails the check, a zombie has an empty command line, and the process of
 * `net10` is never taken for that of `net1`.
 */
export async function isLiveWithMarker(pid: number, marker: string): Promise<boolean> {
  return carriesMarker(await readCmdline(pid), marker);
}

/** The parent PID of `pid`, or null when it is gone. */
async function parentOf(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[1]);
}

/** Every descendant of `pid` (children, grandchildren…), found by walking /proc. */
export async function descendants(pid: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const parents = new Map<number, number[]>();
  await Promise.all(
    pids.map(async (p) => {
      const pp = await parentOf(p);
      if (pp !== null) parents.set(pp, [...(parents.get(pp) ?? []), p]);
    }),
  );
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    for (const child of parents.get(todo.pop()!) ?? []) {
      out.push(child);
      todo.push(child);
    }
  }
  return out;
}

/** Sends `signal` to a process and all its descendants; processes already gone are ignored. */
export async function killTree(pid: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const all = [pid, ...(await descendants(pid))];
  for (const p of all) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

/** Resolves when `check` returns true, or with false after `timeoutMs`. Polls every `everyMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 20,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
