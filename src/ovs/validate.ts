import { InvalidInputError } from '../errors.js';

/** The `external_ids` key that marks rows tenantnet made; cleanup deletes only rows carrying it. */
export const OWNER_KEY = 'tenantnet-owner';

/** The VLAN tag Neutron gives a port whose network is not bound yet: traffic on it is dropped. */
export const DEAD_VLAN_TAG = 4095;

/**
 * Checks a bridge, port or interface name (a Linux device name: 1-15 of A-Z a-z 0-9 _ . -).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function ovsName(value: string, where: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]{1,15}$/.test(value)) {
    throw new InvalidInputError(
      `${where}: "${value}" is not a valid name (1-15 of A-Z a-z 0-9 _ . -)`,
      where,
    );
  }
  return value;
}

/** Checks a VLAN tag (0-4095; 4095 is the dead VLAN). @throws {InvalidInputError} */
export function vlanTag(value: number, where: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 4095) {
    throw new InvalidInputError(`${where}: ${value} is not a VLAN tag (0-4095)`, where);
  }
  return value;
}

/** Checks an MTU (68-65535). @throws {InvalidInputError} */
export function mtu(value: number, where: string): number {
  if (!Number.isInteger(value) || value < 68 || value > 65535) {
    throw new InvalidInputError(`${where}: ${value} is not an MTU (68-65535)`, where);
  }
  return value;
}

/** Checks and lower-cases a MAC address (six colon-separated hex pairs). @throws {InvalidInputError} */
export function macAddress(value: string, where: string): string {
  if (typeof value !== 'string' || !/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/.test(value)) {
    throw new InvalidInputError(`${where}: "${value}" is not a MAC address (aa:bb:cc:dd:ee:ff)`, where);
  }
  return value.toLowerCase();
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
