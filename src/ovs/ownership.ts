// The owner mark on OVS rows: `external_ids:tenantnet-owner=<owner>` on every Bridge, Port and
// Interface row tenantnet makes; cleanup and observe go by it. Neutron marks rows the same way
// (external_ids iface-id, attached-mac); ovsdbapp's may_exist/if_exists rely on such marks.
import { InvalidInputError } from '../errors.js';
import type { Condition } from './ovsdb/operations.js';
import { ovsMap } from './ovsdb/values.js';
import { ovsdbText } from './text.js';

/** The `external_ids` key that marks rows tenantnet made; cleanup deletes only rows carrying it. */
export const OWNER_KEY = 'tenantnet-owner';

/**
 * Checks an owner value: non-empty text that is safe on the wire (see {@link ovsdbText}).
 *
 * @throws {InvalidInputError} naming `where`
 */
export function ownerValue(value: string, where = 'owner'): string {
  const v = ovsdbText(value, where);
  if (v === '') throw new InvalidInputError(`${where}: must not be empty`, where);
  return v;
}

/** `external_ids includes {tenantnet-owner: owner}`: the server-side filter for one owner's rows. */
export function ownedBy(owner: string): Condition {
  return ['external_ids', 'includes', ovsMap({ [OWNER_KEY]: owner })];
}
