// Decommissioning a host (`tenantnet agent --withdraw`): its lease revoked, so its agent record and
// every l2pop entry it published go at once on every peer, and its status keys deleted. What was
// built on the host stays (run `tenantnet cleanup` there). Neutron: `openstack network agent delete`.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hostName, Store, StoreLease } from '../store/index.js';

/** Where the host's agent kept its lease, and the store. */
export interface WithdrawOptions {
  readonly host: string;
  readonly store: { readonly url: string; readonly prefix?: string; readonly deadlineMs?: number };
  readonly stateDir: string;
}

/** What a withdraw removed. */
export interface WithdrawResult {
  /** The lease revoked (null: none was recorded or it had already expired). */
  readonly lease: string | null;
  /** Status keys deleted. */
  readonly statuses: number;
}

/**
 * Withdraws a host from the store (see the file header). Run it after stopping the host's agent.
 *
 * @throws {InvalidInputError} for a bad host name or store URL
 * @throws {StoreUnavailableError} when etcd does not answer within the deadline
 */
export async function withdrawHost(o: WithdrawOptions): Promise<WithdrawResult> {
  const host = hostName(o.host);
  const store = await Store.open({
    url: o.store.url,
    ...(o.store.prefix ? { prefix: o.store.prefix } : {}),
    ...(o.store.deadlineMs ? { deadlineMs: o.store.deadlineMs } : {}),
  });
  try {
    const file = join(o.stateDir, 'agent-lease');
    const recorded = (await readFile(file, 'utf8').catch(() => '')).trim();
    let lease: string | null = null;
    if (recorded) {
      const res = await store.call(`read lease ${recorded}`, () =>
        store.client.leaseClient.leaseTimeToLive({ ID: recorded }),
      );
      if (Number(res.TTL) > 0) {
        const l = await StoreLease.acquire(store, { reuse: recorded });
        await l.revoke();
        lease = recorded;
      }
      await rm(file, { force: true });
    }
    const prefix = store.keys.agent(host).replace(/agent$/, 'status/');
    const keys = await store.list(prefix, { keysOnly: true });
    for (const e of keys.entries) {
      await store.call(`delete ${e.key}`, () => store.client.kv.deleteRange({ key: Buffer.from(e.key) }));
    }
    // The agent record too, should it be bound to another lease (an agent started elsewhere by mistake).
    await store.call('delete the agent record', () =>
      store.client.kv.deleteRange({ key: Buffer.from(store.keys.agent(host)) }),
    );
    return { lease, statuses: keys.entries.length };
  } finally {
    store.close();
  }
}
