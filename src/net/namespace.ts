// Namespace existence and the one NamespaceNotFoundError every layer throws (Neutron: ip_lib.network_namespace_exists / NetworkNamespaceNotFound).
import { statSync } from 'node:fs';
import { TenantnetError } from '../errors.js';
import { failedToEnterNamespace, ProcessError } from '../exec/process-error.js';
import { type NamespaceName, namespaceName } from './types.js';

/** Where named network namespaces live (`ip netns` keeps one bind-mounted file per name here). */
export const NETNS_DIR = '/run/netns';

/** The namespace does not exist (or vanished while a command was entering it). */
export class NamespaceNotFoundError extends TenantnetError {
  /**
   * @param namespace the missing namespace
   * @param command what was being run when it was found missing ('' when only checked)
   * @param detail what the tool printed, if anything
   */
  constructor(
    readonly namespace: string,
    readonly command = '',
    readonly detail = '',
  ) {
    super(`namespace "${namespace}" does not exist`);
  }
}

/** True when `/run/netns/<name>` exists. Validates the name first. */
export function namespaceExists(name: string): boolean {
  return statNamespace(namespaceName(name)) !== null;
}

/**
 * The inode of `/run/netns/<ns>` (one `stat()`), or null when there is no such namespace. The inode
 * tells a namespace from a later one of the same name. For a name that is already validated.
 */
export function statNamespace(ns: NamespaceName): number | null {
  return statSync(`${NETNS_DIR}/${ns}`, { throwIfNoEntry: false })?.ino ?? null;
}

/**
 * Validates an optional namespace argument and checks that it exists (one `stat()`): the first step
 * of every call that takes one. `''` is refused (it is not the root namespace: pass null for that).
 *
 * @returns the name, or null for the root namespace (`null` or `undefined`)
 * @throws {InvalidInputError} for a bad name; {@link NamespaceNotFoundError} when it does not exist
 */
export function existingNamespace(
  value: string | null | undefined,
  where = 'namespace',
): NamespaceName | null {
  if (value === null || value === undefined) return null;
  const ns = namespaceName(value, where);
  if (statNamespace(ns) === null) throw new NamespaceNotFoundError(ns);
  return ns;
}

/**
 * Validates an optional namespace argument without checking that it exists: null/undefined is the
 * root namespace, anything else must be a valid name (never `''`, never a path).
 *
 * @throws {InvalidInputError} naming `where`
 */
export function optionalNamespace(
  value: string | null | undefined,
  where = 'namespace',
): NamespaceName | null {
  return value === null || value === undefined ? null : namespaceName(value, where);
}

/**
 * The {@link NamespaceNotFoundError} for a one-shot command (iptables, ipset, conntrack, a service)
 * that failed because its namespace is gone, or null for any other failure.
 */
export function vanishedError(e: unknown, namespace: string | null): NamespaceNotFoundError | null {
  if (namespace === null || !(e instanceof ProcessError) || !failedToEnterNamespace(e)) return null;
  return new NamespaceNotFoundError(namespace, e.argv.join(' '), e.stderr.trim());
}
