// The one rule for text that reaches a line protocol (ip batch lines, iptables/ipset restore input,
// ovs-ofctl bundles, process argv, file paths): checked where it enters the library, refused with
// an InvalidInputError naming the argument, before anything runs.
import { InvalidInputError } from '../errors.js';

// C0 controls (NUL, newline, carriage return, tab…), DEL, C1 controls (NEL among them) and the
// Unicode line and paragraph separators: any of them can end or corrupt a line of a line protocol.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function describe(value: string): string {
  const m = CONTROL.exec(value);
  if (!m) return '';
  const code = m[0].codePointAt(0)!;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A string argument, or an InvalidInputError naming `where`. */
export function requireString(value: unknown, where: string): string {
  if (typeof value !== 'string') {
    throw new InvalidInputError(`${where}: ${JSON.stringify(value) ?? String(value)} is not a string`, where);
  }
  return value;
}

/**
 * Text with no control characters (newline, NUL, tab, DEL, C1, U+2028/9): safe inside one line.
 *
 * @throws {InvalidInputError} naming `where` and the character
 */
export function lineText(value: unknown, where: string): string {
  const v = requireString(value, where);
  if (CONTROL.test(v)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} contains the control character ${describe(v)}, which could end a line of input`,
      where,
    );
  }
  return v;
}

/**
 * One argv word a program will parse: no control characters, not empty, and no leading `-` (which
 * the program could take for an option).
 *
 * @throws {InvalidInputError} naming `where`
 */
export function argWord(value: unknown, where: string): string {
  const v = lineText(value, where);
  if (v === '') throw new InvalidInputError(`${where}: must not be empty`, where);
  if (v.startsWith('-')) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} starts with "-" and could be read as an option`,
      where,
    );
  }
  return v;
}

/**
 * One file-name segment (joined under a directory tenantnet owns): no control characters, no `/`,
 * not `.` or `..`, not empty, no leading `-`, at most 200 characters.
 *
 * @throws {InvalidInputError} naming `where`
 */
export function pathSegment(value: unknown, where: string): string {
  const v = argWord(value, where);
  if (v.includes('/') || v === '.' || v === '..' || v.length > 200) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not a plain file name (no "/", not "." or "..", at most 200 characters)`,
      where,
    );
  }
  return v;
}
