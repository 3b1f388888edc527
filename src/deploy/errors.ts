// The deployment layer's own errors: what stops a whole host's deployment before anything runs.

import { TenantnetError } from '../errors.js';
import { DEFAULT_OVSDB_SOCKET } from '../ovs/index.js';

/**
 * The topology's backend is Open vSwitch and this host's ovsdb-server cannot be reached (no socket).
 * The message names the socket and how to start Open vSwitch.
 */
export class OpenVswitchUnavailableError extends TenantnetError {
  /** @param socket the ovsdb-server socket that was tried (null: the default) */
  constructor(readonly socket: string | null) {
    const s = socket ?? DEFAULT_OVSDB_SOCKET;
    super(
      `backend ovs needs Open vSwitch, and no ovsdb-server answers at ${s}: start it (as root: ` +
        '/usr/share/openvswitch/scripts/ovs-ctl start --system-id=random, or bash scripts/setup.sh), ' +
        'point --ovsdb at its socket, or use backend: linuxbridge',
    );
  }
}

/** A topology has never been applied on this host (nothing is recorded for it). */
export class TopologyNotAppliedError extends TenantnetError {
  constructor(readonly topology: string) {
    super(`topology ${topology} is not applied on this host (nothing recorded under the state directory)`);
  }
}
