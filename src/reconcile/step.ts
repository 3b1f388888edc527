// The one contract above the kernel layers: a Step is one batch for one executor, a Change is one
// resource's create/update/delete made of steps. Feature layers observe (read-only), plan (pure:
// desired + observed -> Change[]; [] = converged) and hand the changes to the engine, which alone
// applies them. The same steps print as `tenantnet plan` and `plan --commands`.
import type { IpOp } from '../ip/ops.js';
import type { ConntrackFilter } from '../iptables/conntrack.js';
import type { IpsetManager } from '../iptables/ipset.js';
import type { IptablesManager } from '../iptables/manager.js';
import type { ResourceKind, TopologyName } from '../net/ownership.js';
import type { IpFamily, NamespaceName } from '../net/types.js';
import type { OvsOp } from '../ovs/ovs-ops.js';

/**
 * Where a step runs: a namespace tenantnet names, or `host` — the namespace that stands for the
 * host (the root namespace on a real host, a simulated host's namespace in tests; see
 * `Executors.host.namespace`). Steps never say "root" themselves, so the same plan works on both.
 */
export type Place = NamespaceName | 'host';

/** The phases of an apply, in Neutron's order. Deletions run them in reverse. */
export type Phase =
  /** `ip netns add/del` (the host's ip batch). */
  | 'namespace'
  /** Host-side L2: Linux bridges, VXLAN devices, OVS bridges. */
  | 'bridge'
  /** Ports: OVS rows first (one transaction, then vswitchd), then veths and moves into namespaces. */
  | 'port'
  /** Inside namespaces: link state, MTU, addresses, routes, sysctls, neighbours. */
  | 'l3'
  /** ipsets, then iptables (one restore per namespace and family), then conntrack deletions. */
  | 'netfilter'
  /** Files (atomic writes), then processes (start, reload, restart, stop). */
  | 'service';

/** Every phase, in create order. */
export const PHASES: readonly Phase[] = ['namespace', 'bridge', 'port', 'l3', 'netfilter', 'service'];

/** `ip` operations for one place, run in order in that place's `ip -batch` coprocess. */
export interface IpStep {
  readonly via: 'ip';
  readonly phase: Phase;
  readonly place: Place;
  readonly ops: readonly IpOp[];
}

/** Open vSwitch operations; the engine folds every OVS step of a phase into ONE OVSDB transaction. */
export interface OvsStep {
  readonly via: 'ovs';
  readonly phase: Phase;
  readonly ops: readonly OvsOp[];
}

/**
 * Bring an iptables manager to its model: the engine calls `manager.apply()` once per manager per
 * phase (it re-reads and diffs, so a race between plan and apply stays safe), or `teardown()` when
 * the manager's chains and rules are to go. `planned` is what the plan saw (operations per family,
 * and the restore text for `plan --commands`).
 */
export interface IptablesStep {
  readonly via: 'iptables';
  readonly phase: Phase;
  readonly place: Place;
  readonly manager: IptablesManager;
  readonly planned: { readonly operations: number; readonly text: Partial<Record<IpFamily, string>> };
  /** Remove everything of this manager (and shared chains nobody uses) instead of applying its model. */
  readonly teardown?: boolean;
}

/**
 * Make ipsets hold exactly these members (`null` members: destroy the set). The engine sends every
 * set of one manager and phase in one `ipset restore` (`IpsetManager.applySets`).
 */
export interface IpsetStep {
  readonly via: 'ipset';
  readonly phase: Phase;
  readonly place: Place;
  readonly manager: IpsetManager;
  readonly sets: readonly {
    readonly id: string;
    readonly family: IpFamily;
    readonly members: readonly string[] | null;
    /** The members the planner saw (null: no such set); what `plan --commands` prints from. */
    readonly observed?: readonly string[] | null;
  }[];
}

/** Delete the connection-tracking entries a filter selects (after the rules that allowed them are gone). */
export interface ConntrackStep {
  readonly via: 'conntrack';
  readonly phase: Phase;
  readonly place: Place;
  readonly filters: readonly ConntrackFilter[];
}

/**
 * A one-shot command that changes state but has no batch interface (`ethtool -K DEV tx off`,
 * `arping -U` for a gratuitous ARP). Validated argv only.
 */
export interface CommandStep {
  readonly via: 'command';
  readonly phase: Phase;
  readonly place: Place;
  readonly argv: readonly string[];
  /** Exit codes that also count as success. */
  readonly okCodes?: readonly number[];
}

/** Write a file atomically (content) or remove it (null); directories under the state dir are made. */
export interface FileStep {
  readonly via: 'file';
  readonly phase: Phase;
  readonly path: string;
  readonly content: string | null;
  /** File mode (default 0o644: dnsmasq reads its files as `nobody`). */
  readonly mode?: number;
}

/** A long-running service (dnsmasq) described as data: how to start it and how it is recognised. */
export interface ServiceSpec {
  /** The id that identifies the service's process (appears as a whole argument in its command line). */
  readonly uuid: string;
  /** The kind of service (`dnsmasq`): part of the pidfile name. */
  readonly service: string;
  readonly place: Place;
  readonly pidfile: string;
  /** The full argv (with the pidfile in it where the program writes one). */
  readonly argv: readonly string[];
  /** The program forks and writes its own pidfile (dnsmasq), or runs in the foreground. */
  readonly mode: 'daemonizes' | 'foreground';
}

/** Start, reload (SIGHUP, same PID), restart or stop a service. */
export interface ProcessStep {
  readonly via: 'process';
  readonly phase: Phase;
  readonly action: 'enable' | 'reload' | 'restart' | 'disable';
  readonly service: ServiceSpec;
}

/** One batch for one executor. */
export type Step =
  | IpStep
  | OvsStep
  | IptablesStep
  | IpsetStep
  | ConntrackStep
  | CommandStep
  | FileStep
  | ProcessStep;

/** Which resource a change is about. */
export interface ResourceRef {
  readonly topology: TopologyName;
  readonly kind: ResourceKind;
  readonly name: string;
}

/** One resource's create, update or delete: its steps, in order, after the resources it needs. */
export interface Change {
  readonly resource: ResourceRef;
  readonly action: 'create' | 'update' | 'delete';
  /** One line a person reads in a plan (`+ router r1: namespace, 2 ports, SNAT`). */
  readonly summary: string;
  readonly steps: readonly Step[];
  /** Resources whose changes must be applied first (a failure there skips this one). */
  readonly after?: readonly ResourceRef[];
}
