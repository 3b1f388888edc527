// The verify runner: every resolved check of a topology probed with real packets, a bounded number at
// once, each TCP/UDP check against an echo server started for it in the destination's namespace (one
// per namespace, protocol and port, shared while checks use it, stopped by PID when the last is done).
// Results say whether the expectation was met and what the server saw. What Neutron's scenario tests
// (tempest) prove by hand, for a whole topology.
import { InvalidInputError } from '../errors.js';
import { addressFamily, parseAddress } from '../net/cidr.js';
import { statNamespace } from '../net/namespace.js';
import { NAMESPACE_LEADS, type NetnsPrefix, namespaceFor, netnsPrefix } from '../net/naming.js';
import { topologyName, userName } from '../net/ownership.js';
import type { IpAddress, NamespaceName } from '../net/types.js';
import type { CheckEndpoint, ResolvedCheck } from '../topology/checks.js';
import { EchoServer, type EchoServerSpec } from './echo-server.js';
import { type Observation, pingProbe, streamProbe } from './probes.js';

/** The outcome of one check. */
export interface CheckResult {
  /** Its place in the topology's `checks` list. */
  readonly index: number;
  readonly from: string;
  readonly to: string;
  readonly protocol: ResolvedCheck['protocol'];
  readonly port: number | null;
  readonly expect: ResolvedCheck['expect'];
  /**
   * `pass` or `block`: what was seen, and it was expected; `fail`: the expectation was not met (or the
   * probe could not be made: see `observed` and `detail`).
   */
  readonly result: 'pass' | 'block' | 'fail';
  /** What the probe saw: `pass`, `block`, or `error` when it could not be made. */
  readonly observed: Observation['observed'];
  /** What happened, in a few words. */
  readonly detail: string;
  /** The address probed. */
  readonly destination: IpAddress;
  /** TCP/UDP: the source address the server saw (after any NAT), else null. */
  readonly seenFrom: IpAddress | null;
  /** How long the check took, in milliseconds. */
  readonly ms: number;
}

/** Options of {@link runChecks}. */
export interface RunChecksOptions {
  /** The prefix every namespace name of the topology carries (simulated hosts); default none. */
  readonly netnsPrefix?: string;
  /** How many checks run at once, 1-64 (default 4). */
  readonly concurrency?: number;
  /** How long a probe waits for an answer before it counts as blocked, 100-60000 ms (default 1500). */
  readonly timeoutMs?: number;
  /** Called with each result as it is known (in completion order). */
  readonly onResult?: (result: CheckResult) => void;
}

/** The namespace of a check endpoint. */
function namespaceOf(e: CheckEndpoint, prefix: NetnsPrefix): NamespaceName {
  return namespaceFor(e.kind, e.topology, e.name, prefix);
}

/** Echo servers shared by the checks that need the same one; each stopped when its last user is done. */
class EchoServers {
  private readonly running = new Map<string, { ready: Promise<EchoServer>; users: number }>();
  private readonly stopping = new Map<string, Promise<void>>();

  /** Runs `fn` while the server of `spec` runs (starting it if needed). */
  async use<T>(spec: EchoServerSpec, fn: () => Promise<T>): Promise<T> {
    const key = `${spec.namespace}/${spec.protocol}${spec.family}/${spec.port}`;
    // The same port cannot be listened on twice: wait for a server on its way out to be gone.
    for (let s = this.stopping.get(key); s && !this.running.has(key); s = this.stopping.get(key)) await s;
    let entry = this.running.get(key);
    if (!entry) {
      entry = { ready: EchoServer.start(spec), users: 0 };
      entry.ready.catch(() => {}); // each user awaits it; a failure is theirs to report
      this.running.set(key, entry);
    }
    entry.users++;
    try {
      await entry.ready;
      return await fn();
    } finally {
      if (--entry.users === 0) {
        this.running.delete(key);
        const stopped = entry.ready
          .then((server) => server.stop())
          .catch(() => {})
          .finally(() => this.stopping.delete(key));
        this.stopping.set(key, stopped);
        await stopped;
      }
    }
  }
}

function settle(check: ResolvedCheck, seen: Observation, ms: number): CheckResult {
  const met = seen.observed === check.expect;
  const detail =
    met || seen.observed === 'error' ? seen.detail : `expected ${check.expect}, but: ${seen.detail}`;
  return {
    index: check.index,
    from: check.from,
    to: check.to,
    protocol: check.protocol,
    port: check.port,
    expect: check.expect,
    result: met ? check.expect : 'fail',
    observed: seen.observed,
    detail,
    destination: check.destination,
    seenFrom: seen.seenFrom,
    ms,
  };
}

async function runOne(
  check: ResolvedCheck,
  prefix: NetnsPrefix,
  timeoutMs: number,
  servers: EchoServers,
): Promise<CheckResult> {
  const started = Date.now();
  const error = (detail: string) =>
    settle(check, { observed: 'error', detail, seenFrom: null }, Date.now() - started);
  const source = namespaceOf(check.source, prefix);
  if (statNamespace(source) === null) {
    return error(`namespace "${source}" does not exist (is the topology applied?)`);
  }
  try {
    if (check.protocol === 'icmp') {
      const seen = await pingProbe(source, check.destination, check.family, timeoutMs);
      return settle(check, seen, Date.now() - started);
    }
    if (check.server === null || check.port === null) {
      return error('a tcp or udp check needs a port and a destination the topology owns');
    }
    const where = namespaceOf(check.server, prefix);
    if (statNamespace(where) === null) {
      return error(`namespace "${where}" does not exist (is the topology applied?)`);
    }
    const spec = { namespace: where, protocol: check.protocol, family: check.family, port: check.port };
    const port = check.port;
    const seen = await servers.use(spec, () =>
      streamProbe(source, spec.protocol, check.destination, check.family, port, timeoutMs),
    );
    return settle(check, seen, Date.now() - started);
  } catch (e) {
    return error(e instanceof Error ? e.message : String(e));
  }
}

function fail(where: string, why: string): never {
  throw new InvalidInputError(`${where}: ${why}`, where);
}

/** An endpoint as the runner trusts it: a known kind, a topology name and a resource name. */
function checkEndpoint(e: unknown, where: string): CheckEndpoint {
  const o = e as Partial<CheckEndpoint> | null;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.kind !== 'string' ||
    !Object.hasOwn(NAMESPACE_LEADS, o.kind)
  ) {
    fail(where, 'is not an endpoint ({ kind: instance | router | dhcp, topology, name })');
  }
  return {
    kind: o.kind,
    topology: topologyName(o.topology as string, `${where}.topology`),
    name: userName(o.name as string, `${where}.name`),
  };
}

/**
 * A resolved check as the runner trusts it. Its values reach argv words and socat addresses
 * (`TCP4:ADDR:PORT`), so a check made by hand, not by `resolveChecks`, is checked here: a canonical
 * address of its family, a port 1-65535 (none for icmp), known protocol and expectation, valid names.
 *
 * @throws {InvalidInputError} naming the check (`checks[2].destination`)
 */
function checkResolved(c: ResolvedCheck, i: number): ResolvedCheck {
  const at = `checks[${i}]`;
  if (typeof c !== 'object' || c === null) fail(at, 'is not a resolved check');
  if (!['icmp', 'tcp', 'udp'].includes(c.protocol))
    fail(`${at}.protocol`, `${JSON.stringify(c.protocol)} is not icmp, tcp or udp`);
  if (c.expect !== 'pass' && c.expect !== 'block')
    fail(`${at}.expect`, `${JSON.stringify(c.expect)} is not pass or block`);
  const destination = parseAddress(c.destination, `${at}.destination`);
  if (destination !== c.destination || addressFamily(destination) !== c.family) {
    fail(
      `${at}.destination`,
      `${JSON.stringify(c.destination)} is not a canonical IPv${String(c.family)} address`,
    );
  }
  if (
    c.protocol === 'icmp' ? c.port !== null : !(Number.isInteger(c.port) && c.port! >= 1 && c.port! <= 65535)
  ) {
    fail(
      `${at}.port`,
      `${JSON.stringify(c.port)} is not ${c.protocol === 'icmp' ? 'null (icmp)' : 'a port 1-65535'}`,
    );
  }
  if (typeof c.from !== 'string' || typeof c.to !== 'string') fail(at, 'from and to must be strings');
  if (!Number.isInteger(c.index)) fail(`${at}.index`, 'is not an integer');
  return {
    ...c,
    source: checkEndpoint(c.source, `${at}.source`),
    server: c.server === null ? null : checkEndpoint(c.server, `${at}.server`),
  };
}

function intOption(
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  where: string,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${where}: ${String(value)} is not an integer from ${min} to ${max}`, where);
  }
  return value;
}

/**
 * Runs checks with real packets: ICMP by ping from the source namespace; TCP and UDP by a client in the
 * source namespace sending a unique token to an echo server (socat) started in the namespace that owns
 * the destination, which answers with the token and the source address it saw. A check is blocked when
 * no answer comes within `timeoutMs`, or the network refuses it. Servers are stopped and clients killed
 * by PID when done; nothing is left running, also when a probe fails.
 *
 * @param checks checks resolved by `resolveChecks`/`buildTopology`
 * @returns one result per check, in the order given
 * @throws {InvalidInputError} for a bad option or a malformed check (before anything runs); whatever
 *   `onResult` throws, once every check is done
 */
export async function runChecks(
  checks: readonly ResolvedCheck[],
  options: RunChecksOptions = {},
): Promise<CheckResult[]> {
  const prefix = netnsPrefix(options.netnsPrefix ?? '', 'netnsPrefix');
  const concurrency = intOption(options.concurrency, 4, 1, 64, 'concurrency');
  const timeoutMs = intOption(options.timeoutMs, 1500, 100, 60_000, 'timeoutMs');
  if (!Array.isArray(checks)) fail('checks', 'is not a list');
  const valid = checks.map(checkResolved);
  const servers = new EchoServers();
  const results: CheckResult[] = new Array(valid.length);
  let next = 0;
  let callbackError: { error: unknown } | null = null;
  const worker = async () => {
    for (let i = next++; i < valid.length; i = next++) {
      const r = await runOne(valid[i]!, prefix, timeoutMs, servers);
      results[i] = r;
      try {
        options.onResult?.(r);
      } catch (error) {
        // The caller's failure, not a check's: finish (and clean up) first, then hand it back.
        callbackError ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, valid.length) }, worker));
  if (callbackError) throw (callbackError as { error: unknown }).error;
  return results;
}

/** What `tenantnet verify --json` prints. */
export interface VerifyReport {
  /** Checks whose expectation was met. */
  readonly passed: number;
  /** Checks whose expectation was not met (or that could not be made). */
  readonly failed: number;
  readonly checks: readonly CheckResult[];
}

/** The report of a run: counts and every result. Pure. */
export function verifyReport(results: readonly CheckResult[]): VerifyReport {
  const failed = results.filter((r) => r.result === 'fail').length;
  return { passed: results.length - failed, failed, checks: results };
}
