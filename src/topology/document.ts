// A topology file's text read into plain data that keeps its positions: YAML 1.2 (JSON read as JSON,
// strictly), every syntax error and duplicate key with its line and column, hostile text bounded
// (size, nesting, alias expansion), and `locate(path)` from a path back to `FILE:LINE:COL`. No
// Neutron counterpart: Neutron reads requests, not files.
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type YAMLError,
} from 'yaml';
import { type FilePath, fileProblem, type Location, TopologyError, type TopologyProblem } from './errors.js';

/** The largest topology file read, in bytes (4 MiB): a file past it is refused, unread. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** The deepest nesting of lists and mappings accepted (a topology needs 6). */
export const MAX_DEPTH = 64;
/** The most values a file may expand to, aliases counted each time they are used. */
export const MAX_VALUES = 1_000_000;

/** How a file is written. */
export type TopologyFormat = 'yaml' | 'json';

/** Where a problem about the value at a path points. */
export type Anchor =
  /** the value itself (the default) */
  | 'value'
  /** the key that holds it: an unknown key */
  | 'key';

/** A file read into plain data, with the way back from a path to a position. */
export interface ParsedDocument {
  readonly file: string;
  readonly format: TopologyFormat;
  /** The file's content as plain data: objects (own keys only), arrays, strings, numbers, booleans, null. */
  readonly data: unknown;
  /**
   * The position of the value at `path` (or of its key). A path that goes further than the file does
   * (a missing key) points at the deepest mapping or list it reaches.
   */
  locate(path: FilePath, anchor?: Anchor): Location;
}

/**
 * The format of a file: by its extension (`.json`; `.yaml`, `.yml`), otherwise sniffed (a file whose
 * first non-blank character is `{` is JSON). Pure.
 */
export function formatOf(file: string, text: string): TopologyFormat {
  const ext = /\.([A-Za-z]+)$/.exec(file)?.[1]?.toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  return /^\s*\{/.test(text) ? 'json' : 'yaml';
}

/** Line and column (1-based, in UTF-16 units) of an offset, counted in `text` itself. */
function positionIn(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  return { line, col: before.length - before.lastIndexOf('\n') };
}

/** JSON's own syntax check, so a JSON file is JSON (YAML would accept `{a: yes}`). */
function checkJson(text: string, file: string): void {
  try {
    JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = /at position (\d+)/.exec(message);
    const { line, col } = positionIn(text, at ? Number(at[1]) : 0);
    const what = message.replace(/\s*\(line \d+ column \d+\)$/, '').replace(/ in JSON at position \d+$/, '');
    throw new TopologyError([{ file, line, col, path: [], message: `not valid JSON: ${what}` }]);
  }
}

function yamlProblems(errors: readonly YAMLError[], lc: LineCounter, file: string): TopologyProblem[] {
  const seen = new Set<string>();
  const out: TopologyProblem[] = [];
  for (const e of errors) {
    // A stack overflow is reported once per level it unwinds through: once is enough.
    const key = e.code === 'RESOURCE_EXHAUSTION' ? e.code : `${e.code}@${e.pos[0]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { line, col } = lc.linePos(e.pos[0]);
    const message =
      e.code === 'DUPLICATE_KEY'
        ? 'duplicate key: a key may appear once in a mapping'
        : e.code === 'RESOURCE_EXHAUSTION'
          ? `nested too deeply to read (at most ${MAX_DEPTH} levels)`
          : e.code === 'TAG_RESOLVE_FAILED'
            ? `${e.message} (tags are not used in a topology file)`
            : `not valid YAML: ${e.message}`;
    out.push({ file, line, col, path: [], message });
  }
  return out;
}

/** The tags of plain values, lists and mappings (what `!!str 80` may name); others (`!!binary`) are refused. */
const PLAIN_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'seq', 'map'].map((t) => `tag:yaml.org,2002:${t}`),
);

/** A node with aliases followed (null for an alias to nothing). */
function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? (node.resolve(doc) ?? null) : node;
}

/** The text a scalar key stands for in plain data (`1` and `true` as keys are the strings "1", "true"). */
function keyText(key: unknown): string | null {
  if (!isScalar(key)) return null;
  const v = key.value;
  return typeof v === 'string' ? v : v === null ? 'null' : String(v);
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not assignment: a `__proto__` key stays an own key and never sets a prototype.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The document as plain data, built iteratively with its limits: nesting (which also stops an alias
 * that contains itself), values produced (alias bombs), keys that are not scalars.
 */
function toData(doc: Document, lc: LineCounter, file: string): unknown {
  const problem = (node: unknown, message: string): TopologyError => {
    const range = (node as { range?: [number, number, number] | null }).range;
    const { line, col } = lc.linePos(range?.[0] ?? 0);
    return new TopologyError([{ file, line, col, path: [], message }]);
  };
  let produced = 0;
  const convert = (start: unknown, depth: number): unknown => {
    const node = deref(doc, start);
    if (++produced > MAX_VALUES) {
      throw problem(
        start,
        `the file expands to more than ${MAX_VALUES} values (aliases count each time used)`,
      );
    }
    const tag = (node as { tag?: string } | null)?.tag;
    if (tag !== undefined && !PLAIN_TAGS.has(tag)) {
      throw problem(
        start,
        `the tag ${tag.replace('tag:yaml.org,2002:', '!!')} is not used in a topology file (only plain values, lists and mappings)`,
      );
    }
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) return v;
      return String(v); // not reached with the core schema's plain tags; text if it ever is
    }
    if (depth >= MAX_DEPTH) {
      throw problem(start, `nested deeper than ${MAX_DEPTH} levels (or an alias that contains itself)`);
    }
    if (isSeq(node)) return node.items.map((item) => convert(item, depth + 1));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = keyText(deref(doc, pair.key));
        if (key === null)
          throw problem(pair.key ?? node, 'a key must be a plain word, not a list or mapping');
        setOwn(out, key, pair.value === null ? null : convert(pair.value, depth + 1));
      }
      return out;
    }
    return null;
  };
  return convert(doc.contents, 0);
}

/** The start offset of a node (0 when it has no range). */
function startOf(node: unknown): number {
  return (node as { range?: [number, number, number] | null } | null)?.range?.[0] ?? 0;
}

function locator(doc: Document, lc: LineCounter, file: string) {
  return (path: FilePath, anchor: Anchor = 'value'): Location => {
    let node: unknown = deref(doc, doc.contents);
    let at = startOf(node);
    for (const [i, seg] of path.entries()) {
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(deref(doc, p.key)) === String(seg));
        if (!pair) break;
        const value = deref(doc, pair.value);
        // An empty value (`gateway:`) has no node of its own: its key stands for it.
        at = last && anchor === 'key' ? startOf(pair.key) : value ? startOf(value) : startOf(pair.key);
        node = value;
      } else if (isSeq(node) && typeof seg === 'number' && seg >= 0 && seg < node.items.length) {
        node = deref(doc, node.items[seg]);
        at = startOf(node);
      } else break;
    }
    const { line, col } = lc.linePos(at);
    return { file, line, col };
  };
}

/**
 * Reads a topology file's text: JSON or YAML 1.2 (one document), duplicate keys refused, tags refused,
 * at most {@link MAX_FILE_BYTES}, {@link MAX_DEPTH} levels and {@link MAX_VALUES} values.
 *
 * @param file the name problems are reported under
 * @param format default: by {@link formatOf}
 * @returns the data and a locator; the data is not checked against the schema yet
 * @throws {TopologyError} with every syntax problem found, each located; for a file that is empty or
 *   not a mapping
 */
export function parseText(text: string, file: string, format?: TopologyFormat): ParsedDocument {
  if (typeof text !== 'string')
    throw new TopologyError([{ file, line: 1, col: 1, path: [], message: 'not text' }]);
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
    throw new TopologyError([
      { file, line: 1, col: 1, path: [], message: `larger than ${MAX_FILE_BYTES} bytes: not read` },
    ]);
  }
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const fmt = format ?? formatOf(file, body);
  if (fmt === 'json') checkJson(body, file);

  const lc = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(body, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The parser recurses on nesting; a stack overflow is the file's depth, not a bug to pass on.
    if (e instanceof RangeError)
      throw fileProblem(file, `nested too deeply to read (at most ${MAX_DEPTH} levels)`);
    throw e;
  }
  const problems = yamlProblems([...doc.errors, ...doc.warnings], lc, file);
  if (problems.length > 0) throw new TopologyError(problems);

  const contents = deref(doc, doc.contents);
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    throw fileProblem(file, 'the file is empty: a topology is a mapping with at least a name');
  }
  if (!isMap(contents)) {
    const { line, col } = lc.linePos(startOf(contents));
    const what = isSeq(contents) ? 'a list' : 'a single value';
    throw new TopologyError([
      { file, line, col, path: [], message: `a topology is a mapping (name: …, networks: …), not ${what}` },
    ]);
  }
  return { file, format: fmt, data: toData(doc, lc, file), locate: locator(doc, lc, file) };
}
