import { TenantnetError } from '../errors.js';

/**
 * `iptables-restore` refused a batch. The batch is atomic, so nothing from it was applied. The
 * failing line is quoted when iptables said which one it was.
 */
export class IptablesRestoreError extends TenantnetError {
  /**
   * @param namespace the namespace the batch was meant for (null: the root namespace)
   * @param family `ipv4` or `ipv6`
   * @param lineNumber 1-based line of the batch that iptables-restore blamed, when it said
   * @param line the text of that line
   * @param reason iptables-restore's own explanation (first line of its stderr)
   * @param input the whole batch that was sent
   */
  constructor(
    readonly namespace: string | null,
    readonly family: 'ipv4' | 'ipv6',
    readonly lineNumber: number | null,
    readonly line: string | null,
    readonly reason: string,
    readonly input: string,
  ) {
    super(
      `${family === 'ipv4' ? 'iptables' : 'ip6tables'}-restore refused the batch for ${where(namespace)}` +
        `${lineNumber !== null ? ` at line ${lineNumber}${line !== null ? ` "${line}"` : ''}` : ''}: ${reason}` +
        ' (nothing from the batch was applied)',
    );
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
   * @param set the set concerned
   * @param message what went wrong
   */
  constructor(
    readonly set: string,
    message: string,
  ) {
    super(message);
  }
}

/** Describes a namespace for messages. */
export function where(namespace: string | null): string {
  return namespace ? `namespace "${namespace}"` : 'the root namespace';
}
