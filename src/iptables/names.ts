// Families, tables, built-in chains, and the names tenantnet gives its chains (Neutron's
// iptables_manager: get_binary_name, get_chain_name, the wrapped built-ins).
import { InvalidInputError } from '../errors.js';
import { requireString } from '../net/text.js';
import type { IpFamily } from '../net/types.js';

/** The iptables tables tenantnet manages. */
export type TableName = 'filter' | 'nat' | 'mangle' | 'raw';

/** Every family, in apply order (4 is driven with iptables, 6 with ip6tables). */
export const FAMILIES: readonly IpFamily[] = [4, 6];

/** The name of the iptables tool for a family: `iptables` or `ip6tables`. */
export function iptablesTool(family: IpFamily): 'iptables' | 'ip6tables' {
  return family === 4 ? 'iptables' : 'ip6tables';
}

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
 * The built-in chains that get a wrapped twin (`tn-<prefix>-INPUT` …) and a jump to it, as Neutron's
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

/**
 * The fixed lead of every chain a manager owns: `tn-<prefix>-<chain>`. No foreign family
 * (`DOCKER-`, `KUBE-`, `cali-`, `f2b-`, `ufw-`, `neutron-`, `LIBVIRT_` …) starts with it, so a
 * manager can never take a foreign chain for its own, whatever its prefix.
 */
export const OWNED_LEAD = 'tn-';

/**
 * The longest manager prefix: `tn-` plus the prefix is at most 16 characters, so that
 * `tn-<prefix>-<chain>` keeps 11 characters for the chain within 28 (Neutron's split).
 */
export const MAX_PREFIX = 13;

/** Prefixes no manager may take: `shared` would make its owner mark the shared jumps' mark. */
export const RESERVED_PREFIXES: readonly string[] = ['shared'];

/**
 * Shared names no manager group may take: `tn` would put the shared chains (`<shared>-filter-top`)
 * inside the owned lead, the others are foreign families whose tools clean up chains by prefix.
 */
export const RESERVED_SHARED: readonly string[] = [
  'tn',
  'cali',
  'docker',
  'f2b',
  'felix',
  'kube',
  'libvirt',
  'neutron',
  'nova',
  'ufw',
  'ufw6',
];

/** True when `name` is a built-in chain of `table`. */
export function isBuiltinChain(table: TableName, name: string): boolean {
  return BUILTIN_CHAINS[table].includes(name);
}

/**
 * Checks a manager prefix: 1-13 of `A-Z a-z 0-9 _`, not `shared`. No `-`, so that `tn-<prefix>-`
 * never starts another manager's chains (`a` and `a-x` would both own `tn-a-x-…`).
 *
 * @throws {InvalidInputError} naming `where`
 */
export function checkPrefix(value: string, where = 'iptables prefix'): string {
  const v = requireString(value, where);
  if (!/^[A-Za-z0-9_]{1,13}$/.test(v)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not a valid prefix (1-${MAX_PREFIX} of A-Z a-z 0-9 _)`,
      where,
    );
  }
  if (RESERVED_PREFIXES.includes(v)) {
    throw new InvalidInputError(`${where}: "${v}" is reserved (it is the shared jumps' owner mark)`, where);
  }
  return v;
}

/**
 * Checks the name of a group of managers that share chains and marks: 1-9 of `a-z 0-9 _`, not
 * `tn` and not a known foreign family (see {@link RESERVED_SHARED}).
 *
 * @throws {InvalidInputError} naming `where`
 */
export function checkSharedName(value: string, where = 'iptables shared name'): string {
  const v = requireString(value, where);
  if (!/^[a-z0-9_]{1,9}$/.test(v)) {
    throw new InvalidInputError(`${where}: ${JSON.stringify(v)} is not 1-9 of a-z 0-9 _`, where);
  }
  if (RESERVED_SHARED.includes(v)) {
    throw new InvalidInputError(
      `${where}: "${v}" is reserved (it would collide with tenantnet's owned chains or a foreign family)`,
      where,
    );
  }
  return v;
}

/**
 * Checks a chain name as given by a caller (before wrapping): 1-28 of `A-Z a-z 0-9 _ -`, not
 * starting with `-`.
 *
 * @throws {InvalidInputError} naming `where`
 */
export function checkChainName(value: string, where = 'chain name'): string {
  const v = requireString(value, where);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,27}$/.test(v)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not a valid chain name (1-28 of A-Z a-z 0-9 _ -)`,
      where,
    );
  }
  return v;
}

/** The lead of every chain a manager with this prefix owns: `tn-<prefix>-`. */
export function ownedLead(prefix: string): string {
  return `${OWNED_LEAD}${prefix}-`;
}

/**
 * The wrapped name of `chain` for a manager: `tn-<prefix>-<chain>`, the chain part shortened so
 * the whole fits {@link MAX_CHAIN_NAME}. Pure.
 */
export function wrapName(prefix: string, chain: string): string {
  return `${ownedLead(prefix)}${chain}`.slice(0, MAX_CHAIN_NAME);
}
