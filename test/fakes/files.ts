// An in-memory FileExecutor: files by absolute path with content and mode, directories implied by
// the paths, and a log of what was written and removed (the state directory without a disk).
import { posix } from 'node:path';
import type { FileExecutor } from '../../src/reconcile/executors.js';

/** One fake file. */
export interface FakeFile {
  content: string;
  mode: number;
}

/** Files in memory, implementing {@link FileExecutor}. */
export class FakeFiles implements FileExecutor {
  /** Every file, by absolute path. */
  readonly files = new Map<string, FakeFile>();
  /** Every write and removal, in order. */
  readonly log: { op: 'write' | 'remove' | 'removeTree'; path: string }[] = [];

  async read(path: string): Promise<string | null> {
    return this.files.get(path)?.content ?? null;
  }

  async write(path: string, content: string, mode = 0o644): Promise<void> {
    this.log.push({ op: 'write', path });
    this.files.set(path, { content, mode });
  }

  async remove(path: string): Promise<boolean> {
    this.log.push({ op: 'remove', path });
    return this.files.delete(path);
  }

  async removeTree(path: string): Promise<boolean> {
    this.log.push({ op: 'removeTree', path });
    const under = [...this.files.keys()].filter((p) => p === path || p.startsWith(`${path}/`));
    for (const p of under) this.files.delete(p);
    return under.length > 0;
  }

  async list(path: string): Promise<string[]> {
    const names = new Set<string>();
    const dir = path.replace(/\/+$/, '');
    for (const p of this.files.keys()) {
      if (!p.startsWith(`${dir}/`)) continue;
      names.add(p.slice(dir.length + 1).split('/')[0]!);
    }
    return [...names].sort();
  }

  /** Writes a file directly (as another tool would), without logging it. */
  put(path: string, content: string, mode = 0o644): void {
    this.files.set(posix.normalize(path), { content, mode });
  }
}
