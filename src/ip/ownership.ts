// Ownership marks on links: ifalias `tenantnet:<owner>` plus a link group (Neutron marks by name prefix; tenantnet by mark).
import { type DeviceName, type LinkGroup, linkGroup, token } from '../net/types.js';
import { defined } from './defined.js';
import type { IpOp } from './ops.js';

/** Marks a link as tenantnet's: its ifalias becomes `tenantnet:<owner>` and it joins `group`. */
export interface Ownership {
  /** Who made it (a router, a network…): 1-200 of `A-Z a-z 0-9 _ . : -`. */
  readonly owner: string;
  /** Link group number: everything of one owner set can be listed and deleted with one request. */
  readonly group: number;
}

/** The ifalias prefix of links tenantnet made. */
export const OWNER_ALIAS_PREFIX = 'tenantnet:';

/** A validated {@link Ownership}: the link group and the ifalias that carry it. */
export interface Mark {
  readonly group: LinkGroup;
  /** `tenantnet:<owner>` */
  readonly alias: string;
}

/**
 * Validates an ownership argument.
 *
 * @returns the mark, or undefined when there is no owner
 * @throws {InvalidInputError} naming `owner.owner` or `owner.group`
 */
export function ownershipMark(o: Ownership | undefined): Mark | undefined {
  if (o === undefined) return undefined;
  return {
    group: linkGroup(o.group, 'owner.group'),
    alias: `${OWNER_ALIAS_PREFIX}${token(o.owner, 'owner.owner')}`,
  };
}

/** The owner named by an ifalias, or null when the link carries no tenantnet mark. */
export function ownerOf(alias: string | null | undefined): string | null {
  return alias?.startsWith(OWNER_ALIAS_PREFIX) ? alias.slice(OWNER_ALIAS_PREFIX.length) : null;
}

/**
 * True when a link's ifalias is a tenantnet mark: of `owner` when given, of any owner otherwise.
 * Only such links may be deleted by owner-wide operations.
 */
export function isOwned(link: { readonly alias: string | null }, owner?: string): boolean {
  const o = ownerOf(link.alias);
  return o !== null && (owner === undefined || o === owner);
}

/**
 * The op that marks a new link as owned and/or brings it up: the kernel ignores ifalias at creation,
 * so the mark is a `link set` after the `link add`. Empty when there is nothing to set. Pure.
 *
 * Equivalent to: `ip link set dev NAME alias tenantnet:OWNER up`
 */
export function markOps(name: DeviceName, mark: Mark | undefined, up: boolean | undefined): IpOp[] {
  if (!mark && !up) return [];
  return [{ op: 'link.set', name, set: defined({ alias: mark?.alias, up: up ? true : undefined }) }];
}
