// Owner-wide link teardown by link group, touching only links that carry tenantnet's mark (Neutron: none; `ip link del group N`).
import { optionalNamespace } from '../net/namespace.js';
import { type LinkGroup, linkGroup, token } from '../net/types.js';
import { DeviceNotFoundError, ObjectNotFoundError } from './errors.js';
import { executorOf, type Via } from './executor.js';
import { type InNamespace, type LinkInfo, parseLinks } from './links.js';
import type { IpOp } from './ops.js';
import { isOwned } from './ownership.js';

/**
 * The ops that delete the tenantnet-marked members of a link group (of `owner` when given), from
 * what a read of the group returned. When every member is marked, one kernel request deletes the
 * whole group (`link del group N`); otherwise each marked member is deleted by name and the others
 * are left alone. Empty when no member is marked. Pure.
 */
export function linkGroupDeleteOps(group: LinkGroup, members: readonly LinkInfo[], owner?: string): IpOp[] {
  const ours = members.filter((l) => l.group === group && isOwned(l, owner));
  if (ours.length === 0) return [];
  if (ours.length === members.length) return [{ op: 'link.del.group', group }];
  return ours.map((l): IpOp => ({ op: 'link.del', name: l.name }));
}

/**
 * Deletes every link of a group that carries tenantnet's ownership mark (ifalias `tenantnet:<owner>`;
 * of `owner` when given): one read of the group, then one request (`ip link del group N`) when every
 * member is marked, else one `link del` per marked member. Links of the group without the mark
 * (someone else's) are never touched. A member made by someone else between the read and the group
 * delete would go with it; tenantnet never puts foreign links into its own groups.
 *
 * Equivalent to: `ip [-n NS] link del group N` when every member is tenantnet's
 *
 * @returns false when no marked member was found (an empty group is success here)
 */
export async function deleteLinkGroup(
  a: InNamespace & Via & { readonly group: number; readonly owner?: string },
): Promise<boolean> {
  const group = linkGroup(a.group);
  const owner = a.owner === undefined ? undefined : token(a.owner, 'owner');
  const ns = optionalNamespace(a.namespace);
  const ex = executorOf(a);
  const [r] = await ex.apply(ns, [{ op: 'link.show', group }]);
  const ops = linkGroupDeleteOps(group, parseLinks(r?.output), owner);
  if (ops.length === 0) return false;
  const settled = await ex.settle(ns, ops);
  for (const s of settled) {
    // A veth's peer in the same group goes with it; a group emptied meanwhile is done.
    if (s.status === 'fulfilled' || s.reason instanceof DeviceNotFoundError) continue;
    if (s.reason instanceof ObjectNotFoundError && ops[0]?.op === 'link.del.group') return false;
    throw s.reason;
  }
  return true;
}
