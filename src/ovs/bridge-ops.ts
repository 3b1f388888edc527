// Bridges as operations: the rows of a new bridge, its settings, its deletion, and the guard that
// makes a transaction fail when a bridge is missing; each appends to a caller's Transaction and
// runs nothing. ovsdbapp: add_br / del_br / br_exists as commands, committed by the caller.
import { InvalidInputError } from '../errors.js';
import { ovsName } from './names.js';
import { byName, mergeMapOps, type Transaction } from './ovsdb/operations.js';
import {
  mapRecord,
  type NamedUuid,
  type OvsdbRow,
  optional,
  ovsMap,
  ovsSet,
  setItems,
  type Uuid,
} from './ovsdb/values.js';
import { OWNER_KEY } from './ownership.js';
import { stringMap } from './text.js';

/** A bridge's datapath: `system` (kernel module), `netdev` (userspace), or `auto` (try system, fall back). */
export type DatapathType = 'system' | 'netdev' | 'auto';

/** OpenFlow versions a bridge can speak (the Bridge `protocols` column's values). */
export type OpenFlowVersion =
  | 'OpenFlow10'
  | 'OpenFlow11'
  | 'OpenFlow12'
  | 'OpenFlow13'
  | 'OpenFlow14'
  | 'OpenFlow15';

const PROTOCOLS: readonly string[] = [
  'OpenFlow10',
  'OpenFlow11',
  'OpenFlow12',
  'OpenFlow13',
  'OpenFlow14',
  'OpenFlow15',
];

/** Options for `OvsBridge.create`: the settings of a bridge. */
export interface BridgeOptions {
  /** Datapath; default the `Ovs`'s (`auto`). */
  readonly datapathType?: DatapathType;
  /** `secure` drops traffic without flows when no controller is connected; `standalone` acts as a learning switch. */
  readonly failMode?: 'secure' | 'standalone';
  /** OpenFlow versions, e.g. `['OpenFlow10', 'OpenFlow13']` (the column is set to exactly these). */
  readonly protocols?: readonly (OpenFlowVersion | string)[];
  /** Bridge other_config (e.g. `mac-table-size`); keys are merged into what is there. */
  readonly otherConfig?: Readonly<Record<string, string>>;
}

/**
 * Checks bridge options before anything runs.
 *
 * @throws {InvalidInputError} naming the field
 */
export function validateBridgeOptions(o: BridgeOptions, where = 'bridge options'): BridgeOptions {
  if (o.datapathType !== undefined && !['system', 'netdev', 'auto'].includes(o.datapathType)) {
    throw new InvalidInputError(
      `${where}.datapathType: ${JSON.stringify(o.datapathType)} is not system, netdev or auto`,
      `${where}.datapathType`,
    );
  }
  if (o.failMode !== undefined && o.failMode !== 'secure' && o.failMode !== 'standalone') {
    throw new InvalidInputError(
      `${where}.failMode: ${JSON.stringify(o.failMode)} is not secure or standalone`,
      `${where}.failMode`,
    );
  }
  for (const p of o.protocols ?? []) protocol(p, `${where}.protocols`);
  if (o.otherConfig !== undefined) stringMap(o.otherConfig, `${where}.otherConfig`);
  return o;
}

/** Checks one OpenFlow version name. @throws {InvalidInputError} naming `where` */
export function protocol(value: string, where: string): OpenFlowVersion {
  if (!PROTOCOLS.includes(value)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(value)} is not an OpenFlow version (${PROTOCOLS.join(', ')})`,
      where,
    );
  }
  return value as OpenFlowVersion;
}

/** The Bridge columns for the settings in `o` (fail_mode, protocols; other_config is merged separately). Pure. */
export function bridgeColumns(o: BridgeOptions): OvsdbRow {
  const row: OvsdbRow = {};
  if (o.failMode) row.fail_mode = o.failMode;
  if (o.protocols) row.protocols = ovsSet(...o.protocols);
  return row;
}

/** A bridge's settings as stored. */
export interface BridgeSettings {
  /** `system`, `netdev`, or '' (the default, system). */
  readonly datapathType: string;
  /** The fail mode, or null when unset. */
  readonly failMode: string | null;
  /** OpenFlow versions, sorted. */
  readonly protocols: readonly string[];
  /** other_config. */
  readonly otherConfig: Readonly<Record<string, string>>;
}

/** The Bridge columns {@link BridgeSettings} are read from. */
export const BRIDGE_SETTINGS_COLUMNS = ['datapath_type', 'fail_mode', 'protocols', 'other_config'] as const;

/** The settings of a Bridge row selected with {@link BRIDGE_SETTINGS_COLUMNS}. Pure. */
export function bridgeSettings(row: OvsdbRow): BridgeSettings {
  const fail = optional(row.fail_mode);
  return {
    datapathType: String(row.datapath_type ?? ''),
    failMode: typeof fail === 'string' ? fail : null,
    protocols: setItems(row.protocols).map(String).sort(),
    otherConfig: mapRecord(row.other_config),
  };
}

/**
 * Appends the updates that bring an existing bridge's settings to `want` (fail mode and protocols
 * set exactly, other_config keys merged); nothing when they already match. The datapath of an
 * existing bridge is never changed. Pure.
 *
 * @returns true when something was appended
 */
export function bridgeSettingsOps(
  tx: Transaction,
  name: string,
  want: BridgeOptions,
  have: BridgeSettings,
): boolean {
  const fix: OvsdbRow = {};
  if (want.failMode && have.failMode !== want.failMode) fix.fail_mode = want.failMode;
  if (want.protocols) {
    const w = [...new Set(want.protocols)].sort();
    if (w.length !== have.protocols.length || w.some((p, i) => p !== have.protocols[i])) {
      fix.protocols = ovsSet(...w);
    }
  }
  let changed = false;
  if (Object.keys(fix).length > 0) {
    tx.update('Bridge', byName(name), fix);
    changed = true;
  }
  const missing = Object.entries(want.otherConfig ?? {}).filter(([k, v]) => have.otherConfig[k] !== v);
  if (missing.length > 0) {
    mergeMapOps(tx, 'Bridge', byName(name), 'other_config', Object.fromEntries(missing));
    changed = true;
  }
  return changed;
}

/**
 * Ensures a bridge as operations: its rows when `have` is undefined (it does not exist), else the
 * settings that differ. Pure; the caller observed `have` (e.g. `ObservedBridge.settings`).
 *
 * @returns 'created', 'updated' or 'unchanged'
 */
export function ensureBridgeOps(
  tx: Transaction,
  name: string,
  datapath: 'system' | 'netdev',
  want: BridgeOptions,
  owner: string,
  have: BridgeSettings | undefined,
): 'created' | 'updated' | 'unchanged' {
  if (!have) {
    addBridgeOps(tx, name, datapath, want, owner);
    return 'created';
  }
  return bridgeSettingsOps(tx, name, want, have) ? 'updated' : 'unchanged';
}

/**
 * Appends the rows of a new bridge: the Bridge, its local Port and internal Interface (all three
 * carrying the owner mark), its settings, and its link from the root table. Pure. Equivalent to:
 * `ovs-vsctl add-br NAME -- set Bridge NAME datapath_type=DP external_ids:tenantnet-owner=OWNER …`
 *
 * @returns the new Bridge row's named uuid
 */
export function addBridgeOps(
  tx: Transaction,
  name: string,
  datapath: 'system' | 'netdev',
  o: BridgeOptions,
  owner: string,
): NamedUuid {
  ovsName(name, 'bridge name');
  const mark = ovsMap({ [OWNER_KEY]: owner });
  const iface = tx.insert('Interface', { name, type: 'internal', external_ids: mark });
  const port = tx.insert('Port', { name, interfaces: ovsSet(iface), external_ids: mark });
  const br = tx.insert('Bridge', {
    name,
    ports: ovsSet(port),
    datapath_type: datapath,
    ...bridgeColumns(o),
    ...(o.otherConfig ? { other_config: ovsMap(o.otherConfig) } : {}),
    external_ids: mark,
  });
  tx.mutate('Open_vSwitch', [], [['bridges', 'insert', ovsSet(br)]]);
  return br;
}

/**
 * Appends the deletion of bridges by uuid: unlinking them from the root table is enough, their
 * Bridge, Port and Interface rows are garbage-collected. Pure. Equivalent to: `ovs-vsctl del-br NAME`.
 */
export function deleteBridgeOps(tx: Transaction, bridges: readonly Uuid[]): void {
  if (bridges.length === 0) return;
  tx.mutate('Open_vSwitch', [], [['bridges', 'delete', ovsSet(...bridges)]]);
}

/**
 * Appends a `wait` that fails the transaction (as a timed-out wait, index returned) unless the
 * bridge exists. Without it, ports inserted for a missing bridge would be unreferenced and silently
 * garbage-collected, and the commit would "succeed". Pure.
 */
export function requireBridgeOp(tx: Transaction, name: string): number {
  return tx.add({
    op: 'wait',
    table: 'Bridge',
    where: byName(name),
    columns: ['name'],
    until: '==',
    rows: [{ name }],
    timeoutMs: 0,
  });
}
