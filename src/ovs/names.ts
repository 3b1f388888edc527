// Names on the switch: bridge, port and interface names (device names that ovs-ofctl and ip also
// parse) and OVSDB table/column identifiers. Neutron: ovs_lib's bridge and port name arguments.
import { InvalidInputError } from '../errors.js';
import { argWord } from '../net/text.js';
import { type DeviceName, deviceName } from '../net/types.js';

/**
 * Checks a bridge, port or interface name: a Linux device name (1-15 of A-Z a-z 0-9 _ . -; a longer
 * name is refused, never truncated) that does not start with `-`, because `ovs-ofctl BR` and `ip`
 * would read such a name as an option.
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function ovsName(value: string, where: string): DeviceName {
  const name = deviceName(value, where);
  argWord(name, where);
  return name;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Checks an OVSDB table or column name (an identifier: a letter or `_`, then letters, digits and
 * `_`). Used where a caller names a table or column, so that nothing else reaches the wire there.
 *
 * @throws {InvalidInputError} naming `where`
 */
export function ovsdbIdentifier(value: string, where: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(value)} is not an OVSDB table or column name (A-Z a-z 0-9 _)`,
      where,
    );
  }
  return value;
}
