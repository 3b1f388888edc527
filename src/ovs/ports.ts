// Ports as operations: a port spec, its validation, and the builders that add, retag and delete
// ports in a caller's Transaction. Neutron: ovs_lib.OVSBridge.add_port/replace_port/delete_port and
// the interface driver's VIF port (iface-id, attached-mac, iface-status, dead VLAN); ovsdbapp commands.
import { InvalidInputError } from '../errors.js';
import { mac, mtu } from '../net/types.js';
import { ovsName } from './names.js';
import { byName, byUuid, type Condition, type Transaction } from './ovsdb/operations.js';
import { type NamedUuid, type OvsdbRow, ovsMap, ovsSet, type Uuid } from './ovsdb/values.js';
import { OWNER_KEY } from './ownership.js';
import { ovsdbText, stringMap } from './text.js';
import { DEAD_VLAN_TAG, type VlanMode, vlanColumns, vlanMode, vlanTag } from './vlan.js';

export type { VlanMode } from './vlan.js';

/** Interface types a port can have. */
export type InterfaceType = 'internal' | 'system' | 'patch' | 'vxlan' | 'geneve' | 'gre';

const TYPES: readonly string[] = ['internal', 'system', 'patch', 'vxlan', 'geneve', 'gre'];

/** A port to add: one Port row with one Interface row of the same name. */
export interface PortSpec {
  /** Port and interface name (a device name, ≤15 characters, not starting with `-`). */
  readonly name: string;
  /** Interface type: `internal` (OVS makes the device), `patch`, or `system`/absent for an existing device. */
  readonly type?: InterfaceType;
  /** Interface external_ids (where `iface-id`, `attached-mac`, `iface-status` live). */
  readonly externalIds?: Readonly<Record<string, string>>;
  /** Port external_ids. */
  readonly portExternalIds?: Readonly<Record<string, string>>;
  /** Interface options (e.g. `peer` for a patch port, `remote_ip` for a tunnel). */
  readonly options?: Readonly<Record<string, string>>;
  /**
   * Local VLAN tag (0-4095). 4095 is the dead VLAN: unless `vlanMode`/`trunks` are given, the port
   * also gets `vlan_mode=trunk, trunks=[4095]`, as Neutron does, so it passes no traffic at all.
   */
  readonly tag?: number;
  /** VLAN mode. */
  readonly vlanMode?: VlanMode;
  /** Trunked VLANs. */
  readonly trunks?: readonly number[];
  /** Interface `mtu_request`. */
  readonly mtuRequest?: number;
}

/** A VIF port: an interface with both `iface-id` and `attached-mac` in its external_ids. */
export interface VifPortSpec {
  /** Port and interface name. */
  readonly name: string;
  /** The Neutron port id (external_ids `iface-id`). */
  readonly ifaceId: string;
  /** The VM/namespace side MAC (external_ids `attached-mac`). */
  readonly mac: string;
  /** Interface type; default `internal`. */
  readonly type?: PortSpec['type'];
  /** Local VLAN tag; default the dead VLAN (with its trunk settings) until the network is bound. */
  readonly tag?: number;
  /** Further interface external_ids. */
  readonly externalIds?: Readonly<Record<string, string>>;
}

/**
 * Checks a port spec before anything runs.
 *
 * @throws {InvalidInputError} naming the field
 */
export function validatePortSpec(s: PortSpec, where = 'port'): PortSpec {
  if (s === null || typeof s !== 'object') throw new InvalidInputError(`${where}: not a port spec`, where);
  ovsName(s.name, `${where}.name`);
  if (s.type !== undefined && !TYPES.includes(s.type)) {
    throw new InvalidInputError(
      `${where}.type: ${JSON.stringify(s.type)} is not one of ${TYPES.join(', ')}`,
      `${where}.type`,
    );
  }
  if (s.tag !== undefined) vlanTag(s.tag, `${where}.tag`);
  if (s.vlanMode !== undefined) vlanMode(s.vlanMode, `${where}.vlanMode`);
  for (const t of s.trunks ?? []) vlanTag(t, `${where}.trunks`);
  if (s.mtuRequest !== undefined) mtu(s.mtuRequest, `${where}.mtuRequest`);
  if (s.externalIds) stringMap(s.externalIds, `${where}.externalIds`);
  if (s.portExternalIds) stringMap(s.portExternalIds, `${where}.portExternalIds`);
  if (s.options) stringMap(s.options, `${where}.options`);
  if (s.type === 'patch' && !s.options?.peer) {
    throw new InvalidInputError(`${where}: a patch port needs options.peer`, `${where}.options`);
  }
  return s;
}

/**
 * The port spec of a VIF port (iface-id, attached-mac, iface-status=active; dead VLAN unless a tag
 * is given). Equivalent to: `ovs-vsctl add-port BR NAME -- set Interface NAME type=internal
 * external_ids:iface-id=ID external_ids:attached-mac=MAC external_ids:iface-status=active
 * -- set Port NAME tag=4095 vlan_mode=trunk trunks=4095`.
 *
 * @throws {InvalidInputError} naming the field
 */
export function vifPortSpec(v: VifPortSpec, where = 'vif port'): PortSpec {
  const ifaceId = ovsdbText(v.ifaceId, `${where}.ifaceId`);
  if (!ifaceId) throw new InvalidInputError(`${where}.ifaceId: empty`, `${where}.ifaceId`);
  return {
    name: v.name,
    type: v.type ?? 'internal',
    tag: v.tag ?? DEAD_VLAN_TAG,
    externalIds: {
      ...v.externalIds,
      'iface-id': ifaceId,
      'attached-mac': mac(v.mac, `${where}.mac`),
      'iface-status': 'active',
    },
  };
}

/** The VLAN state a spec asks for; an absent field is one the spec does not care about. */
export interface PortVlan {
  /** The tag. */
  readonly tag?: number;
  /** The mode; null is none set (an access port when tagged). */
  readonly vlanMode?: VlanMode | null;
  /** The trunked VLANs; empty is none. */
  readonly trunks?: readonly number[];
}

/**
 * The VLAN state of a spec: its own mode and trunks when given; otherwise, for a tagged port,
 * Neutron's shapes: the dead VLAN is a trunk of VLAN 4095 only, any other tag an access port
 * (mode and trunks cleared). An untagged spec without mode or trunks cares about none of them. Pure.
 */
export function wantedVlan(s: PortSpec): PortVlan {
  const dead = s.tag === DEAD_VLAN_TAG;
  const tagged = s.tag !== undefined;
  return {
    ...(tagged ? { tag: s.tag } : {}),
    ...(s.vlanMode !== undefined
      ? { vlanMode: s.vlanMode }
      : dead && s.trunks === undefined
        ? { vlanMode: 'trunk' as const }
        : tagged
          ? { vlanMode: null }
          : {}),
    ...(s.trunks !== undefined
      ? { trunks: s.trunks }
      : dead && s.vlanMode === undefined
        ? { trunks: [DEAD_VLAN_TAG] }
        : tagged
          ? { trunks: [] }
          : {}),
  };
}

/** The Port columns of a new port for a spec's VLAN state ({@link wantedVlan}). Pure. */
export function portVlanColumns(s: PortSpec): OvsdbRow {
  const w = wantedVlan(s);
  const row: OvsdbRow = {};
  if (w.tag !== undefined) row.tag = w.tag;
  if (w.vlanMode) row.vlan_mode = w.vlanMode;
  if (w.trunks && w.trunks.length > 0) row.trunks = ovsSet(...w.trunks);
  return row;
}

/**
 * Appends the operations that create one port (Interface row, Port row, link from the bridge) to a
 * transaction. Pure: no I/O. Both rows carry the owner mark. Equivalent to: `ovs-vsctl add-port BR
 * NAME -- set Interface NAME type=T external_ids:… -- set Port NAME tag=…`.
 *
 * @returns the new Port row's named uuid
 */
export function addPortOps(tx: Transaction, bridge: Condition[], s: PortSpec, owner: string): NamedUuid {
  const iface: OvsdbRow = {
    name: s.name,
    external_ids: ovsMap({ ...s.externalIds, [OWNER_KEY]: owner }),
  };
  if (s.type && s.type !== 'system') iface.type = s.type;
  if (s.options) iface.options = ovsMap(s.options);
  if (s.mtuRequest !== undefined) iface.mtu_request = s.mtuRequest;
  const ifaceRef = tx.insert('Interface', iface);
  const port: OvsdbRow = {
    name: s.name,
    interfaces: ovsSet(ifaceRef),
    external_ids: ovsMap({ ...s.portExternalIds, [OWNER_KEY]: owner }),
    ...portVlanColumns(s),
  };
  const portRef = tx.insert('Port', port);
  tx.mutate('Bridge', bridge, [['ports', 'insert', ovsSet(portRef)]]);
  return portRef;
}

/**
 * Appends the operations that put the port named `name` on local VLAN `tag`. The dead VLAN (4095)
 * is `tag=4095, vlan_mode=trunk, trunks=[4095]`; any other tag sets the tag and, when the port is
 * in that dead-VLAN shape, clears `vlan_mode` and `trunks` (back to an access port), as Neutron's
 * agent does when it binds a port; a port's own trunk settings are left alone. Pure. Equivalent
 * to: `ovs-vsctl set Port NAME tag=T [-- clear Port NAME vlan_mode trunks]`.
 *
 * @returns the index of the update whose `count` says whether the port exists
 */
export function setPortTagOps(tx: Transaction, name: string, tag: number): number {
  if (tag === DEAD_VLAN_TAG) return tx.update('Port', byName(name), vlanColumns(DEAD_VLAN_TAG));
  const at = tx.update('Port', byName(name), { tag });
  tx.update(
    'Port',
    [...byName(name), ['vlan_mode', '==', 'trunk'], ['trunks', '==', ovsSet(DEAD_VLAN_TAG)]],
    { vlan_mode: ovsSet(), trunks: ovsSet() },
  );
  return at;
}

/**
 * Appends the operations that remove ports by uuid from whichever bridge holds them, and delete
 * their rows (Interface rows go with their Port by garbage collection). Pure. Equivalent to:
 * `ovs-vsctl del-port NAME` for each.
 */
export function deletePortOps(tx: Transaction, ports: readonly Uuid[]): void {
  if (ports.length === 0) return;
  tx.mutate('Bridge', [], [['ports', 'delete', ovsSet(...ports)]]);
  for (const p of ports) tx.delete('Port', [byUuid(p)]);
}
