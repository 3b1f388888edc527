// Collecting every problem of a topology input, each at its path, and reading untyped input
// defensively (a JavaScript caller or a file can put anything anywhere). Neutron's API layer
// (neutron/api/v2/attributes + neutron_lib validators) checks one request at a time; a topology is
// checked whole, so problems are gathered instead of raised one by one.
import { InvalidInputError } from '../errors.js';
import { parseAddress } from '../net/cidr.js';
import { type ResourceName, userName } from '../net/ownership.js';
import type { IpAddress } from '../net/types.js';
import { ModelError } from './errors.js';
import type { ModelProblem } from './types.js';

/** The path of a value in the input: keys and list indexes (`['instances', 2, 'ip']`). */
export type Path = readonly (string | number)[];

/** An input object read without trusting its type. */
export type Raw = Readonly<Record<string, unknown>>;

/** A value shown in a message: JSON, cut at 60 characters. */
export function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** A path as people read it: `instances[2].ip`. */
export function pathText(path: Path): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/** Every problem found so far, in the order found. */
export class Problems {
  readonly list: ModelProblem[] = [];

  /** Records a problem with the value at `path`. */
  add(path: Path, message: string): void {
    this.list.push({ path: [...path], message });
  }

  /**
   * Runs a validator of `src/net` (which throws InvalidInputError) and returns its value; on failure
   * records the message at `path` and returns undefined. Other errors pass through.
   */
  check<T>(path: Path, validate: (where: string) => T): T | undefined {
    const where = String(path[path.length - 1] ?? 'value');
    try {
      return validate(where);
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      const prefix = `${where}: `;
      this.add(path, e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message);
      return undefined;
    }
  }

  /**
   * Throws a ModelError listing every problem found, in the order of the input (sections in the order
   * a topology file lists them, then list items by index), when there is any.
   *
   * @throws {ModelError}
   */
  throwIfAny(): void {
    if (this.list.length > 0) throw new ModelError(inInputOrder(this.list));
  }
}

/** The order of a topology file's sections. */
const SECTIONS = [
  'name',
  'backend',
  'defaults',
  'networks',
  'routers',
  'securityGroups',
  'instances',
  'floatingIps',
];

/** Where a problem sorts: its section in file order, then the list item (fields keep the order found). */
function rank(path: Path): [number, number] {
  const section = SECTIONS.indexOf(String(path[0]));
  return [section < 0 ? -1 : section, typeof path[1] === 'number' ? path[1] : -1];
}

/** The problems sorted by where they are in the input (stable: ties keep the order found). */
export function inInputOrder(problems: readonly ModelProblem[]): ModelProblem[] {
  return [...problems].sort((a, b) => {
    const [x, y] = [rank(a.path), rank(b.path)];
    return x[0] - y[0] || x[1] - y[1];
  });
}

/** The object at `path`, or undefined (with a problem) when the value is not a plain object. */
export function asObject(p: Problems, value: unknown, path: Path, what: string): Raw | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Raw;
  p.add(path, `${show(value)} is not ${what} (an object)`);
  return undefined;
}

/**
 * Records a problem for every key of `obj` that is not in `allowed` (a misspelt field would otherwise
 * be ignored silently).
 */
export function onlyKeys(p: Problems, obj: Raw, path: Path, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      p.add([...path, key], `unknown field ${show(key)} (known: ${allowed.join(', ')})`);
    }
  }
}

/** The list at `obj[key]`: [] when absent; [] with a problem when it is not a list. */
export function listField(p: Problems, obj: Raw, key: string, path: Path): readonly unknown[] {
  const v = obj[key];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  p.add([...path, key], `${show(v)} is not a list`);
  return [];
}

/** The boolean at `obj[key]`, `fallback` when absent; `fallback` with a problem when not a boolean. */
export function boolField(p: Problems, obj: Raw, key: string, path: Path, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v === 'boolean') return v;
  p.add([...path, key], `${show(v)} is not true or false`);
  return fallback;
}

/** The value at `obj[key]` when it is one of `choices`; `undefined` when absent or (with a problem) not one. */
export function choiceField<T extends string>(
  p: Problems,
  obj: Raw,
  key: string,
  path: Path,
  choices: readonly T[],
): T | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
  p.add([...path, key], `${show(v)} is not one of ${choices.join(', ')}`);
  return undefined;
}

/** A required name field (`network`, `instance`…): a user name, or undefined with a problem. */
export function nameField(
  p: Problems,
  obj: Raw,
  key: string,
  path: Path,
  what: string,
): ResourceName | undefined {
  if (obj[key] === undefined) {
    p.add(path, `${what} needs ${key === 'name' ? 'a name' : `a ${key}`}`);
    return undefined;
  }
  return p.check([...path, key], (w) => userName(obj[key] as string, w));
}

/** An optional address field, or null (with a problem when it is not an address). */
export function addressField(p: Problems, obj: Raw, key: string, path: Path): IpAddress | null {
  if (obj[key] === undefined) return null;
  return p.check([...path, key], (w) => parseAddress(obj[key], w)) ?? null;
}

/** An optional host (placement): `[a-z0-9-]{1,32}`, or null. */
export function hostField(p: Problems, obj: Raw, path: Path): ResourceName | null {
  if (obj.host === undefined) return null;
  return p.check([...path, 'host'], (w) => userName(obj.host as string, w)) ?? null;
}
