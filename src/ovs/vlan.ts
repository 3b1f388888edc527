// Local VLANs on an integration bridge: tags, the dead VLAN and the Port columns that express them.
// Neutron: ovs_lib.OVSBridge.replace_port (dead VLAN) and the OVS agent's port_dead/_bind_devices.
import { InvalidInputError } from '../errors.js';
import type { OvsdbRow } from './ovsdb/values.js';
import { ovsSet } from './ovsdb/values.js';

/** How a port treats VLANs (the Port `vlan_mode` column; absent means `access` when a tag is set). */
export type VlanMode = 'access' | 'native-tagged' | 'native-untagged' | 'trunk' | 'dot1q-tunnel';

const VLAN_MODES: readonly string[] = ['access', 'native-tagged', 'native-untagged', 'trunk', 'dot1q-tunnel'];

/**
 * The VLAN tag Neutron gives a port whose network is not bound yet. The tag alone passes traffic
 * between such ports (an access port's frames carry no 802.1Q header for a VLAN-4095 rule to
 * match), so a dead port is also a trunk of VLAN 4095 only: see {@link vlanColumns}.
 */
export const DEAD_VLAN_TAG = 4095;

/** Checks a VLAN tag (0-4095; 4095 is the dead VLAN). @throws {InvalidInputError} naming `where` */
export function vlanTag(value: number, where: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 4095) {
    throw new InvalidInputError(`${where}: ${value} is not a VLAN tag (0-4095)`, where);
  }
  return value;
}

/** Checks a VLAN mode. @throws {InvalidInputError} naming `where` */
export function vlanMode(value: string, where: string): VlanMode {
  if (!VLAN_MODES.includes(value)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(value)} is not a VLAN mode (${VLAN_MODES.join(', ')})`,
      where,
    );
  }
  return value as VlanMode;
}

/**
 * The Port columns that put a port on local VLAN `tag`, as Neutron writes them: the dead VLAN is
 * `tag=4095, vlan_mode=trunk, trunks=[4095]`, so that untagged frames (VLAN 0, not trunked) and
 * frames tagged 4095 (never forwarded) go nowhere; any other tag is an access port
 * (`vlan_mode` and `trunks` cleared). Pure.
 */
export function vlanColumns(tag: number): OvsdbRow {
  return tag === DEAD_VLAN_TAG
    ? { tag, vlan_mode: 'trunk', trunks: ovsSet(DEAD_VLAN_TAG) }
    : { tag, vlan_mode: ovsSet(), trunks: ovsSet() };
}
