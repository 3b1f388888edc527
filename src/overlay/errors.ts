// The overlay layer's own errors. Neutron: the linuxbridge agent logs these and skips the network.
import { TenantnetError } from '../errors.js';

/**
 * A VXLAN device the overlay needs by name exists and is not this network's (another topology's
 * network, or a device tenantnet did not make). Thrown while planning: nothing was changed.
 */
export class OverlayConflictError extends TenantnetError {
  /**
   * @param device the device name (`vx-<network id>`)
   * @param holder what holds it (`tenantnet:<owner>`, `not tenantnet's`)
   */
  constructor(
    readonly device: string,
    readonly holder: string,
  ) {
    super(`"${device}" on the host is in use (${holder}): not replaced; remove it`);
  }
}

/** `backend: ovs` on many hosts: the overlay has a Linux bridge driver only (so far). */
export class OverlayBackendError extends TenantnetError {
  /** @param backend the topology's backend */
  constructor(readonly backend: string) {
    super(
      `backend: ${backend} is not supported on many hosts (--store); use backend: linuxbridge ` +
        '(the overlay has a Linux bridge driver only)',
    );
  }
}
