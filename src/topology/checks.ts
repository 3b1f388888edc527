// The `checks:` of a topology file: what `verify` proves with real packets. Each entry is read (defaults,
// port rules, the `router:`/`dhcp:`/`fip:` forms), its names checked against the topology, and then
// resolved against the model into a probe: the namespace it starts in, the address it goes to, and the
// namespace that owns that address (where a TCP/UDP server listens). Pure. No Neutron counterpart: this
// is what Tempest's scenario tests prove by hand.

import type { Model, TopologyInput } from '../model/index.js';
import { addressFamily, parseAddress } from '../net/cidr.js';
import type { NamespaceKind } from '../net/naming.js';
import { type ResourceName, type TopologyName, userName } from '../net/ownership.js';
import type { IpAddress, IpFamily } from '../net/types.js';
import type { FilePath } from './errors.js';
import { show } from './issues.js';

/** A protocol a check probes with. */
export type CheckProtocol = 'icmp' | 'tcp' | 'udp';

/** What a check expects: an answer (`pass`) or none (`block`). */
export type CheckExpectation = 'pass' | 'block';

/** One `checks` entry with its defaults filled in. */
export interface Check {
  /** As written: an instance name, `router:NAME` or `dhcp:NETWORK`. */
  readonly from: string;
  /** As written: an instance name, `fip:INSTANCE` or an address. */
  readonly to: string;
  readonly protocol: CheckProtocol;
  /** The destination port (tcp, udp), null for icmp. */
  readonly port: number | null;
  readonly expect: CheckExpectation;
}

/** A namespace a check runs in: an instance's, a router's or a network's DHCP namespace. */
export interface CheckEndpoint {
  readonly kind: NamespaceKind;
  readonly topology: TopologyName;
  /** The instance, router or (for `dhcp`) network name. */
  readonly name: ResourceName;
}

/** A check resolved against the model: a probe ready to run. */
export interface ResolvedCheck extends Check {
  /** Its place in the file's `checks` list. */
  readonly index: number;
  /** Where the probe starts. */
  readonly source: CheckEndpoint;
  /** The address the probe goes to (canonical). */
  readonly destination: IpAddress;
  readonly family: IpFamily;
  /**
   * The namespace that owns the destination address (for a floating IP: its instance), where a TCP or
   * UDP server listens for the check; null when no namespace of the topology owns it (icmp only).
   */
  readonly server: CheckEndpoint | null;
}

/** A problem with one check, at its path in the file (`['checks', 2, 'port']`). */
export interface CheckProblem {
  readonly path: FilePath;
  readonly message: string;
}

type From = { readonly kind: NamespaceKind; readonly name: ResourceName };
type To =
  | { readonly kind: 'instance'; readonly name: ResourceName }
  | { readonly kind: 'fip'; readonly name: ResourceName }
  | { readonly kind: 'address'; readonly address: IpAddress };

const PROTOCOLS: readonly string[] = ['icmp', 'tcp', 'udp'];
const KIND_WORD: Readonly<Record<NamespaceKind, string>> = {
  instance: 'instance',
  router: 'router',
  dhcp: 'network',
};

function validName(value: string): ResourceName | null {
  try {
    return userName(value);
  } catch {
    return null;
  }
}

/** `from` as a namespace reference, or null when it is not one. */
function parseFrom(value: string): From | null {
  const m = /^(router|dhcp):(.*)$/.exec(value);
  const kind: NamespaceKind = m ? (m[1] as 'router' | 'dhcp') : 'instance';
  const name = validName(m ? m[2]! : value);
  return name ? { kind, name } : null;
}

/** `to` as an instance, a floating IP or an address, or null when it is none of them. */
function parseTo(value: string): To | null {
  const m = /^fip:(.*)$/.exec(value);
  if (m) {
    const name = validName(m[1]!);
    return name ? { kind: 'fip', name } : null;
  }
  const name = validName(value);
  if (name) return { kind: 'instance', name };
  try {
    return { kind: 'address', address: parseAddress(value) };
  } catch {
    return null;
  }
}

const isObject = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the `checks` list of a file's data: defaults (`protocol: icmp`, `expect: pass`), a port for
 * tcp and udp (1-65535) and none for icmp, `from` an instance name, `router:NAME` or `dhcp:NETWORK`,
 * `to` an instance name, `fip:INSTANCE` or an address. An entry whose shape is wrong (the schema's
 * problem, reported there) is null.
 *
 * @returns one check (or null) per entry, in file order, and the problems found
 */
export function readChecks(raw: unknown): { checks: (Check | null)[]; problems: CheckProblem[] } {
  const problems: CheckProblem[] = [];
  if (!Array.isArray(raw)) return { checks: [], problems };
  const checks = raw.map((entry, i): Check | null => {
    const at = (key?: string): FilePath => (key ? ['checks', i, key] : ['checks', i]);
    if (!isObject(entry) || typeof entry.from !== 'string' || typeof entry.to !== 'string') return null;
    const protocol = entry.protocol ?? 'icmp';
    const expect = entry.expect ?? 'pass';
    if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol)) return null;
    if (expect !== 'pass' && expect !== 'block') return null;
    // A port problem does not stop the names being checked: `ok` is about from and to only.
    let ok = true;
    if (!parseFrom(entry.from)) {
      problems.push({
        path: at('from'),
        message: `from: ${show(entry.from)} is not an instance name, router:NAME or dhcp:NETWORK`,
      });
      ok = false;
    }
    if (!parseTo(entry.to)) {
      problems.push({
        path: at('to'),
        message: `to: ${show(entry.to)} is not an instance name, fip:INSTANCE or an IP address`,
      });
      ok = false;
    }
    let port: number | null = null;
    if (protocol === 'icmp') {
      if (entry.port !== undefined) {
        problems.push({
          path: at('port'),
          message: 'port: icmp has no ports; give port with tcp or udp only',
        });
      }
    } else if (entry.port === undefined) {
      problems.push({ path: at(), message: `a ${protocol} check needs "port" (1-65535)` });
    } else if (typeof entry.port === 'number' && (entry.port < 1 || entry.port > 65535)) {
      problems.push({ path: at('port'), message: `port: ${entry.port} is not a port (1-65535)` });
    } else if (typeof entry.port === 'number') port = entry.port;
    return ok ? { from: entry.from, to: entry.to, protocol: protocol as CheckProtocol, port, expect } : null;
  });
  return { checks, problems };
}

/** Names of one kind in a topology input (anything that is not a named object is skipped). */
function namesOf(list: unknown): Set<string> {
  const out = new Set<string>();
  if (Array.isArray(list))
    for (const x of list) if (isObject(x) && typeof x.name === 'string') out.add(x.name);
  return out;
}

/**
 * Checks that the names checks use exist in the topology input (instances, routers, networks, floating
 * IPs), so an unknown name is reported even when the model could not be built.
 *
 * @returns one problem per unknown name
 */
export function checkReferences(checks: readonly (Check | null)[], input: TopologyInput): CheckProblem[] {
  const instances = namesOf(input.instances);
  const routers = namesOf(input.routers);
  const networks = namesOf(input.networks);
  const fips = new Set<string>();
  if (Array.isArray(input.floatingIps)) {
    for (const f of input.floatingIps as unknown[]) {
      if (isObject(f) && typeof f.instance === 'string') fips.add(f.instance);
    }
  }
  const problems: CheckProblem[] = [];
  checks.forEach((c, i) => {
    if (!c) return;
    const from = parseFrom(c.from)!;
    const known = from.kind === 'instance' ? instances : from.kind === 'router' ? routers : networks;
    if (!known.has(from.name)) {
      problems.push({
        path: ['checks', i, 'from'],
        message: `there is no ${KIND_WORD[from.kind]} ${show(from.name)}`,
      });
    }
    const to = parseTo(c.to)!;
    if (to.kind === 'address') return;
    if (!instances.has(to.name)) {
      problems.push({ path: ['checks', i, 'to'], message: `there is no instance ${show(to.name)}` });
    } else if (to.kind === 'fip' && !fips.has(to.name)) {
      problems.push({ path: ['checks', i, 'to'], message: `instance ${show(to.name)} has no floating IP` });
    }
  });
  return problems;
}

/** Who owns each address of the model: the namespaces it is configured in. */
type Owners = ReadonlyMap<IpAddress, readonly CheckEndpoint[]>;

function owners(model: Model): Owners {
  const map = new Map<IpAddress, CheckEndpoint[]>();
  const add = (a: IpAddress, kind: NamespaceKind, name: ResourceName) =>
    map.set(a, [...(map.get(a) ?? []), { kind, topology: model.topology, name }]);
  for (const i of model.instances) for (const f of i.port.fixedIps) add(f.address, 'instance', i.name);
  for (const r of model.routers) {
    if (r.gateway) add(r.gateway.ip, 'router', r.name);
    for (const itf of r.interfaces) for (const f of itf.port.fixedIps) add(f.address, 'router', r.name);
    // A floating IP is answered by its instance (DNAT in the router), so the server listens there.
    for (const fip of r.floatingIps) add(fip.address, 'instance', fip.instance);
  }
  for (const n of model.networks) for (const f of n.dhcpPort?.fixedIps ?? []) add(f.address, 'dhcp', n.name);
  return map;
}

/** The addresses of a source namespace ([] for an unknown name), or why it has no namespace. */
function sourceAddresses(model: Model, from: From): IpAddress[] | string {
  if (from.kind === 'instance') {
    return model.instances.find((i) => i.name === from.name)?.port.fixedIps.map((f) => f.address) ?? [];
  }
  if (from.kind === 'router') {
    const r = model.routers.find((x) => x.name === from.name);
    if (!r) return [];
    return [
      ...(r.gateway ? [r.gateway.ip] : []),
      ...r.interfaces.flatMap((i) => i.port.fixedIps.map((f) => f.address)),
    ];
  }
  const n = model.networks.find((x) => x.name === from.name);
  if (n && !n.dhcpPort)
    return `network ${show(from.name)} has no DHCP (no subnet with dhcp: true), so no dhcp namespace`;
  return n?.dhcpPort?.fixedIps.map((f) => f.address) ?? [];
}

type Destination =
  | { readonly destination: IpAddress; readonly server: CheckEndpoint | null }
  | { readonly problem: string }
  | null;

/**
 * Where a check goes: the address and the namespace that owns it; a problem; or null for an unknown
 * name (which `checkReferences` reports).
 */
function destinationOf(
  c: Check,
  to: To,
  have: readonly IpFamily[],
  model: Model,
  byAddress: Owners,
): Destination {
  if (to.kind === 'address') {
    const owning = [
      ...new Map((byAddress.get(to.address) ?? []).map((o) => [`${o.kind}:${o.name}`, o])).values(),
    ];
    if (owning.length > 1 && c.protocol !== 'icmp') {
      const who = owning.map((o) => `${KIND_WORD[o.kind]} ${o.name}`).join(' and ');
      return { problem: `${to.address} is used by ${who}; name the instance instead` };
    }
    return { destination: to.address, server: owning[0] ?? null };
  }
  const server: CheckEndpoint = { kind: 'instance', topology: model.topology, name: to.name };
  if (to.kind === 'fip') {
    const fip = model.routers.flatMap((r) => r.floatingIps).find((f) => f.instance === to.name);
    return fip ? { destination: fip.address, server } : null;
  }
  const theirs = model.instances.find((i) => i.name === to.name)?.port.fixedIps.map((f) => f.address) ?? [];
  if (theirs.length === 0) return null;
  const destination =
    theirs.find((a) => addressFamily(a) === 4 && have.includes(4)) ??
    theirs.find((a) => have.includes(addressFamily(a)));
  if (!destination) {
    return {
      problem: `${c.to} has no address of a family ${c.from} has (${c.from}: IPv${have.join('/IPv')})`,
    };
  }
  return { destination, server };
}

/**
 * Resolves checks against the model: the source namespace, the destination address (an instance's
 * fixed IP of a family the source has, IPv4 first; a floating IP; or the address given) and the
 * namespace that owns it.
 *
 * @param checks the checks read by {@link readChecks}; null entries are skipped
 * @returns the resolved checks (in file order, nulls and unresolvable ones left out) and the problems:
 *   a source without an address of the destination's family, a dhcp source without DHCP, a tcp/udp
 *   check to an address no namespace of the topology owns (nowhere to listen) or that two own
 */
export function resolveChecks(
  checks: readonly (Check | null)[],
  model: Model,
): { resolved: ResolvedCheck[]; problems: CheckProblem[] } {
  const byAddress = owners(model);
  const resolved: ResolvedCheck[] = [];
  const problems: CheckProblem[] = [];
  for (const [index, c] of checks.entries()) {
    if (!c) continue;
    const problem = (key: string, message: string) =>
      problems.push({ path: ['checks', index, key], message });
    const from = parseFrom(c.from)!;
    const mine = sourceAddresses(model, from);
    if (typeof mine === 'string') {
      problem('from', mine);
      continue;
    }
    if (mine.length === 0) continue; // an unknown source: checkReferences reports it
    const have = [...new Set(mine.map(addressFamily))];

    const to = destinationOf(c, parseTo(c.to)!, have, model, byAddress);
    if (to === null) continue;
    if ('problem' in to) {
      problem('to', to.problem);
      continue;
    }
    const { destination, server } = to;
    const family = addressFamily(destination);
    if (!have.includes(family)) {
      problem('from', `${c.from} has no IPv${family} address to reach ${destination} from`);
    } else if (!server && c.protocol !== 'icmp') {
      problem(
        'to',
        `no namespace of the topology has ${destination}, so a ${c.protocol} check has nowhere to listen (use icmp, or an address the topology owns)`,
      );
    } else {
      resolved.push({
        ...c,
        index,
        source: { ...from, topology: model.topology },
        destination,
        family,
        server,
      });
    }
  }
  return { resolved, problems };
}
