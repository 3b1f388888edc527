import { InvalidInputError } from '../errors.js';
import { deviceName } from '../net/types.js';

/** The `external_ids` key that marks rows tenantnet made; cleanup deletes only rows carrying it. */
export const OWNER_KEY = 'tenantnet-owner';

/** The VLAN tag Neutron gives a port whose network is not bound yet: traffic on it is dropped. */
export const DEAD_VLAN_TAG = 4095;

/**
 * Checks a bridge, port or interface name: a Linux device name, so the one rule of `src/ip` applies
 * (1-15 of A-Z a-z 0-9 _ . -; a longer name is refused, never truncated).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function ovsName(value: string, where: string): string {
  return deviceName(value, where);
}

/** Checks a VLAN tag (0-4095; 4095 is the dead VLAN). @throws {InvalidInputError} */
export function vlanTag(value: number, where: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 4095) {
    throw new InvalidInputError(`${where}: ${value} is not a VLAN tag (0-4095)`, where);
  }
  return value;
}

/** Checks string-to-string maps such as external_ids and options. @throws {InvalidInputError} */
export function stringMap(value: Readonly<Record<string, string>>, where: string): Record<string, string> {
  for (const [k, v] of Object.entries(value)) {
    if (k === '' || typeof v !== 'string') {
      throw new InvalidInputError(`${where}: key "${k}" must be non-empty with a string value`, where);
    }
  }
  return { ...value };
}
