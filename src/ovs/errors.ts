// The OVS layer's own errors (Neutron: ovs_lib's BridgeDoesNotExist).
import { TenantnetError } from '../errors.js';

/** The bridge an operation needs does not exist; nothing was changed. */
export class BridgeNotFoundError extends TenantnetError {
  /** @param bridge the missing bridge's name */
  constructor(readonly bridge: string) {
    super(`Open vSwitch bridge "${bridge}" does not exist`);
  }
}
