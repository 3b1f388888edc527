import { InvalidInputError } from '../errors.js';

/** An address family: `ipv4` is driven with iptables, `ipv6` with ip6tables. */
export type Family = 'ipv4' | 'ipv6';

/** The iptables tables tenantnet manages. */
export type TableName = 'filter' | 'nat' | 'mangle' | 'raw';

/** Every family, in apply order. */
export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

/** Every table, in the order iptables-save prints them (not significant, but stable). */
export const TABLES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter'];

/** The built-in chains of each table. */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

/**
 * The built-in chains that get a wrapped twin (`<prefix>-INPUT` …) and a jump to it, as Neutron's
 * iptables_manager does. nat INPUT is left alone as Neutron leaves it.
 */
export const WRAPPED_BUILTINS: Readonly<Record<TableName, readonly string[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

/** iptables' limit on a chain name (nf_tables allows more, legacy does not; stay portable). */
export const MAX_CHAIN_NAME = 28;

/** The longest manager prefix, so that `<prefix>-<chain>` keeps at least 11 characters for the chain. */
export const MAX_PREFIX = 16;

/** True when `name` is a built-in chain of `table`. */
export function isBuiltinChain(table: TableName, name: string): boolean {
  return BUILTIN_CHAINS[table].includes(name);
}

/**
 * Checks a manager prefix: 1-16 of `A-Z a-z 0-9 _`. No `-`, so that `<prefix>-` never starts
 * another manager's chains (`tn` and `tn-x` would both own `tn-x-…`).
 *
 * @throws {InvalidInputError} when the prefix is not valid
 */
export function checkPrefix(value: string, where = 'iptables prefix'): string {
  if (!/^[A-Za-z0-9_]{1,16}$/.test(value)) {
    throw new InvalidInputError(`${where}: "${value}" is not a valid prefix (1-16 of A-Z a-z 0-9 _)`, where);
  }
  return value;
}

/**
 * Checks a chain name as given by a caller (before wrapping): 1-28 of `A-Z a-z 0-9 _ -`.
 *
 * @throws {InvalidInputError} when the name is not valid
 */
export function checkChainName(value: string, where = 'chain name'): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,27}$/.test(value)) {
    throw new InvalidInputError(
      `${where}: "${value}" is not a valid chain name (1-28 of A-Z a-z 0-9 _ -)`,
      where,
    );
  }
  return value;
}

/**
 * The wrapped name of `chain` for a manager: `<prefix>-<chain>`, the chain part shortened so the
 * whole fits {@link MAX_CHAIN_NAME}. Pure.
 */
export function wrapName(prefix: string, chain: string): string {
  return `${prefix}-${chain}`.slice(0, MAX_CHAIN_NAME);
}
