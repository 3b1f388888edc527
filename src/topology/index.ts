// The topology file: its zod schema and published JSON Schema, the loader (YAML/JSON with
// FILE:LINE:COL problems), the translation into the model, and the verify checks it declares.
export {
  type Check,
  type CheckEndpoint,
  type CheckExpectation,
  type CheckProblem,
  type CheckProtocol,
  checkReferences,
  type ResolvedCheck,
  readChecks,
  resolveChecks,
} from './checks.js';
export {
  formatOf,
  MAX_DEPTH,
  MAX_FILE_BYTES,
  MAX_VALUES,
  type ParsedDocument,
  parseText,
  type TopologyFormat,
} from './document.js';
export {
  type FilePath,
  formatProblem,
  type Location,
  TopologyError,
  type TopologyProblem,
} from './errors.js';
export {
  keyReference,
  referenceInDoc,
  SCHEMA_FILE,
  TOPOLOGY_DOC,
  topologyJsonSchema,
  topologyJsonSchemaText,
} from './json-schema.js';
export { camelKey, filePath, fileWords } from './keys.js';
export { type LoadedTopology, loadTopology, parseTopology, type TopologyText } from './load.js';
export { type CheckEntry, checkSchema, type TopologyFile, topologySchema } from './schema.js';
export {
  type BuiltTopology,
  buildTopology,
  fromModelProblem,
  type TopologySource,
  toTopologyInput,
} from './to-model.js';
