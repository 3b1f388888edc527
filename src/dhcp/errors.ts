// The DHCP layer's own errors (Neutron's DHCP agent logs these; a library reports them).
import { TenantnetError } from '../errors.js';

/** A DHCP client got no lease (no server answered, or none had an address for its MAC). */
export class DhcpNoLeaseError extends TenantnetError {
  /**
   * @param device the client's device
   * @param namespace where it ran (null: the root namespace)
   * @param detail what the client said (its stderr), if anything
   */
  constructor(
    readonly device: string,
    readonly namespace: string | null,
    readonly detail: string,
  ) {
    super(
      `no DHCP lease for ${device}${namespace ? ` in namespace "${namespace}"` : ''}${detail ? `: ${detail}` : ''}`,
    );
  }
}
