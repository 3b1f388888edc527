// The pure convergence every driver shares: a plug is a few pieces (a Linux bridge, a veth pair, an OVS
// internal port moved into a namespace, an OVS port on an existing link), each compared with what was
// observed and turned into steps: create what is missing, correct what differs in place, replace
// (delete, then create) what is ours but of the wrong kind or place, refuse what is not ours.
// Neutron: interface.py's plug_new / plug (MTU on replug) / unplug, ovs_lib.replace_port.
import type { LinkInfo } from '../ip/links.js';
import type { NamespaceState } from '../ip/observe.js';
import type { LinkChanges } from '../ip/ops.js';
import type { DeviceName, Mac, Mtu, NamespaceName } from '../net/types.js';
import type { ObservedPort } from '../ovs/observe.js';
import type { OvsOp } from '../ovs/ovs-ops.js';
import { DEAD_VLAN_TAG } from '../ovs/vlan.js';
import type { Phase, Place } from '../reconcile/step.js';
import type { IntegrationBridgeView, PlugObserved } from './driver.js';
import { PlugConflictError } from './errors.js';
import type { LinkMark } from './layout.js';
import { NETWORK_KEY } from './local-vlan.js';
import { StepList } from './steps.js';

/** A link a plug wants. */
export interface WantLink {
  readonly name: DeviceName;
  /** `host` or the target namespace. */
  readonly place: Place;
  /** Kinds an existing link may have to count as this one (`veth`, `bridge`, `tun`…). */
  readonly kinds: readonly string[];
  readonly mark: LinkMark;
  /** Absent: not managed (a bridge's MTU follows its ports). */
  readonly mtu?: Mtu;
  readonly mac?: Mac;
  /** The Linux bridge it is a port of. */
  readonly master?: DeviceName;
  /** Host-side end: IPv6 off (`net.ipv6.conf.<dev>.disable_ipv6=1`), as Neutron does on bridge-side devices. */
  readonly ipv6Off?: boolean;
  /** tx checksum offload off (`ethtool -K <dev> tx off`): the non-OVS end of a veth on a netdev bridge. */
  readonly txOff?: boolean;
}

/** An OVS port a plug wants on the integration bridge. */
export interface WantPort {
  readonly bridge: string;
  readonly name: DeviceName;
  /** `internal`: OVS makes the device; `system`: an existing link. */
  readonly type: 'internal' | 'system';
  /** The owner mark (`external_ids:tenantnet-owner`). */
  readonly owner: string;
  /** Interface external_ids: iface-id, attached-mac, iface-status. */
  readonly externalIds: Readonly<Record<string, string>>;
  /** The network's owner mark (Port `external_ids:tenantnet-network`). */
  readonly network: string;
  /** The network's local VLAN. */
  readonly tag: number;
}

/** One part of a plug. */
export type Piece =
  /** A Linux bridge, created in `phase`. */
  | { readonly kind: 'bridge'; readonly link: WantLink; readonly phase: Phase }
  /** A veth pair made from `a`'s place (`b` created straight in its own), in `phase`. */
  | { readonly kind: 'veth'; readonly a: WantLink; readonly b: WantLink; readonly phase: Phase }
  /** An OVS internal port: vswitchd makes the device in the host place, it is moved to `link.place`. */
  | { readonly kind: 'internal'; readonly port: WantPort; readonly link: WantLink }
  /** An OVS port on a link another piece makes (`link` names that piece's end). */
  | { readonly kind: 'ovs-port'; readonly port: WantPort; readonly link: WantLink };

/** What planning a plug's pieces produced. */
export interface PiecesPlan {
  /** Steps of the `delete` change that clears what must be replaced. */
  readonly remove: StepList;
  /** Steps of the create/update change. */
  readonly apply: StepList;
  /** Keys ({@link linkKey}, {@link portKey}) of what the plan creates. */
  readonly created: ReadonlySet<string>;
  /** True when something of the plug already existed. */
  readonly existed: boolean;
}

/** The key of a link in {@link PiecesPlan.created}. */
export function linkKey(place: Place, name: string): string {
  return `link:${place}:${name}`;
}

/** The key of an OVS port in {@link PiecesPlan.created}. */
export function portKey(name: string): string {
  return `ovs:${name}`;
}

/** Reads links (and the integration bridge) of the observed places. */
export class Seen {
  constructor(private readonly o: PlugObserved) {}
  link(place: Place, name: string): LinkInfo | undefined {
    const ns: NamespaceState | null = place === 'host' ? this.o.host : this.o.target;
    return ns?.links.find((l) => l.name === name);
  }
  bridge(): IntegrationBridgeView | null {
    return this.o.bridge ?? null;
  }
}

function where(place: Place): string {
  return place === 'host' ? 'the host' : `namespace "${place}"`;
}

/** Refuses a link of the plug's name that another owner (or nothing of tenantnet) holds. */
function claim(l: LinkInfo | undefined, w: WantLink, unmarkedOk = false): void {
  if (!l || l.owner === w.mark.owner) return;
  if (l.owner === null && unmarkedOk) return;
  // Ours, half made: the link group is set by the very `link add` (a veth's peer included), the
  // ifalias only by a later op (the kernel ignores an alias at creation), so an apply killed in
  // between leaves an unmarked link in the topology's group. The plan marks it now.
  if (l.owner === null && l.group === w.mark.group) return;
  throw new PlugConflictError(w.name, where(w.place), l.owner ? `tenantnet:${l.owner}` : "not tenantnet's");
}

/** Refuses an OVS port of the plug's name that another owner holds. */
function claimPort(p: ObservedPort | undefined, w: WantPort): void {
  if (p && p.owner !== w.owner)
    throw new PlugConflictError(w.name, 'Open vSwitch', `tenantnet-owner=${p.owner}`);
}

function sysctlArgv(name: DeviceName): string[] {
  return ['sysctl', '-q', '-w', `net.ipv6.conf.${name}.disable_ipv6=1`];
}

function ethtoolArgv(name: DeviceName): string[] {
  return ['ethtool', '-K', name, 'tx', 'off'];
}

/** The `link set` fields that bring an existing link to `w` (empty: nothing differs). Pure. */
export function linkDiff(l: LinkInfo, w: WantLink): LinkChanges {
  const set: { -readonly [K in keyof LinkChanges]: LinkChanges[K] } = {};
  if (w.mac !== undefined && l.mac !== w.mac) set.mac = w.mac;
  if (w.mtu !== undefined && l.mtu !== w.mtu) set.mtu = w.mtu;
  if (l.alias !== w.mark.alias) set.alias = w.mark.alias;
  if (l.group !== w.mark.group) set.group = w.mark.group;
  if (w.master !== undefined && l.master !== w.master) set.master = w.master;
  if (!l.up) set.up = true;
  return set;
}

function hasIpv6(l: LinkInfo): boolean {
  return l.addresses.some((a) => a.family === 6);
}

/** Plans a plug's pieces against what was observed. Pure. @throws {PlugConflictError} */
export function planPieces(pieces: readonly Piece[], observed: PlugObserved): PiecesPlan {
  const seen = new Seen(observed);
  const remove = new StepList();
  const apply = new StepList();
  const created = new Set<string>();
  let existed = false;

  const converge = (l: LinkInfo, w: WantLink): void => {
    existed = true;
    const set = linkDiff(l, w);
    if (Object.keys(set).length > 0) apply.ip('l3', w.place, { op: 'link.set', name: w.name, set });
    if (w.ipv6Off && (!l.up || hasIpv6(l))) apply.command('l3', w.place, sysctlArgv(w.name));
    if (w.txOff && !l.up) apply.command('l3', w.place, ethtoolArgv(w.name));
  };
  // After a link is made: its mark and master where it lives, sysctl/offload, then up in `l3`.
  const finish = (w: WantLink, phase: Phase): void => {
    created.add(linkKey(w.place, w.name));
    apply.ip(phase, w.place, {
      op: 'link.set',
      name: w.name,
      set: { alias: w.mark.alias, ...(w.master ? { master: w.master } : {}) },
    });
    if (w.ipv6Off) apply.command(phase, w.place, sysctlArgv(w.name));
    if (w.txOff) apply.command(phase, w.place, ethtoolArgv(w.name));
    apply.ip('l3', w.place, { op: 'link.set', name: w.name, set: { up: true } });
  };
  const drop = (w: WantLink): void => {
    existed = true;
    remove.ip('bridge', w.place, { op: 'link.del', name: w.name });
  };
  const dropPort = (p: ObservedPort, bridge: string): void => {
    existed = true;
    remove.ovs('port', { op: 'port.del', bridge, name: p.name, uuid: p.uuid });
  };

  const fresh = new Set<string>(); // links (re)made by this plan: an OVS port on them is re-added
  for (const piece of pieces) {
    switch (piece.kind) {
      case 'bridge': {
        const w = piece.link;
        const l = seen.link(w.place, w.name);
        claim(l, w);
        if (l && w.kinds.includes(l.kind ?? '')) {
          converge(l, w);
          break;
        }
        if (l) drop(w);
        apply.ip(piece.phase, w.place, { op: 'bridge.add', name: w.name, group: w.mark.group });
        finish(w, piece.phase);
        fresh.add(w.name);
        break;
      }
      case 'veth': {
        const { a, b } = piece;
        const la = seen.link(a.place, a.name);
        const lb = seen.link(b.place, b.name);
        claim(la, a);
        claim(lb, b);
        const fits = (l: LinkInfo | undefined, w: WantLink) =>
          l !== undefined && w.kinds.includes(l.kind ?? '');
        if (fits(la, a) && fits(lb, b)) {
          converge(la!, a);
          converge(lb!, b);
          break;
        }
        // Not a pair as wanted. A lone veth end takes its (elsewhere) peer with it; two ends that are
        // both present here cannot be one pair (one of them is not a veth), so both go.
        if (la) drop(a);
        if (lb) drop(b);
        const apart = b.place !== a.place;
        apply.ip(piece.phase, a.place, {
          op: 'veth.add',
          name: a.name,
          peer: b.name,
          group: a.mark.group,
          ...(apart ? { peerNamespace: b.place as NamespaceName } : {}),
          ...(a.mtu ? { mtu: a.mtu } : {}),
          ...(a.mac ? { mac: a.mac } : {}),
          ...(b.mac ? { peerMac: b.mac } : {}),
        });
        finish(a, piece.phase);
        finish(b, piece.phase);
        fresh.add(a.name).add(b.name);
        break;
      }
      case 'internal': {
        const { port: w, link } = piece;
        const br = seen.bridge()!;
        const po = br.ports.get(w.name);
        const pe = br.elsewhere.get(w.name);
        claimPort(po, w);
        claimPort(pe?.port, w);
        const portFits = po !== undefined && portMatches(po, w);
        const lt = seen.link(link.place, link.name);
        const lh = seen.link('host', link.name);
        // An unmarked device of the port's name is that port's device before tenantnet marked it.
        claim(lt, link, portFits);
        claim(lh, { ...link, place: 'host' }, portFits);
        const ltFits = lt !== undefined && link.kinds.includes(lt.kind ?? '');
        const lhFits = lh !== undefined && link.kinds.includes(lh.kind ?? '');
        if (portFits && ltFits) {
          converge(lt, link);
          convergePort(po, w, apply);
          existed = true;
          break;
        }
        if (portFits && !lt && lhFits) {
          // Made, not moved yet (an apply cut short): move it and set it up.
          existed = true;
          apply.ip('port', 'host', {
            op: 'link.set',
            name: link.name,
            set: { namespace: link.place as NamespaceName },
          });
          apply.ip('l3', link.place, { op: 'link.set', name: link.name, set: fullSet(link) });
          convergePort(po, w, apply);
          break;
        }
        if (po) dropPort(po, br.name);
        if (pe) dropPort(pe.port, pe.bridge);
        if (lt) remove.ip('bridge', link.place, { op: 'link.del', name: link.name });
        if (lh && !(po && lhFits)) remove.ip('bridge', 'host', { op: 'link.del', name: link.name });
        if (lt || lh) existed = true;
        apply.ovs('port', addPort(w));
        apply.ip('port', 'host', {
          op: 'link.set',
          name: link.name,
          set: { namespace: link.place as NamespaceName },
        });
        apply.ip('l3', link.place, { op: 'link.set', name: link.name, set: fullSet(link) });
        apply.ovs('l3', { op: 'port.tag', name: w.name, tag: w.tag });
        created.add(portKey(w.name));
        break;
      }
      case 'ovs-port': {
        const w = piece.port;
        const br = seen.bridge()!;
        const po = br.ports.get(w.name);
        const pe = br.elsewhere.get(w.name);
        claimPort(po, w);
        claimPort(pe?.port, w);
        const healthy = po?.interfaces[0]?.error === null && po.interfaces[0]?.ofport !== -1;
        if (po && portMatches(po, w) && healthy && !fresh.has(piece.link.name)) {
          existed = true;
          convergePort(po, w, apply);
          break;
        }
        if (po) dropPort(po, br.name);
        if (pe) dropPort(pe.port, pe.bridge);
        apply.ovs('port', addPort(w));
        apply.ovs('l3', { op: 'port.tag', name: w.name, tag: w.tag });
        created.add(portKey(w.name));
        break;
      }
    }
  }
  return { remove, apply, created, existed };
}

/** Every attribute of a link just made or moved, in one `link set` (the kernel keeps none across a move we rely on). */
function fullSet(w: WantLink): LinkChanges {
  return {
    ...(w.mac ? { mac: w.mac } : {}),
    ...(w.mtu ? { mtu: w.mtu } : {}),
    alias: w.mark.alias,
    group: w.mark.group,
    up: true,
  };
}

/** True when an observed port is the wanted one (type and network); attributes are corrected in place. */
function portMatches(p: ObservedPort, w: WantPort): boolean {
  const iface = p.interfaces[0];
  if (!iface || p.interfaces.length !== 1) return false;
  const type = iface.type === '' ? 'system' : iface.type;
  return type === w.type && p.externalIds[NETWORK_KEY] === w.network;
}

function convergePort(p: ObservedPort, w: WantPort, apply: StepList): void {
  const iface = p.interfaces[0]!;
  const differ = Object.entries(w.externalIds).filter(([k, v]) => iface.externalIds[k] !== v);
  if (differ.length > 0) {
    apply.ovs('port', { op: 'iface.external_ids', name: w.name, externalIds: Object.fromEntries(differ) });
  }
  if (p.tag !== w.tag) apply.ovs('l3', { op: 'port.tag', name: w.name, tag: w.tag });
}

/** The port.add of a wanted port: created in the dead VLAN, bound to its local VLAN in `l3`. */
function addPort(w: WantPort): OvsOp {
  return {
    op: 'port.add',
    bridge: w.bridge,
    owner: w.owner,
    spec: {
      name: w.name,
      ...(w.type === 'internal' ? { type: 'internal' as const } : {}),
      externalIds: w.externalIds,
      portExternalIds: { [NETWORK_KEY]: w.network },
      tag: DEAD_VLAN_TAG,
    },
  };
}
