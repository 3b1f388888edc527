// The native OVSDB client's public face (ovsdbapp's backend, without the IDL).
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
  operationError,
} from './errors.js';
export { JsonSplitter } from './framing.js';
export type { MonitorHandler, MonitorRequests, RowUpdate, TableUpdates } from './monitor-updates.js';
export {
  byName,
  byUuid,
  type Condition,
  encodeOperation,
  type Mutation,
  mergeMapOps,
  type Operation,
  type OperationResult,
  Transaction,
} from './operations.js';
export type { Monitor, OvsdbTransport, TransactOptions } from './transport.js';
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
export { curCfgWait, DEFAULT_VSWITCHD_WAIT_MS, nextCfgOps, transactAndWait } from './vswitchd.js';
export { checkWireText, wireString } from './wire-text.js';
