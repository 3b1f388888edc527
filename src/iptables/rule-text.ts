// Shell-like splitting of rule text and xtables_save_string quoting (iptables' own quoting rules).
import { InvalidInputError } from '../errors.js';

/**
 * Splits a rule the way a shell would for the cases iptables rules use: whitespace separates,
 * double or single quotes group, a backslash inside double quotes escapes the next character.
 * Pure.
 *
 * @throws {InvalidInputError} on an unterminated quote
 */
export function tokenize(rule: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < rule.length; i++) {
    const c = rule[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < rule.length) cur += rule[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inToken = true;
    } else if (/\s/.test(c)) {
      if (inToken) out.push(cur);
      cur = '';
      inToken = false;
    } else {
      cur += c;
      inToken = true;
    }
  }
  if (quote) throw new InvalidInputError(`iptables rule: unterminated ${quote} quote in "${rule}"`);
  if (inToken) out.push(cur);
  return out;
}

const NO_QUOTE = /^[A-Za-z0-9_-]+$/;

/**
 * Quotes a string value as iptables-save prints it (xtables_save_string): bare when it is only
 * `A-Z a-z 0-9 _ -`, otherwise in double quotes with `"`, `\` and `'` escaped by a backslash. Pure.
 */
export function saveString(value: string): string {
  if (NO_QUOTE.test(value)) return value;
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

/** Joins tokens back into a rule line, quoting each token that needs it as iptables-save does. */
export function joinTokens(tokens: readonly string[]): string {
  return tokens.map((t) => (t === '' || /[\s"'\\]/.test(t) ? saveString(t) : t)).join(' ');
}

/**
 * True when `text` has no control character (as net/text.ts defines them): only such text read
 * from iptables-save may ever be sent back in a restore line, so that nothing a foreign rule holds
 * can end a line of tenantnet's input.
 */
export function isOneLine(text: string): boolean {
  return !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text);
}
