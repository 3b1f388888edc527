// The native OVSDB client's public face (RFC 7047; ovsdbapp's backend, without the IDL): the client,
// its transport seam, typed values and operations, and its errors. Framing and wire encoding stay internal.
export {
  DEFAULT_OVSDB_SOCKET,
  OvsdbClient,
  type OvsdbClientOptions,
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
  OvsdbVswitchdTimeoutError,
} from './errors.js';
export type { MonitorHandler, MonitorRequests, RowUpdate, TableUpdates } from './monitor-updates.js';
export {
  byName,
  byUuid,
  type Condition,
  type Mutation,
  mergeMapOps,
  type Operation,
  type OperationResult,
  Transaction,
} from './operations.js';
export type { Monitor, OvsdbTransport, TransactOptions } from './transport.js';
export {
  atomText,
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
export { DEFAULT_VSWITCHD_WAIT_MS, transactAndWait } from './vswitchd.js';
