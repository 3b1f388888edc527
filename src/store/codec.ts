// The values under each key: their types, one canonical JSON text each (so equal values are equal
// bytes and an unchanged apply writes nothing), and decoders that read a value without trusting it: a
// value edited by hand into garbage is a StoreValueError naming the key and what is wrong.
import { canonicalJson } from '../model/canonical.js';
import type { Model, Slice } from '../model/index.js';
import { type IpAddress, ipAddress, type Mac, mac } from '../net/types.js';
import { StoreValueError } from './errors.js';

/** `topologies/<topo>/meta`: what the last apply that changed anything wrote. */
export interface TopologyMeta {
  /** Counts the applies that changed anything (1 for the first). */
  readonly generation: number;
  /** Every host with a slice, and the generation its slice was last written at, sorted by host. */
  readonly hosts: readonly { readonly host: string; readonly generation: number }[];
  /** Who applied it (user@machine, or what the caller says). */
  readonly appliedBy: string;
  /** When, ISO 8601. */
  readonly appliedAt: string;
  /** A hash of the topology file it came from, when there was one. */
  readonly fileHash: string | null;
}

/** `hosts/<host>/desired/<topo>`: the host's slice and the generation it was written at. */
export interface HostDesired {
  readonly generation: number;
  readonly slice: Slice;
}

/** `vni/<vni>`: who holds a VNI. */
export interface VniRecord {
  readonly topology: string;
  readonly network: string;
}

/** What an agent is doing: syncing (first pass), ready, or degraded (a failure it retries). */
export type AgentState = 'syncing' | 'ready' | 'degraded';

/** `hosts/<host>/agent`: a live agent (under its lease). */
export interface AgentRecord {
  /** The host's VXLAN tunnel endpoint. */
  readonly vtep: IpAddress;
  /** The underlay link's MTU (68-65535). */
  readonly underlayMtu: number;
  /** The underlay's IP family (the VTEP's). */
  readonly underlayFamily: 4 | 6;
  /** tenantnet's version. */
  readonly version: string;
  readonly pid: number;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly state: AgentState;
}

/** `hosts/<host>/status/<topo>`: what a host's agent last did for a topology. */
export interface HostStatus {
  /** The slice generation it converged to (or last tried). */
  readonly observedGeneration: number;
  /** ISO 8601. */
  readonly at: string;
  /** Operations its last pass applied. */
  readonly changes: number;
  /** What failed in that pass (empty: converged). */
  readonly failures: readonly { readonly resource: string; readonly error: string }[];
  /** dnsmasq PIDs per network. */
  readonly dhcp: readonly { readonly network: string; readonly pid: number }[];
}

/** `l2pop/<topo>/<network>/<host>/<port>`: a port plugged and up on a host (under its agent's lease). */
export interface L2popRecord {
  readonly mac: Mac;
  /** Every address that answers on this MAC (fixed IPs; a gateway port's floating IPs too). */
  readonly ips: readonly IpAddress[];
  /** The VTEP of the host it is on. */
  readonly vtep: IpAddress;
  readonly vni: number;
}

/** The stored text of a value: canonical JSON (keys sorted at every level, no whitespace). Pure. */
export function encodeValue(value: unknown): string {
  return canonicalJson(value);
}

// --- reading without trusting -------------------------------------------------------------------

type Loose = Readonly<Record<string, unknown>>;

/** A reader of one value: every failure is a StoreValueError naming the key and the field. */
class Reader {
  constructor(readonly key: string) {}

  fail(field: string, why: string): never {
    throw new StoreValueError(this.key, field ? `${field}: ${why}` : why);
  }

  json(text: string | Buffer): unknown {
    const s = typeof text === 'string' ? text : text.toString('utf8');
    try {
      return JSON.parse(s);
    } catch {
      const shown = s.length > 40 ? `${s.slice(0, 40)}…` : s;
      return this.fail('', `the value is not JSON: ${JSON.stringify(shown)}`);
    }
  }

  object(v: unknown, field: string): Loose {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'not an object');
    return v as Loose;
  }

  list(v: unknown, field: string): readonly unknown[] {
    if (!Array.isArray(v)) this.fail(field, 'not a list');
    return v;
  }

  string(v: unknown, field: string): string {
    if (typeof v !== 'string') this.fail(field, 'not a string');
    return v;
  }

  int(v: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(field, `not an integer ${min}-${max}`);
    }
    return v;
  }

  nullable<T>(v: unknown, field: string, read: (v: unknown, field: string) => T): T | null {
    return v === null ? null : read(v, field);
  }

  /** A value checked by a validator of `src/net` (which throws InvalidInputError). */
  valid<T>(v: unknown, field: string, check: (v: string) => T): T {
    try {
      return check(this.string(v, field));
    } catch (e) {
      if (e instanceof StoreValueError) throw e;
      return this.fail(field, (e as Error).message);
    }
  }
}

/** A port's shape, as far as slices and plans read it. */
function port(r: Reader, v: unknown, at: string): void {
  const p = r.object(v, at);
  r.string(p.name, `${at}.name`);
  r.string(p.mac, `${at}.mac`);
  r.list(p.fixedIps, `${at}.fixedIps`).forEach((f, i) => {
    const o = r.object(f, `${at}.fixedIps[${i}]`);
    r.string(o.subnet, `${at}.fixedIps[${i}].subnet`);
    r.string(o.address, `${at}.fixedIps[${i}].address`);
  });
}

const host = (r: Reader, v: unknown, at: string) => r.nullable(v, at, (x, f) => r.string(x, f));

/**
 * Checks the shape of a model (or slice) as far as tenantnet reads it from the store: the resource
 * lists, names, hosts, ports with their addresses, rules' remote groups, members. Anything else
 * wrong shows when a planner validates its part.
 */
function modelShape(r: Reader, v: unknown, topology: string): Loose {
  const m = r.object(v, '');
  if (m.topology !== topology) r.fail('topology', `${JSON.stringify(m.topology)} is not ${topology}`);
  if (m.backend !== 'ovs' && m.backend !== 'linuxbridge') r.fail('backend', 'not ovs or linuxbridge');
  r.list(m.networks, 'networks').forEach((x, i) => {
    const at = `networks[${i}]`;
    const n = r.object(x, at);
    r.string(n.name, `${at}.name`);
    r.list(n.subnets, `${at}.subnets`).forEach((s, k) => {
      r.string(r.object(s, `${at}.subnets[${k}]`).name, `${at}.subnets[${k}].name`);
    });
    r.nullable(n.vni, `${at}.vni`, (x2, f) => r.int(x2, f, 1, 0xffffff));
    r.nullable(n.dhcpPort, `${at}.dhcpPort`, (x2, f) => port(r, x2, f));
    if (n.hostDhcpPorts !== undefined) {
      r.list(n.hostDhcpPorts, `${at}.hostDhcpPorts`).forEach((h, k) => {
        const o = r.object(h, `${at}.hostDhcpPorts[${k}]`);
        r.string(o.host, `${at}.hostDhcpPorts[${k}].host`);
        port(r, o.port, `${at}.hostDhcpPorts[${k}].port`);
      });
    }
  });
  r.list(m.routers, 'routers').forEach((x, i) => {
    const at = `routers[${i}]`;
    const o = r.object(x, at);
    r.string(o.name, `${at}.name`);
    host(r, o.host, `${at}.host`);
    r.nullable(o.gateway, `${at}.gateway`, (g, f) => {
      const go = r.object(g, f);
      r.string(go.network, `${f}.network`);
      port(r, go.port, `${f}.port`);
    });
    r.list(o.interfaces, `${at}.interfaces`).forEach((x2, k) => {
      const io = r.object(x2, `${at}.interfaces[${k}]`);
      r.string(io.network, `${at}.interfaces[${k}].network`);
      port(r, io.port, `${at}.interfaces[${k}].port`);
    });
    r.list(o.floatingIps, `${at}.floatingIps`);
    r.list(o.routes, `${at}.routes`);
  });
  r.list(m.securityGroups, 'securityGroups').forEach((x, i) => {
    const at = `securityGroups[${i}]`;
    const g = r.object(x, at);
    r.string(g.name, `${at}.name`);
    r.list(g.rules, `${at}.rules`).forEach((x2, k) => {
      const rule = r.object(x2, `${at}.rules[${k}]`);
      r.nullable(rule.remoteGroup, `${at}.rules[${k}].remoteGroup`, (x3, f) => r.string(x3, f));
    });
    const members = r.object(g.members, `${at}.members`);
    r.list(members[4], `${at}.members.4`);
    r.list(members[6], `${at}.members.6`);
  });
  r.list(m.instances, 'instances').forEach((x, i) => {
    const at = `instances[${i}]`;
    const o = r.object(x, at);
    r.string(o.name, `${at}.name`);
    r.string(o.network, `${at}.network`);
    host(r, o.host, `${at}.host`);
    port(r, o.port, `${at}.port`);
    r.list(o.securityGroups, `${at}.securityGroups`).forEach((s, k) => {
      r.string(s, `${at}.securityGroups[${k}]`);
    });
  });
  return m;
}

/**
 * Reads `topologies/<topo>/spec`: a model of that topology.
 *
 * @throws {StoreValueError} naming the key and what is wrong
 */
export function decodeSpec(key: string, text: string | Buffer, topology: string): Model {
  const r = new Reader(key);
  return modelShape(r, r.json(text), topology) as unknown as Model;
}

/**
 * Reads `topologies/<topo>/meta`.
 *
 * @throws {StoreValueError} naming the key and what is wrong
 */
export function decodeMeta(key: string, text: string | Buffer): TopologyMeta {
  const r = new Reader(key);
  const o = r.object(r.json(text), '');
  const hosts = r.list(o.hosts, 'hosts').map((h, i) => {
    const x = r.object(h, `hosts[${i}]`);
    return {
      host: r.string(x.host, `hosts[${i}].host`),
      generation: r.int(x.generation, `hosts[${i}].generation`),
    };
  });
  return {
    generation: r.int(o.generation, 'generation', 1),
    hosts,
    appliedBy: r.string(o.appliedBy, 'appliedBy'),
    appliedAt: r.string(o.appliedAt, 'appliedAt'),
    fileHash: r.nullable(o.fileHash, 'fileHash', (v, f) => r.string(v, f)),
  };
}

/**
 * Reads `hosts/<host>/desired/<topo>`: a slice of that topology for that host, and its generation.
 *
 * @throws {StoreValueError} naming the key and what is wrong
 */
export function decodeDesired(
  key: string,
  text: string | Buffer,
  host: string,
  topology: string,
): HostDesired {
  const r = new Reader(key);
  const o = r.object(r.json(text), '');
  const generation = r.int(o.generation, 'generation', 1);
  const slice = modelShape(r, o.slice, topology);
  if (slice.host !== host) r.fail('slice.host', `${JSON.stringify(slice.host)} is not ${host}`);
  return { generation, slice: slice as unknown as Slice };
}

/**
 * Reads `vni/<vni>`.
 *
 * @throws {StoreValueError} naming the key and what is wrong
 */
export function decodeVni(key: string, text: string | Buffer): VniRecord {
  const r = new Reader(key);
  const o = r.object(r.json(text), '');
  return { topology: r.string(o.topology, 'topology'), network: r.string(o.network, 'network') };
}

/**
 * Reads `hosts/<host>/agent`.
 *
 * @throws {StoreValueError} naming the key and what is wrong
 */
export function decodeAgent(key: string, text: string | Buffer): AgentRecord {
  const r = new Reader(key);
  const o = r.object(r.json(text), '');
  const state =
    o.state === 'syncing' || o.state === 'ready' || o.state === 'degraded'
      ? o.state
      : r.fail('state', 'not syncing, ready or degraded');
  const family =
    o.underlayFamily === 4 || o.underlayFamily === 6
      ? o.underlayFamily
      : r.fail('underlayFamily', 'not 4 or 6');
  return {
    vtep: r.valid(o.vtep, 'vtep', (v) => ipAddress(v, 'vtep')),
    underlayMtu: r.int(o.underlayMtu, 'underlayMtu', 68, 65535),
    underlayFamily: family,
    version: r.string(o.version, 'version'),
    pid: r.int(o.pid, 'pid', 1),
    startedAt: r.string(o.startedAt, 'startedAt'),
    state,
  };
}

/**
 * Reads `hosts/<host>/status/<topo>`.
 *
 * @throws {StoreValueError} naming the key and what is wrong
 */
export function decodeStatus(key: string, text: string | Buffer): HostStatus {
  const r = new Reader(key);
  const o = r.object(r.json(text), '');
  return {
    observedGeneration: r.int(o.observedGeneration, 'observedGeneration'),
    at: r.string(o.at, 'at'),
    changes: r.int(o.changes, 'changes'),
    failures: r.list(o.failures, 'failures').map((f, i) => {
      const x = r.object(f, `failures[${i}]`);
      return {
        resource: r.string(x.resource, `failures[${i}].resource`),
        error: r.string(x.error, `failures[${i}].error`),
      };
    }),
    dhcp: r.list(o.dhcp, 'dhcp').map((d, i) => {
      const x = r.object(d, `dhcp[${i}]`);
      return { network: r.string(x.network, `dhcp[${i}].network`), pid: r.int(x.pid, `dhcp[${i}].pid`, 1) };
    }),
  };
}

/**
 * Reads `l2pop/<topo>/<network>/<host>/<port>`.
 *
 * @throws {StoreValueError} naming the key and what is wrong
 */
export function decodeL2pop(key: string, text: string | Buffer): L2popRecord {
  const r = new Reader(key);
  const o = r.object(r.json(text), '');
  return {
    mac: r.valid(o.mac, 'mac', (v) => mac(v, 'mac')),
    ips: r.list(o.ips, 'ips').map((a, i) => r.valid(a, `ips[${i}]`, (v) => ipAddress(v, `ips[${i}]`))),
    vtep: r.valid(o.vtep, 'vtep', (v) => ipAddress(v, 'vtep')),
    vni: r.int(o.vni, 'vni', 1, 0xffffff),
  };
}
