// The one seam between IptablesManager and the kernel: iptables-save, iptables-restore, and the
// per-namespace lock (Neutron's iptables_manager runs the same two tools under a lock).
import { ProcessError } from '../exec/process-error.js';
import { run } from '../exec/run.js';
import { vanishedError } from '../net/namespace.js';
import type { IpFamily } from '../net/types.js';
import { IptablesRestoreError, LegacyTablesError } from './errors.js';
import { DEFAULT_LOCK_DIR, lockPath, type Release, takeFileLock } from './lock.js';
import { iptablesTool } from './names.js';

/** What the manager needs from the system: read the tables, write a batch, hold a namespace. */
export interface IptablesExecutor {
  /**
   * Takes the host-wide lock on one namespace's tables (waiting while another process holds it), so
   * that applies of managers in different processes never interleave. Applies within one process are
   * already queued by the manager; a fake can resolve at once.
   *
   * @returns the release function
   */
  lock(namespace: string | null): Promise<Release>;
  /**
   * The `iptables-save` stdout for one namespace and family (all tables; a fresh namespace prints
   * nothing).
   *
   * @throws {NamespaceNotFoundError} when the namespace does not exist
   * @throws {LegacyTablesError} when the namespace holds legacy iptables rules
   */
  save(namespace: string | null, family: IpFamily): Promise<string>;
  /**
   * Feeds one batch to `iptables-restore -w --noflush`.
   *
   * @throws {IptablesRestoreError} when the batch is refused (nothing of the failing table's block is
   *   applied; blocks of tables before it are)
   * @throws {NamespaceNotFoundError} when the namespace does not exist
   */
  restore(namespace: string | null, family: IpFamily, input: string): Promise<void>;
}

function tool(family: IpFamily, what: 'save' | 'restore' | 'legacy-save'): string {
  return `${iptablesTool(family)}-${what}`;
}

/**
 * The iptables-restore error as (line number, reason). iptables-restore says `line N failed: …`,
 * `line N: …` or `Error occurred at line: N`; the nf_tables backend checks some things only at
 * COMMIT and then blames the COMMIT line, so a `'NAME'` in the reason points back at the line
 * that mentions it. Pure.
 */
export function parseRestoreError(
  stderr: string,
  input: string,
): { lineNumber: number | null; reason: string } {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Try `'));
  const numLine = lines.find((l) => /line:? \d+/.test(l));
  let lineNumber = numLine ? Number(/line:? (\d+)/.exec(numLine)?.[1]) : null;
  const reason =
    lines
      .map((l) =>
        l
          .replace(/^ip6?tables-restore( v[\d.]+ \(nf_tables\))?:\s*/, '')
          .replace(/^Error occurred at line: \d+$/, '')
          .replace(/^line \d+( failed)?:\s*/, ''),
      )
      .filter((l) => l !== '')
      .join('; ') || 'iptables-restore failed';
  const sent = input.split('\n');
  if (lineNumber !== null && sent[lineNumber - 1] === 'COMMIT') {
    const name = /'([^']+)'/.exec(reason)?.[1];
    if (name) {
      const i = sent.findIndex(
        (l, k) => k < (lineNumber as number) && l.startsWith('-') && l.split(' ').includes(name),
      );
      if (i >= 0) lineNumber = i + 1;
    }
  }
  return { lineNumber, reason };
}

/** Legacy tables holding anything beyond empty built-in chains with ACCEPT policies. Pure. */
export function legacyTablesInUse(saveText: string): string[] {
  const used = new Set<string>();
  let table = '';
  for (const line of saveText.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ') || (line.startsWith(':') && !/^:\S+ ACCEPT /.test(line))) used.add(table);
  }
  return [...used];
}

/** Options for {@link KernelIptablesExecutor}. */
export interface KernelIptablesOptions {
  /** Per-command timeout; default 30 s. */
  readonly timeoutMs?: number;
  /** Directory of the per-namespace lock files; default `/run/tenantnet/locks`. */
  readonly lockDir?: string;
  /** How long to wait for a namespace's lock before giving up; default 120 s. */
  readonly lockWaitMs?: number;
}

/**
 * The real executor: `iptables-save`/`iptables-restore` (or the ip6tables ones) through {@link run},
 * and a lock file per namespace (see lock.ts).
 */
export class KernelIptablesExecutor implements IptablesExecutor {
  private readonly timeoutMs: number;
  private readonly lockDir: string;
  private readonly lockWaitMs: number;

  constructor(opts: KernelIptablesOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.lockDir = opts.lockDir ?? DEFAULT_LOCK_DIR;
    this.lockWaitMs = opts.lockWaitMs ?? 120_000;
  }

  /** {@inheritDoc IptablesExecutor.lock} */
  lock(namespace: string | null): Promise<Release> {
    return takeFileLock(lockPath(this.lockDir, namespace), this.lockWaitMs);
  }

  /** {@inheritDoc IptablesExecutor.save} */
  async save(namespace: string | null, family: IpFamily): Promise<string> {
    try {
      const r = await run([tool(family, 'save')], { namespace, timeoutMs: this.timeoutMs });
      // nf_tables iptables-save warns on stderr when legacy tables exist: look only then.
      if (r.stderr.includes('legacy tables present')) {
        const legacy = await run([tool(family, 'legacy-save')], {
          namespace,
          timeoutMs: this.timeoutMs,
          check: false,
        });
        const used = legacyTablesInUse(legacy.stdout);
        if (used.length > 0) throw new LegacyTablesError(namespace, used);
      }
      return r.stdout;
    } catch (e) {
      throw vanishedError(e, namespace) ?? e;
    }
  }

  /** {@inheritDoc IptablesExecutor.restore} */
  async restore(namespace: string | null, family: IpFamily, input: string): Promise<void> {
    try {
      await run([tool(family, 'restore'), '-w', '--noflush'], {
        namespace,
        input,
        timeoutMs: this.timeoutMs,
      });
    } catch (e) {
      const gone = vanishedError(e, namespace);
      if (gone) throw gone;
      if (e instanceof ProcessError && !e.timedOut) {
        const { lineNumber, reason } = parseRestoreError(e.stderr, input);
        const line = lineNumber !== null ? (input.split('\n')[lineNumber - 1] ?? null) : null;
        throw new IptablesRestoreError(namespace, family, lineNumber, line, reason, input);
      }
      throw e;
    }
  }
}

/** The default executor: the real iptables tools and lock files under `/run/tenantnet/locks`. */
export const kernelIptablesExecutor: IptablesExecutor = new KernelIptablesExecutor();
