// The interface drivers' own errors (Neutron: interface.py's BridgeDoesNotExist lives in ovs_lib; here
// the OVS layer's BridgeNotFoundError is reused and these are added).
import { TenantnetError } from '../errors.js';

/**
 * A device or OVS port a plug needs by name exists and belongs to something else (another port, or
 * nothing tenantnet made). Thrown while planning: nothing was changed.
 */
export class PlugConflictError extends TenantnetError {
  /**
   * @param device the device or port name
   * @param place the namespace (`host` for the host place) or `Open vSwitch`
   * @param holder what holds it (`tenantnet:<owner>`, `not tenantnet's`)
   */
  constructor(
    readonly device: string,
    readonly place: string,
    readonly holder: string,
  ) {
    super(`"${device}" in ${place} is in use (${holder}): not replaced; remove it or choose another name`);
  }
}

/** Every local VLAN tag (1-4094) of the integration bridge is taken. */
export class LocalVlansExhaustedError extends TenantnetError {
  /** @param bridge the integration bridge */
  constructor(readonly bridge: string) {
    super(`integration bridge "${bridge}": all 4094 local VLAN tags are in use`);
  }
}
