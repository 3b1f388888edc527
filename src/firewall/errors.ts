// The firewall's own errors (Neutron's iptables_firewall has none of these: it assumes br_netfilter
// and leaves zone exhaustion to a log line).
import { TenantnetError } from '../errors.js';

/**
 * Bridged traffic does not pass iptables in the host place (`net.bridge.bridge-nf-call-iptables` or
 * `-ip6tables` is 0, or br_netfilter is not loaded), so security groups would not filter anything.
 * tenantnet never changes the host's sysctls on its own. Thrown while planning: nothing was changed.
 */
export class BridgeNetfilterError extends TenantnetError {
  /**
   * @param namespace the host place (null: the root namespace)
   * @param keys the sysctl keys that are not 1, with what was read (`missing` when absent)
   */
  constructor(
    readonly namespace: string | null,
    readonly keys: Readonly<Record<string, string>>,
  ) {
    const where = namespace === null ? 'the root namespace' : `namespace "${namespace}"`;
    const what = Object.entries(keys)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    super(
      `bridged traffic bypasses iptables in ${where} (${what}): security groups cannot filter; ` +
        `load br_netfilter and set ${Object.keys(keys).join(' and ')} to 1 (sysctl -w KEY=1), then apply again`,
    );
  }
}

/** Every conntrack zone (1-65535) is taken by tenantnet's firewalls on this host. */
export class ConntrackZonesExhaustedError extends TenantnetError {
  constructor() {
    super('every conntrack zone 1-65535 is in use by tenantnet firewalls on this host');
  }
}
