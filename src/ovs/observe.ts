// Observe: one read-only transaction that returns every Bridge/Port/Interface row an owner made, as
// typed data (bridge -> ports -> interfaces). What cleanup, status and the reconcile planners read.
// Neutron: ovs_lib.OVSBridge.get_vif_ports / get_ports_attributes, owner-scoped.
import { InvalidInputError } from '../errors.js';
import { BRIDGE_SETTINGS_COLUMNS, type BridgeSettings, bridgeSettings } from './bridge-ops.js';
import type { OperationResult, Transaction } from './ovsdb/operations.js';
import { mapRecord, type OvsdbRow, optional, setItems, type Uuid } from './ovsdb/values.js';
import { OWNER_KEY, ownedBy, ownerValue } from './ownership.js';
import { vlanMode as checkVlanMode, type VlanMode } from './vlan.js';

/** Whose rows to observe: one owner value, or every owner value starting with a prefix. */
export type OwnerFilter = { readonly owner: string } | { readonly ownerPrefix: string };

/** An Interface row as observed. */
export interface ObservedInterface {
  /** Row uuid. */
  readonly uuid: string;
  /** Interface name. */
  readonly name: string;
  /** Interface type (`''` for a system device, `internal`, `patch`, …). */
  readonly type: string;
  /** external_ids (iface-id, attached-mac, iface-status, the owner mark). */
  readonly externalIds: Readonly<Record<string, string>>;
  /** options (peer, remote_ip, …). */
  readonly options: Readonly<Record<string, string>>;
  /** mtu_request, or null. */
  readonly mtuRequest: number | null;
  /** OpenFlow port: null until vswitchd assigns one, -1 when it failed. */
  readonly ofport: number | null;
  /** What vswitchd reported as wrong with it, or null. */
  readonly error: string | null;
}

/** A Port row as observed, with its interfaces (those carrying a matching mark). */
export interface ObservedPort {
  /** Row uuid. */
  readonly uuid: string;
  /** Port name. */
  readonly name: string;
  /** The owner mark's value. */
  readonly owner: string;
  /** Local VLAN tag, or null. */
  readonly tag: number | null;
  /** Trunked VLANs, sorted. */
  readonly trunks: readonly number[];
  /** VLAN mode, or null (access when tagged). */
  readonly vlanMode: VlanMode | null;
  /** Port external_ids. */
  readonly externalIds: Readonly<Record<string, string>>;
  /** Uuids of all its Interface rows (bonds have several). */
  readonly interfaceUuids: readonly string[];
  /** Its Interface rows that carry a matching mark, in interfaceUuids order. */
  readonly interfaces: readonly ObservedInterface[];
}

/** A bridge that is owned or holds owned ports. */
export interface ObservedBridge {
  /** Row uuid. */
  readonly uuid: string;
  /** Bridge name. */
  readonly name: string;
  /** The bridge's owner mark value when it matches the filter, else null (a foreign bridge). */
  readonly owner: string | null;
  /** Bridge external_ids. */
  readonly externalIds: Readonly<Record<string, string>>;
  /** Its datapath, fail mode, protocols and other_config. */
  readonly settings: BridgeSettings;
  /** How many ports it has in all (foreign ones and its own local port included). */
  readonly portCount: number;
  /** Its ports that carry a matching mark, sorted by name (its local port among them when owned). */
  readonly ports: readonly ObservedPort[];
}

/** A bridge that is neither owned nor holds owned ports: only its name and settings. */
export interface OtherBridge {
  /** Row uuid. */
  readonly uuid: string;
  /** Bridge name. */
  readonly name: string;
  /** Its datapath, fail mode, protocols and other_config. */
  readonly settings: BridgeSettings;
}

/** What {@link observeOps} read: owned bridges, and foreign bridges holding owned ports, sorted by name. */
export interface OvsObservation {
  /** The bridges. */
  readonly bridges: readonly ObservedBridge[];
  /**
   * Every other bridge of the switch, sorted by name (the Bridge table is read whole anyway), so a
   * planner can tell that a bridge it needs exists (an integration bridge someone else made).
   */
  readonly otherBridges: readonly OtherBridge[];
}

const BRIDGE_COLUMNS = ['_uuid', 'name', 'ports', 'external_ids', ...BRIDGE_SETTINGS_COLUMNS];
const PORT_COLUMNS = ['_uuid', 'name', 'interfaces', 'tag', 'trunks', 'vlan_mode', 'external_ids'];
const IFACE_COLUMNS = ['_uuid', 'name', 'type', 'external_ids', 'options', 'mtu_request', 'ofport', 'error'];

/**
 * Checks a filter. @throws {InvalidInputError} naming `where`
 */
export function ownerFilter(f: OwnerFilter, where = 'owner filter'): OwnerFilter {
  if ('owner' in f) return { owner: ownerValue(f.owner, `${where}.owner`) };
  if ('ownerPrefix' in f && typeof f.ownerPrefix === 'string') {
    // An empty prefix is every tenantnet row; checked as text all the same.
    if (f.ownerPrefix !== '') ownerValue(f.ownerPrefix, `${where}.ownerPrefix`);
    return { ownerPrefix: f.ownerPrefix };
  }
  throw new InvalidInputError(`${where}: give owner or ownerPrefix`, where);
}

/**
 * Appends the three selects of an observation (read-only) and returns a function that turns the
 * transaction's results into an {@link OvsObservation}. For one owner, Port and Interface rows are
 * filtered by the server (`external_ids includes {tenantnet-owner: owner}`), so foreign ports cost
 * nothing; for a prefix, the marks are compared here. Bridges are all read (name, ports, marks):
 * an owned port may sit on a foreign bridge. Pure.
 */
export function observeOps(
  tx: Transaction,
  filter: OwnerFilter,
): (results: readonly OperationResult[]) => OvsObservation {
  const f = ownerFilter(filter);
  const where = 'owner' in f ? [ownedBy(f.owner)] : [];
  const b = tx.select('Bridge', [], BRIDGE_COLUMNS);
  const p = tx.select('Port', where, PORT_COLUMNS);
  const i = tx.select('Interface', where, IFACE_COLUMNS);
  const match = (r: OvsdbRow): string | null => {
    const o = mapRecord(r.external_ids)[OWNER_KEY];
    if (o === undefined) return null;
    return ('owner' in f ? o === f.owner : o.startsWith(f.ownerPrefix)) ? o : null;
  };
  return (results) => {
    const ifaces = new Map<string, ObservedInterface>();
    for (const r of results[i]?.rows ?? [])
      if (match(r) !== null) ifaces.set(uuidOf(r), observedInterface(r));
    const ports = new Map<string, ObservedPort>();
    for (const r of results[p]?.rows ?? []) {
      const owner = match(r);
      if (owner !== null) ports.set(uuidOf(r), observedPort(r, owner, ifaces));
    }
    const bridges: ObservedBridge[] = [];
    const otherBridges: OtherBridge[] = [];
    for (const r of results[b]?.rows ?? []) {
      const all = setItems(r.ports).map(String);
      const mine = all.flatMap((u) => ports.get(u) ?? []).sort((x, y) => cmp(x.name, y.name));
      const owner = match(r);
      if (owner === null && mine.length === 0) {
        otherBridges.push({ uuid: uuidOf(r), name: String(r.name), settings: bridgeSettings(r) });
        continue;
      }
      bridges.push({
        uuid: uuidOf(r),
        name: String(r.name),
        owner,
        externalIds: mapRecord(r.external_ids),
        settings: bridgeSettings(r),
        portCount: all.length,
        ports: mine,
      });
    }
    return {
      bridges: bridges.sort((x, y) => cmp(x.name, y.name)),
      otherBridges: otherBridges.sort((x, y) => cmp(x.name, y.name)),
    };
  };
}

function observedInterface(r: OvsdbRow): ObservedInterface {
  const mtu = optional(r.mtu_request);
  const ofport = optional(r.ofport);
  const error = optional(r.error);
  return {
    uuid: uuidOf(r),
    name: String(r.name),
    type: String(r.type ?? ''),
    externalIds: mapRecord(r.external_ids),
    options: mapRecord(r.options),
    mtuRequest: typeof mtu === 'number' ? mtu : null,
    ofport: typeof ofport === 'number' ? ofport : null,
    error: typeof error === 'string' ? error : null,
  };
}

function observedPort(r: OvsdbRow, owner: string, ifaces: Map<string, ObservedInterface>): ObservedPort {
  const tag = optional(r.tag);
  const mode = optional(r.vlan_mode);
  const interfaceUuids = setItems(r.interfaces).map(String);
  return {
    uuid: uuidOf(r),
    name: String(r.name),
    owner,
    tag: typeof tag === 'number' ? tag : null,
    trunks: setItems(r.trunks)
      .filter((t): t is number => typeof t === 'number')
      .sort((a, b) => a - b),
    vlanMode: typeof mode === 'string' ? checkVlanMode(mode, 'vlan_mode') : null,
    externalIds: mapRecord(r.external_ids),
    interfaceUuids,
    interfaces: interfaceUuids.flatMap((u) => ifaces.get(u) ?? []),
  };
}

function uuidOf(r: OvsdbRow): string {
  return (r._uuid as Uuid).value;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
