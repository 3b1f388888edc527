// The L3 layer's own errors (Neutron's RouterNotFound-style failures are InvalidInputError here: the
// router is checked before anything runs).
import { TenantnetError } from '../errors.js';

/**
 * The namespace a router would use exists and is marked by someone else (its `lo` carries another
 * owner's mark). Thrown while planning: nothing was changed.
 */
export class RouterNamespaceConflictError extends TenantnetError {
  /**
   * @param namespace the namespace
   * @param holder the owner mark it carries
   */
  constructor(
    readonly namespace: string,
    readonly holder: string,
  ) {
    super(`namespace "${namespace}" belongs to ${holder}, not to this router: not touched`);
  }
}
