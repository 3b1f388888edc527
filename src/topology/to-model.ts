// A topology file's data as the model's input (snake_case keys to their camelCase twins; the network's
// `cidr`/`gateway`/`dhcp`/`dns` shorthand stays the model's own shorthand), and the model built from
// it with every problem pointed back into the file. The step Neutron's API layer takes from a request
// body to its resource attributes (neutron/api/v2/base.py _prepare_request_body).
import { type BuildOptions, buildModel, type Model, ModelError, type TopologyInput } from '../model/index.js';
import { type Check, type ResolvedCheck, resolveChecks } from './checks.js';
import { type FilePath, type Location, TopologyError, type TopologyProblem } from './errors.js';
import { FILE_KEYS, filePath, fileWords } from './keys.js';

/** What a loaded topology file hands the model step (see `loadTopology`). */
export interface TopologySource {
  readonly input: TopologyInput;
  readonly checks: readonly Check[];
  locate(path: FilePath, anchor?: 'value' | 'key'): Location;
}

// The file's top-level keys that are not part of the model's input.
const NOT_MODEL = new Set(['checks', '$schema']);
const MAX_DEPTH = 64;

function translate(value: unknown, depth: number, top: boolean): unknown {
  if (depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) return value.map((v) => translate(v, depth + 1, false));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const camel = FILE_KEYS.get(key);
    // A key the file's vocabulary lacks is the schema's problem (reported there, with its position);
    // leaving it out here keeps the model from reporting it twice, and `__proto__` from going anywhere.
    if (camel === undefined || (top && NOT_MODEL.has(key))) continue;
    Object.defineProperty(out, camel, {
      value: translate(v, depth + 1, false),
      enumerable: true,
      writable: true,
    });
  }
  return out;
}

/**
 * A topology file's data (snake_case keys, as the file has them) as the model's `TopologyInput`
 * (camelCase). Keys the file's schema does not know, `checks` and `$schema` are left out. Data that
 * does not have the schema's shape is translated as far as it goes (the model reads its input
 * defensively and reports what is wrong). Pure.
 */
export function toTopologyInput(data: unknown): TopologyInput {
  return translate(data, 0, true) as TopologyInput;
}

/** A model problem in the file's terms: its path in the file's keys, its message in the file's words. */
export function fromModelProblem(p: {
  readonly path: readonly (string | number)[];
  readonly message: string;
}): {
  path: FilePath;
  message: string;
} {
  return { path: filePath(p.path), message: fileWords(p.message) };
}

/** Every problem of a ModelError, located in the file. */
export function locateModelError(e: ModelError, locate: TopologySource['locate']): TopologyProblem[] {
  return e.problems.map((p) => {
    const f = fromModelProblem(p);
    return { ...locate(f.path), ...f };
  });
}

/** A topology built: the resolved model and the checks resolved against it. */
export interface BuiltTopology {
  readonly model: Model;
  readonly checks: readonly ResolvedCheck[];
}

/**
 * Builds the model of a loaded topology file (`buildModel`) and resolves its checks against it.
 * `options.previous` keeps the addresses, MACs and VNIs applied last time.
 *
 * @returns the model and the resolved checks
 * @throws {TopologyError} with every problem located in the file (a loaded file was already checked
 *   without `previous`; a problem here is rare, e.g. a subnet the previous model filled)
 */
export function buildTopology(source: TopologySource, options: BuildOptions = {}): BuiltTopology {
  let model: Model;
  try {
    model = buildModel(source.input, options);
  } catch (e) {
    if (e instanceof ModelError) throw new TopologyError(locateModelError(e, source.locate));
    throw e;
  }
  const { resolved, problems } = resolveChecks(source.checks, model);
  if (problems.length > 0) throw new TopologyError(problems.map((p) => ({ ...source.locate(p.path), ...p })));
  return { model, checks: resolved };
}
