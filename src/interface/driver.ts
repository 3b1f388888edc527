// The interface-driver contract (Neutron: agent/linux/interface.py, LinuxInterfaceDriver): what a plug
// asks for, what a driver reads to plan it, and the pure planners whose Change[] a consumer (DHCP, L3,
// instances) merges into its own apply. The imperative plug/unplug/setMtu are those plans applied.
import type { NamespaceState } from '../ip/observe.js';
import type { Owner } from '../net/ownership.js';
import type { Cidr, DeviceName, IpAddress, Mac, Mtu, NamespaceName } from '../net/types.js';
import type { ObservedPort } from '../ovs/observe.js';
import type { Executors } from '../reconcile/executors.js';
import type { Observation } from '../reconcile/observation.js';
import type { Change, Place } from '../reconcile/step.js';

/**
 * How a port is wired (Neutron's OVS driver options and the hybrid plug of os-vif):
 * - `internal`: an OVS internal port on the integration bridge, moved into the namespace (the device
 *   IS the port). DHCP and router ports, instances without port security.
 * - `veth`: a veth pair, `tap<id>` on the host side (an OVS system port, or a port of the network's
 *   `brq` bridge) and the device in the namespace (Neutron's `ovs_use_veth`).
 * - `hybrid`: a per-port Linux bridge `qbr<id>` holding `tap<id>` (veth to the device in the
 *   namespace) and `qvb<id>` (veth to `qvo<id>` on the integration bridge): a firewall hooks
 *   physdev rules on `tap<id>` in `qbr<id>` (see {@link PlugLayout.filter}).
 *
 * The Linux bridge driver has one wiring (`tap<id>` in `brq<net>`), which already offers the hook a
 * hybrid plug exists for; it accepts every style and builds that. The null driver builds nothing.
 */
export type PlugStyle = 'internal' | 'veth' | 'hybrid';

/** The network a port is on: a resolved `Network` of the model fits as is. */
export interface PlugNetwork {
  /** The network's owner: its marks (the `brq` bridge, the OVS ports' `tenantnet-network`). */
  readonly owner: Owner;
  /** Short id (11 characters of `a-z 2-7` from `resourceId(owner)`): `brq<id>`. */
  readonly id: string;
  /** The network's MTU: a plug's default. */
  readonly mtu: Mtu;
  /** An external network (a router gateway's); recorded only, wiring is the same. */
  readonly external: boolean;
}

/** The port being plugged: a resolved `Port` of the model fits as is. */
export interface PlugPort {
  /** The port's owner: every link and OVS row of the plug carries its mark. */
  readonly owner: Owner;
  /** Short id: host-side names are a lead plus its first 11 characters (`tap<id>`, `qvo<id>`). */
  readonly id: string;
  /** The MAC of the device in the namespace (also the OVS `attached-mac`). */
  readonly mac: Mac;
}

/** Which plug an unplug or MTU change is about: enough to name every part of it. */
export interface PlugTarget {
  readonly port: PlugPort;
  /**
   * The device's name in the target namespace (`tap…`, `qr-…`, `qg-…`, `ns-…`, `eth0` as the caller
   * wants). With the OVS `internal` style it is also the OVS port's name.
   */
  readonly device: DeviceName;
  /** The namespace the device lives in (the caller names and creates it; never the host). */
  readonly namespace: NamespaceName;
  /** Wiring; default: `internal` on OVS, the one wiring elsewhere. */
  readonly style?: PlugStyle;
}

/** A plug: the target plus the network and the MTU. */
export interface PlugRequest extends PlugTarget {
  readonly network: PlugNetwork;
  /** MTU of every link of the plug; default the network's. */
  readonly mtu?: Mtu;
}

/** Every name a plug uses, derived from the request alone (pure: {@link InterfaceDriver.layout}). */
export interface PlugLayout {
  /** The wiring the driver builds for the request. */
  readonly style: PlugStyle;
  /** The device in the target namespace. */
  readonly device: DeviceName;
  /** The target namespace. */
  readonly namespace: NamespaceName;
  /** The OVS port of the plug on the integration bridge (OVS driver), else null. */
  readonly ovsPort: DeviceName | null;
  /** Links tenantnet makes in the host place for this port (`tap`, `qbr`, `qvb`, `qvo`), in creation order. */
  readonly hostLinks: readonly DeviceName[];
  /**
   * Where a firewall hooks this port: the host-side device of the port (`physdev --physdev-out` /
   * `--physdev-in`) and the Linux bridge it is a port of (`qbr<id>` for hybrid, `brq<net>` for Linux
   * bridge). Null when traffic never crosses a Linux bridge (OVS `internal` and `veth`).
   */
  readonly filter: { readonly bridge: DeviceName; readonly device: DeviceName } | null;
}

/**
 * The integration bridge as one apply sees it (OVS driver). Built from `Observation.ovs` with the
 * filter `{ ownerPrefix: '' }` (every tenantnet row of every topology: local VLANs are host-wide), and
 * shared by every plan of that apply.
 */
export interface IntegrationBridgeView {
  /** The bridge's name (`br-int` by default). */
  readonly name: string;
  /** Its datapath: `netdev` asks for tx offload off on the non-OVS end of veths. */
  readonly datapath: 'system' | 'netdev';
  /** tenantnet's ports on it (every topology's), by name. */
  readonly ports: ReadonlyMap<string, ObservedPort>;
  /** tenantnet's ports on other bridges, by name, with their bridge (a port found there is replaced). */
  readonly elsewhere: ReadonlyMap<string, { readonly bridge: string; readonly port: ObservedPort }>;
  /** Local VLANs on this bridge: observed, and allocated by the plans of this apply. */
  readonly vlans: LocalVlanTable;
}

/**
 * The local VLAN of each network on the integration bridge. What was observed is kept; a network
 * without one takes the lowest free tag 1-4094 the first time a plan asks, and keeps it for the rest
 * of the apply (one table per {@link Observation}, so every consumer of one apply agrees).
 */
export interface LocalVlanTable {
  /**
   * The network's tag (by its owner mark), allocating when it has none.
   *
   * @throws {LocalVlansExhaustedError} when all 4094 tags are taken
   */
  tagFor(network: Owner): number;
  /** The tags as observed, by network owner mark (before any allocation of this apply). */
  readonly observed: ReadonlyMap<string, number>;
}

/** What planning a plug reads (through one {@link Observation}: nothing is read twice per apply). */
export interface PlugObserved {
  /** The host place (bridges, host-side veth ends, an OVS internal port before its move); null when missing. */
  readonly host: NamespaceState | null;
  /** The target namespace; null when it does not exist (yet: the caller may make it in the same apply). */
  readonly target: NamespaceState | null;
  /** OVS driver: the integration bridge, null when it (or Open vSwitch) is missing. Absent for other drivers. */
  readonly bridge?: IntegrationBridgeView | null;
}

/** What planning a network reads. */
export interface NetworkObserved {
  /** The host place; null when missing. */
  readonly host: NamespaceState | null;
  /** OVS driver: the integration bridge (null when missing). Absent for other drivers. */
  readonly bridge?: IntegrationBridgeView | null;
}

/** How an imperative verb applies its plan. */
export interface ApplyWith {
  /** The executors (and host settings) to observe through and apply through. */
  readonly executors: Executors;
}

/** What an imperative verb did. */
export interface PlugOutcome {
  /** The changes that were planned (empty: already converged, nothing was sent). */
  readonly planned: readonly Change[];
  /** State-changing operations sent (0 when converged). */
  readonly operations: number;
}

/** What {@link InterfaceDriver.plug} did, with the names the plug uses. */
export interface PlugResult extends PlugOutcome {
  readonly layout: PlugLayout;
}

/**
 * An interface driver (Neutron's LinuxInterfaceDriver). Observe → plan → apply:
 * - `observe*` read through the apply's {@link Observation} (memoised: one dump per namespace, one
 *   OVSDB select per apply, shared with every other feature layer);
 * - `plan*` are PURE over what was observed and return `Change[]` ([] = converged) that the caller
 *   merges into its own apply, next to its own changes (a DHCP server's namespace, addresses, files);
 * - the imperative verbs are exactly those plans applied with `applyChanges`.
 *
 * Phases (so a consumer knows where a plug lands in its apply): host L2 (`brq`, `qbr`, veths whose
 * host end goes on a bridge or on OVS) in `bridge`; OVS rows (one transaction) then veths into the
 * namespace and moves in `port`; link state (MAC, MTU, up), sysctls, offload and the OVS port's bind
 * to its local VLAN in `l3`. A plug's change lists its network's change in `after`. Unplug is a
 * `delete` change: OVS rows in `port`, links in `bridge`, so (deletions running phases in reverse)
 * the OVS row always goes first. A part that must be replaced (wrong kind, wrong place, another
 * bridge) is a separate `delete` change, which the engine runs before every create.
 */
export interface InterfaceDriver {
  /** `ovs`, `linuxbridge` or `null`. */
  readonly kind: 'ovs' | 'linuxbridge' | 'null';
  /**
   * Every name the plug uses. Pure. The Linux bridge driver's `filter.bridge` is the network's
   * `brq`: without `network` it is null.
   *
   * @throws {InvalidInputError} for a style the driver cannot build or an id that makes no device name
   */
  layout(target: PlugTarget & { readonly network?: PlugNetwork }): PlugLayout;
  /** Reads what {@link planNetwork} needs. */
  observeNetwork(obs: Observation, network: PlugNetwork): Promise<NetworkObserved>;
  /** Reads what {@link planPlug}, {@link planUnplug} and {@link planMtu} need. */
  observePlug(obs: Observation, target: PlugTarget): Promise<PlugObserved>;
  /**
   * What a network needs on the host before ports are plugged: the `brq<id>` bridge (Linux bridge,
   * marked, IPv6 off), a local VLAN (OVS: reserved in the apply's table, no host object). Pure.
   */
  planNetwork(network: PlugNetwork, observed: NetworkObserved): Change[];
  /** Removes what {@link planNetwork} made (the `brq` bridge); [] when nothing is there. Pure. */
  planNetworkRemoval(network: PlugNetwork, observed: NetworkObserved): Change[];
  /**
   * Converges one plug: creates what is missing, corrects what differs (MTU, MAC, marks, up, the
   * local VLAN) in place, replaces what is of the wrong kind or in the wrong place. [] when the plug
   * is as asked. Pure.
   *
   * @throws {BridgeNotFoundError} (OVS) when the integration bridge is missing: nothing is planned
   * @throws {PlugConflictError} when a device or OVS port of a plug's name exists and is not this port's
   */
  planPlug(req: PlugRequest, observed: PlugObserved): Change[];
  /** Removes every part of the plug that exists: OVS rows first, then links. [] when nothing is there. Pure. */
  planUnplug(target: PlugTarget, observed: PlugObserved): Change[];
  /** Sets the MTU of every link of an existing plug whose MTU differs: one `link set mtu` each. Pure. */
  planMtu(target: PlugTarget, mtu: Mtu, observed: PlugObserved): Change[];
  /**
   * Plugs (network and port), applying the plan; a failure half way removes what this call created
   * (and nothing that existed before) and rethrows.
   *
   * @throws {InvalidInputError} before anything runs; {@link BridgeNotFoundError}; the failing step's error
   */
  plug(req: PlugRequest, opts: ApplyWith): Promise<PlugResult>;
  /** Unplugs, applying the plan: OVS rows first, then links. Nothing there is success. */
  unplug(target: PlugTarget, opts: ApplyWith): Promise<PlugOutcome>;
  /** Sets the MTU of a plug's links (same links, same ifindex). */
  setMtu(target: PlugTarget, mtu: Mtu, opts: ApplyWith): Promise<PlugOutcome>;
}

/**
 * What Neutron's init_l3 / init_router_port converge on a plugged device: `planInitL3(req, observed)`
 * (src/interface/init-l3.ts) returns the `ip` ops ([] when converged) for an `l3`-phase step in
 * `req.place`; `initL3(req, opts)` applies them.
 */
export interface InitL3Request {
  /** The device. */
  readonly device: DeviceName;
  /** Where it lives (a namespace; `host` for a host-side device). */
  readonly place: Place;
  /** Addresses the device carries exactly (global, configured ones; link-local and learned ones stay). */
  readonly cidrs: readonly Cidr[];
  /**
   * Default route(s) via these gateways, one per family at most, over the device; a family without a
   * gateway here keeps whatever default route it has.
   */
  readonly gateways?: readonly IpAddress[];
  /** On-link routes over the device for further subnets (Neutron's extra_subnets); others on the device go. */
  readonly extraSubnets?: readonly Cidr[];
}
