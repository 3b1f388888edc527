// Typed failures of iptables-restore, legacy tables and ipset (Neutron: IpTablesApplyException).
import { TenantnetError } from '../errors.js';
import type { IpFamily } from '../net/types.js';

/**
 * `iptables-restore` refused a batch. Each `*table … COMMIT` block is one nf_tables transaction:
 * nothing of the failing table's block was applied, but the blocks of tables before it in the
 * batch were committed ({@link IptablesRestoreError.committed}). The failing line is quoted when
 * iptables said which one it was.
 */
export class IptablesRestoreError extends TenantnetError {
  /** Tables whose blocks came before the failing line and were committed (usually none). */
  readonly committed: readonly string[];

  /**
   * @param namespace the namespace the batch was meant for (null: the root namespace)
   * @param family 4 or 6
   * @param lineNumber 1-based line of the batch that iptables-restore blamed, when it said
   * @param line the text of that line
   * @param reason iptables-restore's own explanation (first line of its stderr)
   * @param input the whole batch that was sent
   */
  constructor(
    readonly namespace: string | null,
    readonly family: IpFamily,
    readonly lineNumber: number | null,
    readonly line: string | null,
    readonly reason: string,
    readonly input: string,
  ) {
    const committed = committedTables(input, lineNumber);
    super(
      `${family === 4 ? 'iptables' : 'ip6tables'}-restore refused the batch for ${where(namespace)}` +
        `${lineNumber !== null ? ` at line ${lineNumber}${line !== null ? ` "${line}"` : ''}` : ''}: ${reason}` +
        (committed.length > 0
          ? ` (nothing from its ${failingTable(input, lineNumber)} block was applied; the blocks of ${committed.join(', ')} before it were)`
          : ' (nothing from the batch was applied)'),
    );
    this.committed = committed;
  }
}

/**
 * The namespace also has rules in the legacy (x_tables) iptables backend. tenantnet drives the
 * nf_tables backend only; mixing the two gives rule sets that neither tool shows in full.
 */
export class LegacyTablesError extends TenantnetError {
  /**
   * @param namespace where the legacy rules are (null: the root namespace)
   * @param tables the legacy tables that hold rules
   */
  constructor(
    readonly namespace: string | null,
    readonly tables: readonly string[],
  ) {
    super(
      `${where(namespace)} has legacy iptables rules (tables ${tables.join(', ')}, see iptables-legacy-save); ` +
        'tenantnet uses the nf_tables backend and refuses to mix the two: remove the legacy rules first',
    );
  }
}

/** An ipset operation failed, or a set is still in use and cannot be destroyed. */
export class IpsetError extends TenantnetError {
  /**
   * @param set the set concerned ('' when unknown)
   * @param message what went wrong
   * @param lineNumber the line of an `ipset restore` batch that ipset blamed, when it said
   */
  constructor(
    readonly set: string,
    message: string,
    readonly lineNumber: number | null = null,
  ) {
    super(message);
  }
}

// The tables whose `*table … COMMIT` blocks end before the failing line (iptables-restore commits
// each block on its own). Unknown line: none claimed.
function committedTables(input: string, lineNumber: number | null): string[] {
  if (lineNumber === null) return [];
  const out: string[] = [];
  let table: string | null = null;
  for (const line of input.split('\n').slice(0, lineNumber - 1)) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line === 'COMMIT' && table !== null) out.push(table);
  }
  return out;
}

function failingTable(input: string, lineNumber: number | null): string {
  const before = input.split('\n').slice(0, lineNumber ?? 0);
  return (
    before
      .reverse()
      .find((l) => l.startsWith('*'))
      ?.slice(1) ?? 'table'
  );
}

/** Describes a namespace for messages. */
export function where(namespace: string | null): string {
  return namespace ? `namespace "${namespace}"` : 'the root namespace';
}
