export {
  DEFAULT_OVSDB_SOCKET,
  type Monitor,
  OvsdbClient,
  type OvsdbClientOptions,
  type TransactOptions,
} from './client.js';
export {
  OvsdbConnectionError,
  OvsdbConstraintViolationError,
  OvsdbError,
  OvsdbOperationError,
  OvsdbReferentialIntegrityError,
  OvsdbRpcError,
  OvsdbSyntaxError,
  OvsdbTimedOutError,
  operationError,
} from './errors.js';
export { JsonSplitter } from './framing.js';
export type { MonitorHandler, MonitorRequests, RowUpdate, TableUpdates } from './monitor-updates.js';
export {
  byUuid,
  type Condition,
  encodeOperation,
  type Mutation,
  type Operation,
  type OperationResult,
  Transaction,
} from './operations.js';
export {
  atomText,
  decodeRow,
  decodeValue,
  encodeRow,
  encodeValue,
  mapRecord,
  NamedUuid,
  namedUuid,
  type OvsdbAtom,
  OvsdbMap,
  type OvsdbRow,
  OvsdbSet,
  type OvsdbValue,
  optional,
  ovsMap,
  ovsSet,
  setItems,
  Uuid,
  uuid,
} from './values.js';
