import { readdir, readFile } from 'node:fs/promises';

/**
 * Reads `/proc/PID/cmdline` as its arguments. Empty for a zombie, a kernel thread or a PID that
 * no longer exists: a process with no arguments is not one tenantnet can recognise as its own.
 */
export async function readCmdline(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw === '' ? [] : raw.replace(/\0$/, '').split('\0');
}

/**
 * True when `pid` is a live process whose command line contains `marker` (as a whole argument or
 * inside one). This, not mere existence of the PID, is how tenantnet decides a process is its
 * own: a reused PID fails the check and a zombie has an empty command line.
 */
export async function isLiveWithMarker(pid: number, marker: string): Promise<boolean> {
  const args = await readCmdline(pid);
  return args.some((a) => a.includes(marker));
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
