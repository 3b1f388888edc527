// Loading a topology file: read it (bounded), parse it with positions, check its shape (the zod
// schema), build the model from it and resolve its checks, and report every problem of every step
// together as `FILE:LINE:COL: message`. The entry point of `tenantnet plan/apply/verify` and of a
// library user holding a file; Neutron's API does the same for one request body.
import { open, stat } from 'node:fs/promises';
import { InvalidInputError } from '../errors.js';
import { buildModel, ModelError, type TopologyInput } from '../model/index.js';
import { type Check, type CheckProblem, checkReferences, readChecks, resolveChecks } from './checks.js';
import { MAX_FILE_BYTES, parseText, type TopologyFormat } from './document.js';
import { type FilePath, fileProblem, type Location, TopologyError, type TopologyProblem } from './errors.js';
import { type ShapeProblem, shapeProblems } from './issues.js';
import { filePath } from './keys.js';
import { fromModelProblem, type TopologySource, toTopologyInput } from './to-model.js';

/** A topology given as text. */
export interface TopologyText {
  readonly text: string;
  /** The name problems are reported under (default `<topology>`); its extension picks the format. */
  readonly file?: string;
  /** Default: by the file's extension, else sniffed (`{` first: JSON). */
  readonly format?: TopologyFormat;
}

/** A topology file, read and checked: everything a model build needs, and the way back to positions. */
export interface LoadedTopology extends TopologySource {
  readonly file: string;
  readonly format: TopologyFormat;
  /** The model's input: the file's content with camelCase keys (no `checks`). */
  readonly input: TopologyInput;
  /** The file's checks, defaults filled in, in file order. */
  readonly checks: readonly Check[];
  /**
   * The position of the value at `path` (or of its key): a path in the file's keys or in the model's
   * (`['instances', 0, 'securityGroups']`); a path past what the file has points at the deepest
   * mapping or list it reaches.
   */
  locate(path: FilePath, anchor?: 'value' | 'key'): Location;
}

const startsWith = (path: FilePath, prefix: FilePath) =>
  prefix.length <= path.length && prefix.every((seg, i) => seg === path[i]);
const same = (a: FilePath, b: FilePath) => a.length === b.length && startsWith(a, b);

/**
 * The shape's and the model's problems together, each reported once: a model problem about a value
 * the schema already refused is dropped; a key the schema finds missing is dropped when the model
 * says so itself (its message names what the key is for).
 */
function merge(
  shape: readonly ShapeProblem[],
  model: readonly CheckProblem[],
): (ShapeProblem | CheckProblem)[] {
  const refused = shape.filter((s) => s.missing === undefined);
  const fromModel = model.filter((m) => !refused.some((s) => startsWith(m.path, s.path)));
  const fromShape = shape.filter((s) => {
    if (s.missing === undefined) return true;
    const parent = s.path.slice(0, -1);
    const needs = new RegExp(`needs an? ${s.missing.replace(/[^a-z0-9_]/gi, '')}\\b`);
    return !fromModel.some((m) => same(m.path, s.path) || (same(m.path, parent) && needs.test(m.message)));
  });
  return [...fromShape, ...fromModel];
}

/**
 * Parses and checks a topology given as text: YAML or JSON, its shape (unknown keys, types), the
 * model (`buildModel`: names, references, addresses, overlaps, device names) and the checks (names,
 * ports). Pure: no I/O.
 *
 * @returns the loaded topology: the model's input, the checks, and `locate`
 * @throws {TopologyError} listing every problem found, sorted by position, as `FILE:LINE:COL: message`
 * @throws {InvalidInputError} for a source that is not `{ text, file?, format? }`
 */
export function parseTopology(source: TopologyText): LoadedTopology {
  if (typeof source !== 'object' || source === null) {
    throw new InvalidInputError('source: expected a path or { text, file?, format? }', 'source');
  }
  const file = source.file ?? '<topology>';
  if (typeof file !== 'string') throw new InvalidInputError('source.file: expected a string', 'source.file');
  if (source.format !== undefined && source.format !== 'yaml' && source.format !== 'json') {
    throw new InvalidInputError('source.format: expected yaml or json', 'source.format');
  }
  const doc = parseText(source.text, file, source.format);
  const data = doc.data as Readonly<Record<string, unknown>>;
  const shape = shapeProblems(data);
  const input = toTopologyInput(data);

  const semantic: CheckProblem[] = [];
  let model: ReturnType<typeof buildModel> | null = null;
  try {
    model = buildModel(input);
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    semantic.push(...e.problems.map(fromModelProblem));
  }
  const read = readChecks(data.checks);
  semantic.push(...read.problems, ...checkReferences(read.checks, input));
  if (model) semantic.push(...resolveChecks(read.checks, model).problems);

  const problems: TopologyProblem[] = merge(shape, semantic).map((p) => {
    const at = 'missing' in p && p.missing !== undefined ? p.path.slice(0, -1) : p.path;
    return { ...doc.locate(at, 'atKey' in p && p.atKey ? 'key' : 'value'), path: p.path, message: p.message };
  });
  if (problems.length > 0) throw new TopologyError(problems);

  return {
    file,
    format: doc.format,
    input,
    checks: read.checks.filter((c): c is Check => c !== null),
    locate: (path, anchor) => doc.locate(filePath(path), anchor),
  };
}

/**
 * Reads a topology file (at most 4 MiB of UTF-8, a regular file) and checks it as
 * {@link parseTopology} does; or checks text given directly.
 *
 * @param source a file path, or `{ text, file?, format? }`
 * @returns the loaded topology
 * @throws {TopologyError} for a file that cannot be read (missing, not a regular file, too large, not
 *   UTF-8) and for every problem {@link parseTopology} finds
 */
export async function loadTopology(source: string | TopologyText): Promise<LoadedTopology> {
  if (typeof source !== 'string') return parseTopology(source);
  return parseTopology({ text: await readBounded(source), file: source });
}

async function readBounded(file: string): Promise<string> {
  const fail = (why: string) => fileProblem(file, `cannot read the topology file: ${why}`);
  if (file === '' || file.includes('\0')) throw fail('not a file name');
  const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw fail(e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message);
  });
  // A FIFO or a device would block or never end: only regular files are read.
  if (!info.isFile()) throw fail(info.isDirectory() ? 'it is a directory' : 'not a regular file');
  if (info.size > MAX_FILE_BYTES) throw fail(`larger than ${MAX_FILE_BYTES} bytes`);
  const handle = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    throw fail(e.code === 'EACCES' ? 'permission denied' : e.message);
  });
  try {
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_FILE_BYTES) throw fail(`larger than ${MAX_FILE_BYTES} bytes`);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      throw fail('not UTF-8 text');
    }
  } finally {
    await handle.close();
  }
}
