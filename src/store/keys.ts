// The key layout of the store under one prefix (default `/tenantnet/v1/`): every key tenantnet writes,
// built from validated names and parsed back, so a key always says what it is. Neutron keeps the same
// facts in tables (networks, ports, agents, ml2_port_bindings, ml2_vxlan_allocations).
import { InvalidInputError } from '../errors.js';
import {
  type ResourceName,
  resourceName,
  type TopologyName,
  topologyName,
  userName,
} from '../net/ownership.js';
import { lineText } from '../net/text.js';
import { intIn } from '../net/types.js';

/** A validated key prefix: starts and ends with `/`. */
export type KeyPrefix = string & { readonly __brand: 'KeyPrefix' };

/** The prefix every key lives under unless told otherwise. */
export const DEFAULT_PREFIX = '/tenantnet/v1/' as KeyPrefix;

const PREFIX = /^\/(?:[A-Za-z0-9_.-]+\/)*$/;

/**
 * Validates a key prefix: 1-128 characters, starting and ending with `/`, segments of
 * `A-Z a-z 0-9 _ . -` (no empty segment, no `.` or `..`), no control characters.
 *
 * @throws {InvalidInputError} naming `where`
 */
export function keyPrefix(value: unknown, where = 'store prefix'): KeyPrefix {
  const v = lineText(value, where);
  const segments = v.split('/').slice(1, -1);
  if (v.length > 128 || !PREFIX.test(v) || segments.some((s) => s === '.' || s === '..')) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not a key prefix (1-128 characters, starting and ending with "/", segments of A-Z a-z 0-9 _ . -, no "." or "..")`,
      where,
    );
  }
  return v as KeyPrefix;
}

/** A host name: 1-32 of `a-z 0-9 -`, starting and ending with a letter or digit. */
export function hostName(value: unknown, where = 'host'): ResourceName {
  return userName(value as string, where);
}

/** What a key under the prefix is, parsed back; `null` from {@link StoreKeys.parse} for anything else. */
export type StoreKey =
  | { readonly kind: 'spec'; readonly topology: TopologyName }
  | { readonly kind: 'meta'; readonly topology: TopologyName }
  | { readonly kind: 'desired'; readonly host: ResourceName; readonly topology: TopologyName }
  | { readonly kind: 'agent'; readonly host: ResourceName }
  | { readonly kind: 'status'; readonly host: ResourceName; readonly topology: TopologyName }
  | { readonly kind: 'vni'; readonly vni: number }
  | {
      readonly kind: 'l2pop';
      readonly topology: TopologyName;
      readonly network: ResourceName;
      readonly host: ResourceName;
      readonly port: ResourceName;
    };

function vniNumber(v: unknown, where: string): number {
  return intIn(v as number, 1, 0xffffff, where);
}

/**
 * The keys of one store, under one prefix. Every builder validates its names (a topology, a host, a
 * network, a port, a VNI), so a key can never carry a `/` or a control character it should not.
 *
 * | key | value |
 * |---|---|
 * | `topologies/<topo>/spec` | the validated model with every allocation |
 * | `topologies/<topo>/meta` | generation, each host's slice generation, who applied it, when |
 * | `hosts/<host>/desired/<topo>` | the host's slice and its generation |
 * | `hosts/<host>/agent` | the agent's VTEP, underlay MTU, version, state (under its lease) |
 * | `hosts/<host>/status/<topo>` | what the agent observed and did (written when it changes) |
 * | `vni/<vni>` | the topology and network holding the VNI |
 * | `l2pop/<topo>/<network>/<host>/<port>` | a plugged port: MAC, IPs, VTEP, VNI (under its agent's lease) |
 */
export class StoreKeys {
  /** @param prefix the validated prefix (see {@link keyPrefix}) */
  constructor(readonly prefix: KeyPrefix = DEFAULT_PREFIX) {
    keyPrefix(prefix);
  }

  /** `topologies/<topo>/spec`. */
  spec(topology: string): string {
    return `${this.prefix}topologies/${topologyName(topology)}/spec`;
  }

  /** `topologies/<topo>/meta`. */
  meta(topology: string): string {
    return `${this.prefix}topologies/${topologyName(topology)}/meta`;
  }

  /** `topologies/<topo>/`: one topology's spec and meta. */
  topology(topology: string): string {
    return `${this.prefix}topologies/${topologyName(topology)}/`;
  }

  /** `topologies/`: every topology's spec and meta. */
  topologies(): string {
    return `${this.prefix}topologies/`;
  }

  /** `hosts/<host>/desired/<topo>`. */
  desired(host: string, topology: string): string {
    return `${this.hostPrefix(host)}desired/${topologyName(topology)}`;
  }

  /** `hosts/<host>/desired/`: every slice of one host (what its agent watches). */
  desiredOf(host: string): string {
    return `${this.hostPrefix(host)}desired/`;
  }

  /** `hosts/<host>/agent`. */
  agent(host: string): string {
    return `${this.hostPrefix(host)}agent`;
  }

  /** `hosts/<host>/status/<topo>`. */
  status(host: string, topology: string): string {
    return `${this.hostPrefix(host)}status/${topologyName(topology)}`;
  }

  /** `hosts/<host>/`. */
  hostPrefix(host: string): string {
    return `${this.prefix}hosts/${hostName(host)}/`;
  }

  /** `hosts/`: every host's keys. */
  hosts(): string {
    return `${this.prefix}hosts/`;
  }

  /** `vni/<vni>`. */
  vni(vni: number): string {
    return `${this.prefix}vni/${vniNumber(vni, 'vni')}`;
  }

  /** `vni/`: every VNI reservation. */
  vnis(): string {
    return `${this.prefix}vni/`;
  }

  /** `l2pop/<topo>/<network>/<host>/<port>`. */
  l2pop(topology: string, network: string, host: string, port: string): string {
    return `${this.l2popOf(topology, network)}${hostName(host)}/${resourceName(port, 'port')}`;
  }

  /** `l2pop/<topo>/<network>/`: every port of one network on every host (what an agent watches). */
  l2popOf(topology: string, network: string): string {
    return `${this.prefix}l2pop/${topologyName(topology)}/${userName(network, 'network')}/`;
  }

  /** `l2pop/<topo>/`: every port of one topology. */
  l2popOfTopology(topology: string): string {
    return `${this.prefix}l2pop/${topologyName(topology)}/`;
  }

  /**
   * What a key is, or null when it is not under the prefix or not a key of this layout (anything
   * else under the prefix is left alone, never an error). Pure.
   */
  parse(key: string): StoreKey | null {
    if (!key.startsWith(this.prefix)) return null;
    const p = key.slice(this.prefix.length).split('/');
    try {
      if (p[0] === 'topologies' && p.length === 3 && (p[2] === 'spec' || p[2] === 'meta')) {
        return { kind: p[2], topology: topologyName(p[1]!) };
      }
      if (p[0] === 'hosts' && p.length >= 3) {
        const host = hostName(p[1]);
        if (p.length === 3 && p[2] === 'agent') return { kind: 'agent', host };
        if (p.length === 4 && (p[2] === 'desired' || p[2] === 'status')) {
          return { kind: p[2], host, topology: topologyName(p[3]!) };
        }
      }
      if (p[0] === 'vni' && p.length === 2 && /^[1-9]\d{0,7}$/.test(p[1]!)) {
        return { kind: 'vni', vni: vniNumber(Number(p[1]), 'vni') };
      }
      if (p[0] === 'l2pop' && p.length === 5) {
        return {
          kind: 'l2pop',
          topology: topologyName(p[1]!),
          network: userName(p[2]!, 'network'),
          host: hostName(p[3]),
          port: resourceName(p[4]!, 'port'),
        };
      }
    } catch (e) {
      if (e instanceof InvalidInputError) return null;
      throw e;
    }
    return null;
  }
}
