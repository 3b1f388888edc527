import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readdir, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { TenantnetError } from '../errors.js';
import { LineSplitter } from '../exec/line-splitter.js';
import { existingNamespace } from '../net/namespace.js';
import { ipExecutor } from './batch.js';
import { type LinkInfo, parseLinks } from './links.js';

/** One change notification: what `ip monitor` said, and the links and addresses as now read. */
export interface LinkEvent {
  /** The `ip -o monitor` lines that triggered this read (empty for the initial snapshot). */
  readonly lines: readonly string[];
  /** Every link with its addresses, read after the change. */
  readonly links: readonly LinkInfo[];
}

/** A running monitor: iterate it for events; `close()` (or `break`, or the signal) stops it. */
export interface LinkMonitor extends AsyncIterableIterator<LinkEvent> {
  /** Resolves once the monitor is listening: changes made after this are seen. */
  readonly ready: Promise<void>;
  /** Stops `ip monitor` and ends the iteration; resolves when the process has exited. */
  close(): Promise<void>;
}

/**
 * Watches a namespace's links and addresses. `ip -o monitor link address` is only the trigger
 * (its `-json` output is broken in iproute2 6.1): after each burst of lines the state is read
 * again with `-j addr show` through the namespace's batch, so every event carries whole, current
 * state. The first event is the state at start. Nothing is left running after `close()`.
 *
 * @throws {NamespaceNotFoundError} (synchronously) when the namespace does not exist
 */
export function monitorLinks(options: { namespace?: string | null; signal?: AbortSignal } = {}): LinkMonitor {
  const ns = existingNamespace(options.namespace);
  const argv = [...(ns ? ['-n', ns] : []), '-o', 'monitor', 'link', 'address'];
  const child: ChildProcessWithoutNullStreams = spawn('ip', argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const queue: LinkEvent[] = [];
  const waiters: { resolve: (r: IteratorResult<LinkEvent>) => void; reject: (e: Error) => void }[] = [];
  let pendingLines: string[] = [];
  let reading = false;
  let done = false;
  let failure: Error | null = null;

  const deliver = (ev: LinkEvent) => {
    const w = waiters.shift();
    if (w) w.resolve({ value: ev, done: false });
    else queue.push(ev);
  };
  const finish = () => {
    done = true;
    const waiting = waiters.splice(0);
    // A reader already waiting gets the failure; resolving it with `done` would hide it.
    if (failure && waiting.length > 0) {
      const f = failure;
      failure = null;
      waiting.shift()!.reject(f);
    }
    for (const w of waiting) w.resolve({ value: undefined, done: true });
  };
  const read = async () => {
    if (reading || done) return;
    reading = true;
    try {
      while (!done) {
        const lines = pendingLines;
        pendingLines = [];
        const [r] = await ipExecutor().apply(ns, [{ op: 'link.show' }]);
        if (!done) deliver({ lines, links: parseLinks(r?.output) });
        if (pendingLines.length === 0) break;
      }
    } catch (e) {
      failure = e as Error;
      void close();
    } finally {
      reading = false;
    }
  };

  const out = new LineSplitter();
  child.stdout.on('data', (b: Buffer) => {
    for (const line of out.push(b)) pendingLines.push(line);
    // A burst of lines (one change often makes several) coalesces into one read.
    if (pendingLines.length > 0) setImmediate(() => void read());
  });
  child.stderr.on('data', () => {});
  child.stdin.on('error', () => {});
  child.on('error', (e) => {
    failure = new TenantnetError(`ip monitor could not start: ${e.message}`);
  });
  child.on('close', () => {
    if (!done && !failure) failure = new TenantnetError(`ip ${argv.join(' ')} exited unexpectedly`);
    finish();
  });

  const ready = (async () => {
    // `ip monitor` opens and binds its netlink socket in one step before it reads; once the
    // socket shows in /proc the subscription is in place (a short grace covers the bind call).
    for (let i = 0; i < 200 && child.pid !== undefined && !done; i++) {
      const fds = await readdir(`/proc/${child.pid}/fd`).catch(() => [] as string[]);
      const links = await Promise.all(fds.map((f) => readlink(`/proc/${child.pid}/fd/${f}`).catch(() => '')));
      if (links.some((l) => l.startsWith('socket:'))) break;
      await sleep(5);
    }
    await sleep(10);
    if (!done) await read();
  })();

  const onAbort = () => void close();
  async function close(): Promise<void> {
    options.signal?.removeEventListener('abort', onAbort);
    if (!done) {
      done = true;
      child.kill('SIGTERM');
    }
    await exited;
    finish();
  }
  // An already aborted signal never fires 'abort': stop at once instead of running forever.
  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const monitor: LinkMonitor = {
    ready,
    close,
    next() {
      const ev = queue.shift();
      if (ev) return Promise.resolve({ value: ev, done: false });
      if (done) {
        if (failure) {
          const f = failure;
          failure = null;
          return Promise.reject(f);
        }
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    async return() {
      await close();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return monitor;
    },
  };
  return monitor;
}
