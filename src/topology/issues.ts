// The schema's verdict on a file, as problems a person can act on: zod issues turned into one message
// per problem, each with the path it is about and where it points (an unknown key at the key, a missing
// key at its mapping, anything else at the value). Unions are resolved to the branch the value meant.
import { z } from 'zod';
import type { FilePath } from './errors.js';
import { topologySchema } from './schema.js';

/** A problem with the file's shape, not yet located. */
export interface ShapeProblem {
  /** The value's path; for a missing key, the path it would have. */
  readonly path: FilePath;
  readonly message: string;
  /** A missing key: its name (the problem points at the mapping that lacks it). */
  readonly missing?: string;
  /** Point at the key rather than the value (an unknown key). */
  readonly atKey?: boolean;
}

/** A value shown in a message: JSON (numbers as JavaScript prints them), cut at 60 characters. Pure. */
export function show(value: unknown): string {
  const s =
    typeof value === 'number' && !Number.isFinite(value)
      ? String(value)
      : (JSON.stringify(value) ?? String(value));
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

const NOUNS: Readonly<Record<string, string>> = {
  networks: 'a network',
  subnets: 'a subnet',
  routers: 'a router',
  interfaces: 'a router interface',
  routes: 'a route',
  security_groups: 'a security group',
  rules: 'a rule',
  instances: 'an instance',
  allowed_address_pairs: 'an allowed address pair',
  floating_ips: 'a floating IP',
  checks: 'a check',
};

/** What the mapping at `path` is, for "a network needs …". */
function nounAt(path: FilePath): string {
  const last = path[path.length - 1];
  if (last === undefined) return 'a topology';
  if (typeof last === 'number') return NOUNS[String(path[path.length - 2])] ?? 'an entry';
  if (last === 'gateway') return 'a router gateway';
  return last;
}

/** How a path reads in a message: `mtu`, `interfaces[0]`, `name`. */
function field(path: FilePath): string {
  const last = path[path.length - 1];
  if (typeof last !== 'number') return String(last ?? 'the file');
  return `${String(path[path.length - 2] ?? '')}[${last}]`;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  int: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

/** The schema node a path leads to (optional wrappers removed, unions to their mapping), or null. */
function schemaAt(path: FilePath): z.ZodType | null {
  let s: z.ZodType = topologySchema;
  const unwrap = (t: z.ZodType): z.ZodType =>
    t instanceof z.ZodOptional ? unwrap(t.unwrap() as z.ZodType) : t;
  for (const seg of path) {
    s = unwrap(s);
    if (s instanceof z.ZodUnion) {
      const options = s.options as readonly z.ZodType[];
      s =
        options.find((o) => (typeof seg === 'number' ? o instanceof z.ZodArray : o instanceof z.ZodObject)) ??
        s;
    }
    if (s instanceof z.ZodObject && typeof seg === 'string' && Object.hasOwn(s.shape, seg)) {
      s = s.shape[seg] as z.ZodType;
    } else if (s instanceof z.ZodArray && typeof seg === 'number') {
      s = s.element as z.ZodType;
    } else return null;
  }
  s = unwrap(s);
  if (s instanceof z.ZodUnion) {
    s = (s.options as readonly z.ZodType[]).find((o) => o instanceof z.ZodObject) ?? s;
  }
  return s;
}

/** The keys the mapping at `path` may have, in schema order. Pure. */
export function knownKeys(path: FilePath): string[] {
  const s = schemaAt(path);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** `unknown key "securityGroups" (did you mean "security_groups"?)` or the list of known keys. */
function unknownKey(key: string, known: readonly string[]): string {
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).toLowerCase();
  const near =
    known.find((k) => k === snake) ??
    (key.length <= 40
      ? known
          .map((k) => [k, distance(key.toLowerCase(), k)] as const)
          .filter(([, d]) => d <= 2)
          .sort((a, b) => a[1] - b[1])[0]?.[0]
      : undefined);
  if (near) return `unknown key ${show(key)} (did you mean ${show(near)}?)`;
  return `unknown key ${show(key)} (known here: ${known.join(', ')})`;
}

type Issue = z.core.$ZodIssue;

/** True when a union branch failed only because the value is not of its type. */
function wrongType(branch: readonly Issue[]): boolean {
  return branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0;
}

function convert(issue: Issue, base: FilePath, out: ShapeProblem[]): void {
  const path: FilePath = [...base, ...(issue.path as (string | number)[])];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type': {
      if (input === undefined) {
        const key = String(path[path.length - 1]);
        out.push({ path, missing: key, message: `${nounAt(path.slice(0, -1))} needs ${show(key)}` });
      } else {
        const got =
          issue.expected === 'number' && (issue as { received?: string }).received === 'NaN' ? NaN : input;
        // z.int() says "number" when the value is not one at all; the reader wants to hear "integer".
        const s = issue.expected === 'number' ? schemaAt(path) : null;
        const expected = s instanceof z.ZodNumber && s.isInt ? 'int' : issue.expected;
        out.push({
          path,
          message: `${field(path)}: expected ${EXPECTED[expected] ?? expected}, got ${show(got)}`,
        });
      }
      return;
    }
    case 'invalid_value':
      out.push({
        path,
        message: `${field(path)}: ${show(input)} is not one of ${issue.values.map((v) => String(v)).join(', ')}`,
      });
      return;
    case 'unrecognized_keys': {
      const known = knownKeys(path);
      for (const key of issue.keys)
        out.push({ path: [...path, key], atKey: true, message: unknownKey(key, known) });
      return;
    }
    case 'invalid_union': {
      const branches = issue.errors as readonly (readonly Issue[])[];
      const meant = branches.find((b) => !wrongType(b));
      if (meant) {
        for (const i of meant) convert(i, path, out);
        return;
      }
      const types = branches.map((b) => {
        const i = b[0];
        return i?.code === 'invalid_type' ? (EXPECTED[i.expected] ?? i.expected) : 'something else';
      });
      out.push({
        path,
        message: `${field(path)}: expected ${[...new Set(types)].join(' or ')}, got ${show(input)}`,
      });
      return;
    }
    case 'too_big':
    case 'too_small':
      out.push({ path, message: `${field(path)}: ${show(input)} is out of range` });
      return;
    default:
      out.push({ path, message: `${field(path)}: ${issue.message}` });
  }
}

/**
 * Checks plain data against the topology file's schema.
 *
 * @returns every shape problem (none when the data has the file's shape), in the order zod found them
 */
export function shapeProblems(data: unknown): ShapeProblem[] {
  const r = topologySchema.safeParse(data, { reportInput: true });
  if (r.success) return [];
  const out: ShapeProblem[] = [];
  for (const issue of r.error.issues) convert(issue, [], out);
  return out;
}
