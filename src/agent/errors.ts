// The agent's own errors.
import { TenantnetError } from '../errors.js';

/** Another agent holds this host's lock (its state directory). */
export class AgentRunningError extends TenantnetError {
  /**
   * @param path the lock file
   * @param pid the holder's PID, when known
   */
  constructor(
    readonly path: string,
    readonly pid: number | null,
  ) {
    super(
      `another tenantnet agent holds ${path}${pid ? ` (PID ${pid})` : ''}: one agent per host and state directory`,
    );
  }
}

/** The VTEP given is not an address of the host (its underlay link cannot be found). */
export class VtepNotFoundError extends TenantnetError {
  /**
   * @param vtep the address given with --vtep
   * @param place where it was looked for
   */
  constructor(
    readonly vtep: string,
    readonly place: string,
  ) {
    super(`--vtep ${vtep}: no link in ${place} holds this address (the VTEP must be an address of the host)`);
  }
}
