// Text that goes into OVSDB string columns (external_ids, other_config, options keys and values,
// owner marks), checked where it enters the library. Neutron's ovsdbapp sends whatever it is given;
// ovsdb-server drops the whole connection on a NUL or a lone surrogate, failing every request in flight.
import { InvalidInputError } from '../errors.js';
import { lineText } from '../net/text.js';
import { illFormedAt } from './ovsdb/wire-text.js';

/**
 * Text for an OVSDB string column: no control characters (the house rule for text that other tools
 * print and parse line by line) and well-formed Unicode (a lone surrogate cannot be encoded as
 * UTF-8: the server would drop the connection). Anything else (quotes, spaces, `$(…)`, long or
 * non-ASCII text) is stored verbatim.
 *
 * @throws {InvalidInputError} naming `where`
 */
export function ovsdbText(value: string, where: string): string {
  const v = lineText(value, where);
  if (illFormedAt(v) >= 0) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not well-formed Unicode (a lone surrogate)`,
      where,
    );
  }
  return v;
}

/**
 * Checks a string-to-string map such as external_ids, other_config or options: every key
 * non-empty, keys and values {@link ovsdbText}. Returns a copy.
 *
 * @throws {InvalidInputError} naming `where` and the key
 */
export function stringMap(value: Readonly<Record<string, string>>, where: string): Record<string, string> {
  if (value === null || typeof value !== 'object') {
    throw new InvalidInputError(`${where}: must be an object of string keys and values`, where);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    ovsdbText(k, `${where} key`);
    if (k === '') throw new InvalidInputError(`${where}: a key must not be empty`, where);
    out[k] = ovsdbText(v, `${where}[${JSON.stringify(k)}]`);
  }
  return out;
}
