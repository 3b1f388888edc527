// node:test glue for the private Open vSwitch of test/fakes/ovs-sandbox.ts (tenantnet/testing): one per
// test file, with a connected client and an Ovs, skipped when not root. Re-exports the sandbox itself.
import { after, before } from 'node:test';
import { Ovs, type OvsOptions } from '../../src/ovs/ovs.js';
import { OvsdbClient } from '../../src/ovs/ovsdb/client.js';
import { OvsSandbox } from '../fakes/ovs-sandbox.js';
import { rootOnly } from './root.js';

export { OvsSandbox, ovsSandbox, plain } from '../fakes/ovs-sandbox.js';

/** What {@link usePrivateOvs} gives a test file: read the fields inside tests, after `before` ran. */
export interface PrivateOvs {
  /** The private OVS (its socket, prefix, oracles). */
  readonly ovs: OvsSandbox;
  /** A tenantnet OVSDB client connected to it. */
  readonly client: OvsdbClient;
  /** tenantnet's `Ovs` on that client, owner `test-<prefix>`. */
  readonly sw: Ovs;
}

/**
 * Starts one private OVS for the whole test file (node:test `before`), with a connected client and
 * an `Ovs`, and stops it with the leak check afterwards (`after`). Does nothing when not root.
 */
export function usePrivateOvs(options: Omit<OvsOptions, 'owner'> = {}): PrivateOvs {
  const state = {} as { ovs: OvsSandbox; client: OvsdbClient; sw: Ovs };
  before(async () => {
    if (rootOnly.skip) return;
    state.ovs = await OvsSandbox.start();
    state.client = await OvsdbClient.connect({ socketPath: state.ovs.socketPath });
    state.sw = new Ovs(state.client, { ...options, owner: `test-${state.ovs.prefix}` });
  });
  after(async () => {
    if (rootOnly.skip) return;
    state.client.close();
    await state.ovs.stopChecked();
  });
  return state;
}
