// What a long-lived `ip -n NS` or `bridge -n NS` coprocess needs to stay honest about its namespace:
// the /run/netns inode it was started in, and one shared watch of /run/netns that tells when a
// namespace is deleted behind tenantnet's back. No Neutron twin (Neutron starts a process per command).
import { type FSWatcher, watch } from 'node:fs';
import { NamespaceNotFoundError, NETNS_DIR, statNamespace } from '../net/namespace.js';
import type { NamespaceName } from '../net/types.js';

/** The part of a coprocess a {@link NamespacePin} acts on. */
export interface PinnedProcess {
  /** PID of the running child, or null when none runs. */
  readonly pid: number | null;
  /** Kills the running child and resolves once it has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * The namespace a coprocess runs in, pinned by its /run/netns inode. A namespace file that vanished
 * or was replaced means the running process is stuck in a namespace nobody can see any more (and
 * keeps it, with its devices, alive): {@link check} refuses or starts over, {@link releaseIfGone}
 * lets go of it when the name goes.
 */
export class NamespacePin {
  private inode: number | null = null;

  /**
   * @param namespace the namespace (null: the root one, never pinned)
   * @param process the coprocess's current child (read at each call: the child may be replaced)
   */
  constructor(
    readonly namespace: NamespaceName | null,
    private readonly process: () => PinnedProcess,
  ) {}

  /**
   * Before writing: one stat(). A missing namespace kills the child and throws; a replaced one
   * kills the child (awaited, so no new line reaches it) so the next one starts in the new one.
   *
   * @throws {NamespaceNotFoundError} when the namespace does not exist
   */
  async check(): Promise<void> {
    if (!this.namespace) return;
    const ino = statNamespace(this.namespace);
    const child = this.process();
    if (ino === null) {
      this.inode = null;
      if (child.pid !== null) await child.kill('SIGKILL');
      throw new NamespaceNotFoundError(this.namespace);
    }
    if (this.inode !== null && this.inode !== ino && child.pid !== null) await child.kill('SIGKILL');
    this.inode = ino;
  }

  /** Is the namespace gone now? (Never for the root namespace.) */
  gone(): boolean {
    return this.namespace !== null && statNamespace(this.namespace) === null;
  }

  /**
   * Kills the child when the namespace it was started in was deleted or replaced.
   *
   * @returns true when it did
   */
  async releaseIfGone(): Promise<boolean> {
    if (!this.namespace || this.inode === null) return false;
    if (statNamespace(this.namespace) === this.inode) return false;
    this.inode = null;
    await this.process().kill('SIGKILL');
    return true;
  }
}

// One inotify watch on /run/netns (fs.watch) for every registry of coprocesses, held only while one
// listens: it tells of every deletion at once and costs nothing between events, where polling would
// be late or wake up for nothing. It never keeps Node running (persistent: false).
const listeners = new Set<(file: string | null) => void>();
let watcher: FSWatcher | null = null;

function startWatch(): void {
  if (watcher) return;
  try {
    watcher = watch(NETNS_DIR, { persistent: false });
  } catch {
    return; // no /run/netns (yet): every command still checks its namespace first
  }
  watcher.on('change', (_event, file) => {
    for (const l of listeners) l(typeof file === 'string' ? file : null);
  });
  watcher.on('error', () => {
    watcher?.close();
    watcher = null;
  });
}

/**
 * Calls `listener` with the name of each /run/netns entry that changes (null when the kernel did
 * not say which). Returns the function that stops listening; the watch closes with its last listener.
 */
export function onNetnsChange(listener: (file: string | null) => void): () => void {
  listeners.add(listener);
  startWatch();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && watcher) {
      watcher.close();
      watcher = null;
    }
  };
}
