import { InvalidInputError } from '../errors.js';
import { mac, mtu } from '../net/types.js';
import { byUuid, type Condition, type Transaction } from './ovsdb/operations.js';
import { type NamedUuid, type OvsdbRow, ovsMap, ovsSet, type Uuid } from './ovsdb/values.js';
import { OWNER_KEY, ovsName, stringMap, vlanTag } from './validate.js';

/** How a port treats VLANs (the Port `vlan_mode` column). */
export type VlanMode = 'access' | 'native-tagged' | 'native-untagged' | 'trunk' | 'dot1q-tunnel';

/** A port to add: one Port row with one Interface row of the same name. */
export interface PortSpec {
  /** Port and interface name (a device name, ≤15 characters). */
  readonly name: string;
  /** Interface type: `internal` (OVS makes the device), `patch`, or `system`/absent for an existing device. */
  readonly type?: 'internal' | 'system' | 'patch' | 'vxlan' | 'geneve' | 'gre';
  /** Interface external_ids (where `iface-id`, `attached-mac`, `iface-status` live). */
  readonly externalIds?: Readonly<Record<string, string>>;
  /** Port external_ids. */
  readonly portExternalIds?: Readonly<Record<string, string>>;
  /** Interface options (e.g. `peer` for a patch port, `remote_ip` for a tunnel). */
  readonly options?: Readonly<Record<string, string>>;
  /** Access VLAN tag (0-4095); 4095 is the dead VLAN. */
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
  /** Local VLAN tag; default the dead VLAN until the network is bound. */
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
  ovsName(s.name, `${where}.name`);
  if (s.tag !== undefined) vlanTag(s.tag, `${where}.tag`);
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

/** The port spec of a VIF port (iface-id, attached-mac, iface-status=active). @throws {InvalidInputError} */
export function vifPortSpec(v: VifPortSpec, where = 'vif port'): PortSpec {
  if (!v.ifaceId) throw new InvalidInputError(`${where}.ifaceId: empty`, `${where}.ifaceId`);
  return {
    name: v.name,
    type: v.type ?? 'internal',
    tag: v.tag ?? 4095,
    externalIds: {
      ...v.externalIds,
      'iface-id': v.ifaceId,
      'attached-mac': mac(v.mac, `${where}.mac`),
      'iface-status': 'active',
    },
  };
}

/**
 * Appends the operations that create one port (Interface row, Port row, link from the bridge) to a
 * transaction. Pure: no I/O. Both rows carry the owner mark.
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
  };
  if (s.tag !== undefined) port.tag = s.tag;
  if (s.vlanMode) port.vlan_mode = s.vlanMode;
  if (s.trunks) port.trunks = ovsSet(...s.trunks);
  const portRef = tx.insert('Port', port);
  tx.mutate('Bridge', bridge, [['ports', 'insert', ovsSet(portRef)]]);
  return portRef;
}

/**
 * Appends the operations that remove ports by uuid from whichever bridge holds them, and delete
 * their rows (Interface rows go with their Port by garbage collection). Pure.
 */
export function deletePortOps(tx: Transaction, ports: readonly Uuid[]): void {
  if (ports.length === 0) return;
  tx.mutate('Bridge', [], [['ports', 'delete', ovsSet(...ports)]]);
  for (const p of ports) tx.delete('Port', [byUuid(p)]);
}
