// Link and address change events: `ip -o monitor` as the trigger, a fresh read as the event (Neutron: ip_monitor / ip_lib.IPMonitor).
import { readdir, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { TenantnetError } from '../errors.js';
import { AsyncProcess } from '../exec/async-process.js';
import { LineQueue } from '../exec/line-queue.js';
import type { RootHelper } from '../exec/root-helper.js';
import { existingNamespace } from '../net/namespace.js';
import { executorOf, type Via } from './executor.js';
import { type LinkInfo, parseLinks } from './links.js';

/** One change notification: what `ip monitor` said, and the links and addresses as now read. */
export interface LinkEvent {
  /** The `ip -o monitor` lines that triggered this read (empty for the initial snapshot and after a respawn). */
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

/** Options for {@link monitorLinks}. */
export interface MonitorOptions extends Via {
  /** The namespace to watch (null/absent: the root namespace). */
  readonly namespace?: string | null;
  /** Stops the monitor when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Restart `ip monitor` this many ms after it dies, and read the whole state again once it is
   * back (changes in between are not lost, only merged). Without it a death fails the iteration.
   */
  readonly respawnIntervalMs?: number;
  /** Root helper for `ip monitor` (default: the one in force). */
  readonly rootHelper?: RootHelper;
}

/**
 * Watches a namespace's links and addresses. `ip -o monitor link address` (an {@link AsyncProcess},
 * so the root helper and respawning apply) is only the trigger: its `-json` output is broken in
 * iproute2 6.1, so after each burst of lines the state is read again with `-j addr show` through the
 * namespace's batch, and every event carries whole, current state. The first event is the state at
 * start. Nothing is left running after `close()`.
 *
 * Equivalent to: `ip [-n NS] -o monitor link address`, plus `ip [-n NS] -d -j addr show` per burst
 *
 * @throws {NamespaceNotFoundError} (synchronously) when the namespace does not exist
 */
export function monitorLinks(options: MonitorOptions = {}): LinkMonitor {
  const ns = existingNamespace(options.namespace);
  const ex = executorOf(options);
  const argv = ['ip', ...(ns ? ['-n', ns] : []), '-o', 'monitor', 'link', 'address'];
  const proc = new AsyncProcess(argv, {
    ...(options.respawnIntervalMs !== undefined ? { respawnIntervalMs: options.respawnIntervalMs } : {}),
    ...(options.rootHelper !== undefined ? { rootHelper: options.rootHelper } : {}),
  });
  const events = new LineQueue<LinkEvent>();
  let pendingLines: string[] = [];
  let dirty = false;
  let reading = false;
  let closing = false;

  const read = async () => {
    if (reading || closing || events.isEnded) return;
    reading = true;
    try {
      while (dirty && !closing && !events.isEnded) {
        const lines = pendingLines;
        pendingLines = [];
        dirty = false;
        const [r] = await ex.apply(ns, [{ op: 'link.show' }]);
        if (!closing) events.push({ lines, links: parseLinks(r?.output) });
      }
    } catch (e) {
      if (!closing) events.fail(e as Error);
      void close();
    } finally {
      reading = false;
    }
  };
  // A burst of lines (one change often makes several) coalesces into one read.
  const changed = (line?: string) => {
    if (line !== undefined) pendingLines.push(line);
    dirty = true;
    setImmediate(() => void read());
  };
  // After a respawn, changes made while nothing listened are caught by reading everything again.
  proc.on('respawn', () => changed());
  proc.on('error', () => {}); // a respawn that cannot spawn ends stdout below

  const started = (async () => {
    await proc.start();
    for await (const line of proc.stdout()) changed(line);
    if (!closing) events.fail(new TenantnetError(`ip ${argv.slice(1).join(' ')} exited unexpectedly`));
  })().catch((e: unknown) => {
    events.fail(new TenantnetError(`ip monitor could not start: ${(e as Error).message}`));
  });

  const ready = (async () => {
    // `ip monitor` opens and binds its netlink socket in one step before it reads; once the
    // socket shows in /proc the subscription is in place (a short grace covers the bind call).
    for (let i = 0; i < 200 && !closing && !events.isEnded; i++) {
      const pid = proc.pid;
      if (pid !== null) {
        const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
        const links = await Promise.all(fds.map((f) => readlink(`/proc/${pid}/fd/${f}`).catch(() => '')));
        if (links.some((l) => l.startsWith('socket:'))) break;
      }
      await sleep(5);
    }
    await sleep(10);
    changed();
    await read();
  })();

  const onAbort = () => void close();
  async function close(): Promise<void> {
    options.signal?.removeEventListener('abort', onAbort);
    closing = true;
    if (proc.isRunning) await proc.stop('SIGTERM').catch(() => {});
    await started;
    events.end();
  }
  // An already aborted signal never fires 'abort': stop at once instead of running forever.
  if (options.signal?.aborted) void close();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const monitor: LinkMonitor = {
    ready,
    close,
    next: () => events.next(),
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
