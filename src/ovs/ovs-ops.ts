// Open vSwitch changes as data (the OVS twin of ip's IpOp): what a planner asks of the switch, folded
// by the reconcile engine into ONE OVSDB transaction per apply, and printed as the `ovs-vsctl`
// commands a person would type (`tenantnet plan --commands`). Neutron: ovsdbapp commands.
import type { BridgeOptions } from './bridge-ops.js';
import type { PortSpec } from './ports.js';

/**
 * One change to the switch. Ports are created with their interface in the same operation (the
 * owner mark goes on both rows); deletions carry the row uuids the planner observed, because OVSDB
 * deletes a port by removing its uuid from its bridge.
 */
export type OvsOp =
  /** Create the bridge with these settings, or correct the settings of an existing one. */
  | { readonly op: 'bridge.ensure'; readonly name: string; readonly options?: BridgeOptions }
  /** Delete a bridge (and with it its ports); `uuid` as observed. */
  | { readonly op: 'bridge.del'; readonly name: string; readonly uuid: string }
  /** Add a port (and its interface) to a bridge, marked with `owner`. */
  | { readonly op: 'port.add'; readonly bridge: string; readonly spec: PortSpec; readonly owner: string }
  /** Set a port's local VLAN (4095: the dead VLAN, with trunk settings that pass nothing). */
  | { readonly op: 'port.tag'; readonly name: string; readonly tag: number }
  /** Merge keys into an interface's external_ids (e.g. `iface-status`). */
  | {
      readonly op: 'iface.external_ids';
      readonly name: string;
      readonly externalIds: Readonly<Record<string, string>>;
    }
  /** Delete a port of a bridge; `uuid` as observed. */
  | { readonly op: 'port.del'; readonly bridge: string; readonly name: string; readonly uuid: string };
