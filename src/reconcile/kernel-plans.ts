// Kernel objects as steps: a namespace, a veth pair with its addresses, routes, an OVS internal
// port moved into a namespace, a wrapped chain's rules, ipsets, each planned (pure) from what was
// observed into the steps that make it so, and their removal. Generic: no routers, no DHCP; the
// feature layers compose them into one Change per resource with `changesOf`.

import { planAddresses } from '../ip/addresses.js';
import { type VethSpec, vethSpec } from '../ip/link-add.js';
import type { LinkInfo } from '../ip/links.js';
import type { IpOp, RouteSpec } from '../ip/ops.js';
import type { Ownership } from '../ip/ownership.js';
import { ownershipMark } from '../ip/ownership.js';
import { type LinkWant, planLinkOps, planNamespaceOps, planRoutes, planVethOps } from '../ip/plan-links.js';
import type { RouteInfo } from '../ip/routes.js';
import { countOps } from '../iptables/diff.js';
import { canonicalMembers, type IpsetManager, type ObservedSet } from '../iptables/ipset.js';
import type { IptablesManager } from '../iptables/manager.js';
import { mtu as checkMtu, deviceName, type IpFamily, type NamespaceName } from '../net/types.js';
import type { OvsObservation } from '../ovs/observe.js';
import { planPortOps, planPortRemovalOps, portsByName } from '../ovs/plan-ovs-ops.js';
import { type PortSpec, validatePortSpec } from '../ovs/ports.js';
import type { HostSettings } from './executors.js';
import type { Change, Phase, Place, ResourceRef, Step } from './step.js';

/** Steps one kernel object needs. */
export interface Planned {
  /** The object is to be made (not only corrected). */
  readonly created: boolean;
  /** Steps that take away what is in the way; they go in a `delete` change, run before every creation. */
  readonly removals: readonly Step[];
  /** Steps that make or correct it. */
  readonly steps: readonly Step[];
}

const NOTHING: Planned = { created: false, removals: [], steps: [] };

function ip(phase: Phase, place: Place, ops: readonly IpOp[]): Step[] {
  return ops.length === 0 ? [] : [{ via: 'ip', phase, place, ops }];
}

/**
 * One resource's changes from its pieces: a `delete` change holding every removal (if any), then
 * one change holding every step, `create` when the first piece (the resource's root object) is
 * made, else `update`, after the removal and after `after`. [] when every piece is converged. Pure.
 */
export function changesOf(
  ref: ResourceRef,
  pieces: readonly Planned[],
  opts: { readonly summary?: string; readonly after?: readonly ResourceRef[] } = {},
): Change[] {
  const removals = pieces.flatMap((p) => p.removals);
  const steps = pieces.flatMap((p) => p.steps);
  const out: Change[] = [];
  if (removals.length > 0) {
    out.push({
      resource: ref,
      action: 'delete',
      summary: `- ${ref.kind} ${ref.name}: what is in the way`,
      steps: removals,
    });
  }
  if (steps.length > 0) {
    const action = pieces[0]?.created ? 'create' : 'update';
    out.push({
      resource: ref,
      action,
      summary: opts.summary ?? `${action === 'create' ? '+' : '~'} ${ref.kind} ${ref.name}`,
      steps,
      after: [...(opts.after ?? []), ...(removals.length > 0 ? [ref] : [])],
    });
  }
  return out;
}

/** A resource's removal as one `delete` change ([] when nothing is there). Pure. */
export function removalOf(ref: ResourceRef, pieces: readonly Planned[], summary?: string): Change[] {
  const steps = pieces.flatMap((p) => [...p.removals, ...p.steps]);
  return steps.length === 0
    ? []
    : [{ resource: ref, action: 'delete', summary: summary ?? `- ${ref.kind} ${ref.name}`, steps }];
}

/**
 * A namespace with `lo` up and carrying `owner` as its mark (`tenantnet:<owner>`): `netns add` from
 * the root namespace, then `lo` inside, in the `namespace` phase; an existing one only gets `lo`
 * corrected. `have` is its links (null: missing). Pure.
 */
export function namespaceSteps(ns: NamespaceName, owner: string, have: readonly LinkInfo[] | null): Planned {
  const p = planNamespaceOps(ns, owner, have);
  return {
    created: p.created,
    removals: [],
    steps: [...ip('namespace', 'host', p.root), ...ip('namespace', ns, p.inside)],
  };
}

/**
 * Removes a namespace (and with it everything inside; veth peers outside go too): `netns del` in
 * the `namespace` phase, which deletions run last. Nothing when it is missing, or when its `lo`
 * carries another owner's mark (not ours to remove). Pure.
 */
export function namespaceRemovalSteps(
  ns: NamespaceName,
  owner: string,
  have: readonly LinkInfo[] | null,
): Planned {
  if (have === null) return NOTHING;
  const lo = have.find((l) => l.name === 'lo');
  if (lo?.alias?.startsWith('tenantnet:') && lo.alias !== `tenantnet:${owner}`) return NOTHING;
  return { created: false, removals: [], steps: ip('namespace', 'host', [{ op: 'netns.del', name: ns }]) };
}

/** A veth pair as a planner wants it: both ends by place, marks, state and addresses. */
export interface VethWant {
  readonly place: Place;
  readonly name: string;
  readonly peerPlace: Place;
  readonly peer: string;
  readonly mtu?: number;
  /** Bring both ends up (default true). */
  readonly up?: boolean;
  /** Ownership mark of both ends (ifalias `tenantnet:<owner>` and link group). */
  readonly owner?: Ownership;
  /** Addresses of the `name` end and of the `peer` end. */
  readonly addresses?: { readonly here?: readonly string[]; readonly there?: readonly string[] };
}

/**
 * A veth pair: made in the `port` phase (the peer straight in its place; each end marked and up
 * where it lives, the peer's in `l3`, since namespaces of one phase run side by side) when missing; corrected in place (MTU, marks, up) in `l3`; what holds one of its names
 * and is not the pair is removed first; addresses of each end in `l3` (all of them on a new pair).
 * `here`/`there` are the links of the two places (null: missing). Pure.
 *
 * @throws {InvalidInputError} for a bad name, MTU, owner or address
 */
export function vethSteps(
  want: VethWant,
  here: readonly LinkInfo[] | null,
  there: readonly LinkInfo[] | null,
  host: HostSettings,
): Planned {
  // `ip -n NS` cannot name the root namespace: a pair with one end on the host is made from there.
  if (want.place !== 'host' && want.peerPlace === 'host') {
    return vethSteps(
      {
        ...want,
        place: 'host',
        name: want.peer,
        peerPlace: want.place,
        peer: want.name,
        ...(want.addresses ? { addresses: { here: want.addresses.there, there: want.addresses.here } } : {}),
      },
      there,
      here,
      host,
    );
  }
  const resolve = (p: Place) => (p === 'host' ? host.namespace : p);
  const spec: VethSpec = vethSpec({
    namespace: resolve(want.place),
    peerNamespace: resolve(want.peerPlace),
    name: want.name,
    peer: want.peer,
    ...(want.mtu !== undefined ? { mtu: want.mtu } : {}),
    up: want.up !== false,
    ...(want.owner ? { owner: want.owner } : {}),
  });
  const same = want.place === want.peerPlace;
  const p = planVethOps(spec, here, same ? here : there);
  const phase: Phase = p.created ? 'port' : 'l3';
  const addrHere = planAddresses(
    spec.name,
    want.addresses?.here ?? [],
    p.created ? [] : (here?.find((l) => l.name === spec.name)?.addresses ?? []),
  );
  const peerLinks = same ? here : there;
  const addrThere = planAddresses(
    spec.peer,
    want.addresses?.there ?? [],
    p.created ? [] : (peerLinks?.find((l) => l.name === spec.peer)?.addresses ?? []),
  );
  return {
    created: p.created,
    removals: [...ip('port', want.place, p.remove.here), ...ip('port', want.peerPlace, p.remove.there)],
    steps: [
      ...ip(phase, want.place, p.here),
      // Namespaces of one phase run side by side: the peer's end is marked once the pair exists.
      ...ip('l3', want.peerPlace, p.there),
      ...ip('l3', want.place, addrHere),
      ...ip('l3', want.peerPlace, addrThere),
    ],
  };
}

/**
 * Removes a veth pair (`link del` of the `name` end; the kernel takes the peer) when it exists.
 * Not needed when either end's namespace is being removed: the pair goes with it. Pure.
 */
export function vethRemovalSteps(place: Place, name: string, have: readonly LinkInfo[] | null): Planned {
  const l = have?.find((x) => x.name === name);
  return l
    ? { created: false, removals: [], steps: ip('port', place, [{ op: 'link.del', name: l.name }]) }
    : NOTHING;
}

/**
 * Routes in one place (`route replace` of each missing one, in `l3`); `have` is the place's routes of
 * the families concerned (null: the namespace is new, every route is missing). Pure.
 */
export function routeSteps(
  place: Place,
  want: readonly RouteSpec[],
  have: readonly RouteInfo[] | null,
): Planned {
  return { created: false, removals: [], steps: ip('l3', place, planRoutes(want, have ?? [])) };
}

/** An OVS internal port whose device lives in a namespace. */
export interface MovedPortWant {
  readonly bridge: string;
  /** The port (its `type` should be `internal`: OVS makes the device). */
  readonly spec: PortSpec;
  /** The OVS owner mark (`external_ids:tenantnet-owner`). */
  readonly owner: string;
  /** Where the device goes (`host`: it stays where vswitchd makes it). */
  readonly place: Place;
  /** The device's state once there (up, MTU, marks). */
  readonly link?: Omit<LinkWant, 'mark'> & { readonly owner?: Ownership };
  readonly addresses?: readonly string[];
}

/** What {@link movedPortSteps} reads. */
export interface MovedPortSeen {
  /** The owner's rows (null: no switch or nothing read). */
  readonly ovs: OvsObservation | null;
  /** Links of the host namespace, where vswitchd makes the device. */
  readonly host: readonly LinkInfo[] | null;
  /** Links of the target place. */
  readonly inside: readonly LinkInfo[] | null;
}

/**
 * An OVS internal port moved into a namespace: the row (one `port.add` in the `port` phase's OVS
 * transaction; vswitchd makes the device in the host namespace), then the move (`link set netns`,
 * host's batch, same phase), then inside (`l3`) its marks, state and addresses. A row whose device
 * is nowhere (its namespace was removed under it) is replaced; a device still in the host is moved;
 * a settled one is only corrected. Pure.
 *
 * @throws {InvalidInputError} for a bad spec, owner, MTU or address
 */
export function movedPortSteps(want: MovedPortWant, seen: MovedPortSeen): Planned {
  const spec = validatePortSpec(want.spec);
  const name = deviceName(spec.name, 'spec.name');
  const stays = want.place === 'host';
  const inHost = seen.host?.find((l) => l.name === name);
  const inside = stays ? inHost : seen.inside?.find((l) => l.name === name);
  const row = portsByName(seen.ovs).has(name);
  const lost = row && !inHost && !inside;
  const ops = planPortOps(want.bridge, [spec], seen.ovs, want.owner, lost ? new Set([name]) : new Set());
  const created = !row || ops.some((o) => o.op === 'port.add');
  const moving = !stays && (created || (inHost !== undefined && inside === undefined));
  const fresh = created || moving;
  const state: LinkWant = {
    up: want.link?.up ?? true,
    ...(want.link?.mtu !== undefined ? { mtu: checkMtu(want.link.mtu) } : {}),
    ...(want.link?.owner ? { mark: ownershipMark(want.link.owner)! } : {}),
  };
  // A device that just arrived is set whole: its state there is not known yet.
  const linkOps: IpOp[] = fresh
    ? [
        {
          op: 'link.set',
          name,
          set: {
            ...(state.mtu ? { mtu: state.mtu } : {}),
            ...(state.mark ? { alias: state.mark.alias, group: state.mark.group } : {}),
            up: state.up ?? true,
          },
        },
      ]
    : inside
      ? planLinkOps(state, inside)
      : [];
  const addrs = planAddresses(name, want.addresses ?? [], fresh ? [] : (inside?.addresses ?? []));
  return {
    created,
    removals: [],
    steps: [
      ...(ops.length > 0 ? [{ via: 'ovs', phase: 'port', ops } as Step] : []),
      ...(moving
        ? ip('port', 'host', [{ op: 'link.set', name, set: { namespace: want.place as NamespaceName } }])
        : []),
      ...ip('l3', want.place, [...linkOps, ...addrs]),
    ],
  };
}

/** Removes OVS ports (their rows; vswitchd closes the devices) in the `port` phase. Pure. */
export function portRemovalSteps(names: readonly string[], ovs: OvsObservation | null): Planned {
  const ops = planPortRemovalOps(names, ovs);
  return ops.length === 0
    ? NOTHING
    : { created: false, removals: [], steps: [{ via: 'ovs', phase: 'port', ops }] };
}

/**
 * A manager's chains and rules (its model, as built by the caller) in the `netfilter` phase: one
 * step when `manager.plan` finds something to send for any family in `saves` (what
 * `iptables-save` printed per family the manager manages; null: the namespace is new, its tables
 * empty). With `teardown`, the manager's removal instead (only when something of it is there). Pure.
 */
export function chainSteps(
  manager: IptablesManager,
  place: Place,
  saves: ReadonlyMap<IpFamily, string | null>,
  opts: { readonly teardown?: boolean } = {},
): Planned {
  const step = (operations: number, text: Partial<Record<IpFamily, string>>): Planned => ({
    created: false,
    removals: [],
    steps: [
      {
        via: 'iptables',
        phase: 'netfilter',
        place,
        manager,
        planned: { operations, text },
        ...(opts.teardown ? { teardown: true } : {}),
      },
    ],
  });
  if (opts.teardown) {
    // What goes: every line of ours (the teardown works it out when it runs).
    const mine = [...saves.values()].flatMap((s) =>
      (s ?? '').split('\n').filter((l) => l.includes(`tn-${manager.prefix}-`) || l.includes(manager.mark)),
    );
    return mine.length === 0 ? NOTHING : step(mine.length, {});
  }
  const text: Partial<Record<IpFamily, string>> = {};
  let operations = 0;
  for (const [family, save] of saves) {
    const t = manager.plan(family, save ?? '');
    if (t !== '') text[family] = t;
    operations += countOps(t);
  }
  return operations === 0 ? NOTHING : step(operations, text);
}

/**
 * Sets holding exactly their members (`netfilter` phase, before the rules that match on them): one
 * step with every set that differs from what `observed` (the manager's sets, null: the namespace is
 * new) holds; `members: null` destroys a set that is there. Pure.
 *
 * @throws {InvalidInputError} for a bad id or member
 */
export function ipsetSteps(
  manager: IpsetManager,
  place: Place,
  want: readonly {
    readonly id: string;
    readonly family: IpFamily;
    readonly members: readonly string[] | null;
  }[],
  observed: ReadonlyMap<string, ObservedSet> | null,
): Planned {
  const sets = want.flatMap((w) => {
    const have = observed?.get(manager.setName(w.id, w.family))?.members ?? null;
    if (w.members === null) return have === null ? [] : [{ ...w, observed: have }];
    const canon = canonicalMembers(w.members, w.family);
    const same = have !== null && have.length === canon.length && canon.every((m) => have.includes(m));
    return same ? [] : [{ ...w, observed: have }];
  });
  return sets.length === 0
    ? NOTHING
    : { created: false, removals: [], steps: [{ via: 'ipset', phase: 'netfilter', place, manager, sets }] };
}
