// The live page's one error of its own: the address it was asked to listen on cannot be had.
import { TenantnetError } from '../errors.js';

/** `tenantnet ui` cannot listen where asked (the port is taken, the address is not this host's, …). */
export class UiListenError extends TenantnetError {
  constructor(
    /** The address asked for (`127.0.0.1:8470`). */
    readonly address: string,
    /** The system's code (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`), when there is one. */
    readonly code: string | undefined,
    message: string,
  ) {
    super(`cannot listen on ${address}: ${message}`);
  }
}
