// The picture of a topology as plain data: nodes (networks, routers, instances, groups of instances),
// edges (router interfaces, gateway ports, instance ports, checks) and the overlay `status`/`verify`
// supply. Every renderer (DOT, SVG, JSON, Mermaid) draws this one model. Horizon's network topology
// view (openstack_dashboard/dashboards/project/network_topology) is the Neutron-side counterpart.

/** What a node stands for. */
export type GraphNodeKind =
  | 'network'
  | 'external-network'
  | 'router'
  | 'instance'
  /** The instances of one network, collapsed into one node (see `GraphOptions.groupAbove`). */
  | 'group'
  /** A check destination no network of the topology contains (an address beyond the topology). */
  | 'address';

/** What a link or arrow stands for. */
export type GraphEdgeKind = 'router-interface' | 'gateway' | 'instance-port' | 'check';

/** How a resource was found on the host: as desired, not there, or there but not as desired. */
export type ResourceState = 'present' | 'missing' | 'drifted';

/** The outcome of one verify check: `pass`/`block` as expected, or `fail`. */
export type CheckOutcome = 'pass' | 'block' | 'fail';

/** A value of a node's or edge's `attrs`: plain JSON. */
export type GraphAttr = string | number | boolean | null | readonly string[];

/** What the overlay says about a drawn thing (absent when nothing was observed: a plan-only picture). */
export interface GraphHealth {
  /** True when it is present and nothing is wrong. */
  readonly healthy: boolean;
  /** The worst state of what the node or edge stands for (`missing` > `drifted` > `present`). */
  readonly state: ResourceState;
  /** What is wrong, one short line each (user and kernel text: renderers escape it). */
  readonly problems: readonly string[];
}

/** One node of the picture. */
export interface GraphNode {
  /**
   * Stable id: the owner mark of the resource (`demo.network.web`, `demo.router.r1`,
   * `demo.instance.web1`); a group is `<network mark>/instances`, an address node `address:<ip>`.
   */
  readonly id: string;
  readonly kind: GraphNodeKind;
  /** The resource name (a group: its network's name; an address node: the address). */
  readonly name: string;
  /** What the picture says about it, one line each; the first is the name. Problems are in `health`. */
  readonly label: readonly string[];
  /** The same facts as data, for other tools (CIDRs, namespace, addresses, members, ...). */
  readonly attrs: Readonly<Record<string, GraphAttr>>;
  /** Present when an overlay observed it. */
  readonly health?: GraphHealth;
}

/** One link (a port between a router or instance and a network) or arrow (a check). */
export interface GraphEdge {
  /** Stable id: the port's owner mark for links (`demo.port.qr_r1_web`), `check:<index>` for checks. */
  readonly id: string;
  readonly kind: GraphEdgeKind;
  /** Node id: the router or instance (links), the check's source (checks). */
  readonly from: string;
  /** Node id: the network (links), the check's destination (checks). */
  readonly to: string;
  /** What the link or arrow says, one line each (may be empty). */
  readonly label: readonly string[];
  /** The same facts as data (device, addresses, MAC; a check's protocol and port, ...). */
  readonly attrs: Readonly<Record<string, GraphAttr>>;
  /** A check's outcome from the last verify (absent when none is known). */
  readonly result?: CheckOutcome;
  /** A check's expectation (checks only). */
  readonly expect?: 'pass' | 'block';
  /** A failed check: what happened (from verify). */
  readonly detail?: string;
  /** Present when an overlay observed the port. */
  readonly health?: GraphHealth;
}

/** The picture of one topology. */
export interface Graph {
  readonly topology: string;
  /** True when drawn with an overlay (what the host has), false for the file alone. */
  readonly observed: boolean;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** What `status` found for one resource. */
export interface ResourceStatus {
  readonly state: ResourceState;
  /** What is wrong (drifted: what differs), one short line each. */
  readonly problems?: readonly string[];
}

/** What `status` found for a network's dnsmasq. */
export interface DhcpStatus {
  /** The pid in its pidfile, or null when there is none. */
  readonly pid: number | null;
  /** True when that pid is a running dnsmasq of this network (by `/proc/PID/cmdline`). */
  readonly alive: boolean;
}

/** The last verify result of one check (a verify `CheckResult` fits). */
export interface CheckStatus {
  /** The check's place in the topology's `checks` list. */
  readonly index: number;
  readonly result: CheckOutcome;
  /** What happened, in a few words. */
  readonly detail?: string;
}

/**
 * What the deploy layer knows about the host, laid over the picture of the file. Everything is
 * optional: a resource it does not name is drawn without a health mark (not observed).
 */
export interface GraphOverlay {
  /**
   * Per resource, by owner mark (`<topology>.<kind>.<name>`): networks, routers and instances colour
   * their node; ports (`demo.port.qr_r1_web`, `demo.port.vm_web1`, `demo.port.qg_r1`) their link;
   * `dhcp` marks (`demo.dhcp.web`) the network's node; floating IPs (`demo.floatingip.web1`) and
   * security groups (`demo.secgroup.web`) the node of every instance they serve.
   */
  readonly resources?: Readonly<Record<string, ResourceStatus>>;
  /** Per network name: its dnsmasq. A network with DHCP whose dnsmasq is not alive is drifted. */
  readonly dhcp?: Readonly<Record<string, DhcpStatus>>;
  /** The last verify results (kept in the state directory), by check index. */
  readonly checks?: readonly CheckStatus[];
}
