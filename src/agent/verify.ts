// Distributed verify (`tenantnet verify FILE --store`): a request under a short lease names each
// check's source and server hosts; the agent of a server host starts the echo servers of its own
// namespaces and says it is ready, the agent of a source host waits for those, probes from its own
// namespaces and writes the results; when the request's lease goes, servers stop. Keys (all under the
// request's lease): `verify/<id>/request`, `verify/<id>/ready/<host>`, `verify/<id>/result/<host>`.
// Neutron has no equivalent (tempest probes from outside); this keeps "proved with real packets".
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { type NetnsPrefix, namespaceFor } from '../net/naming.js';
import type { Store, StoreEntry } from '../store/client.js';
import { Informer } from '../store/informer.js';
import type { ResolvedCheck } from '../topology/checks.js';
import { EchoServer } from '../verify/echo-server.js';
import { pingProbe, streamProbe } from '../verify/probes.js';
import type { CheckResult } from '../verify/run-checks.js';
import type { AgentLog } from './log.js';

/** One check of a request, with the hosts of its ends. */
export interface RemoteCheck {
  readonly check: ResolvedCheck;
  /** The host of the source namespace. */
  readonly fromHost: string;
  /** The host of the server namespace (tcp/udp), or null. */
  readonly serverHost: string | null;
}

/** A verify request as stored. */
export interface VerifyRequest {
  readonly topology: string;
  readonly checks: readonly RemoteCheck[];
  /** How long a probe waits for an answer (ms). */
  readonly timeoutMs: number;
}

/** The key prefix of verify requests. */
export function verifyPrefix(store: Store): string {
  return `${store.keys.prefix}verify/`;
}

/** A fresh request id (16 hex characters). */
export function verifyId(): string {
  return randomBytes(8).toString('hex');
}

const ID = /^[0-9a-f]{16}$/;
const HOST = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** What a key under the verify prefix says, or null. */
export function parseVerifyKey(
  store: Store,
  key: string,
): { id: string; kind: 'request' } | { id: string; kind: 'ready' | 'result'; host: string } | null {
  const rest = key.slice(verifyPrefix(store).length).split('/');
  if (!key.startsWith(verifyPrefix(store)) || !ID.test(rest[0] ?? '')) return null;
  if (rest.length === 2 && rest[1] === 'request') return { id: rest[0]!, kind: 'request' };
  if (rest.length === 3 && (rest[1] === 'ready' || rest[1] === 'result') && HOST.test(rest[2] ?? '')) {
    return { id: rest[0]!, kind: rest[1], host: rest[2]! };
  }
  return null;
}

/**
 * Decodes a request written by `verify --store` (a value not shaped like one is an error).
 *
 * @throws {InvalidInputError}
 */
export function decodeVerifyRequest(text: string): VerifyRequest {
  const v = JSON.parse(text) as Partial<VerifyRequest>;
  if (typeof v?.topology !== 'string' || !Array.isArray(v.checks) || typeof v.timeoutMs !== 'number') {
    throw new InvalidInputError('verify request: not a request', 'request');
  }
  return v as VerifyRequest;
}

/** Runs one check's probe from a local source namespace. */
async function probe(c: ResolvedCheck, prefix: NetnsPrefix, timeoutMs: number): Promise<CheckResult> {
  const started = Date.now();
  const source = namespaceFor(c.source.kind, c.source.topology, c.source.name, prefix);
  let seen: { observed: CheckResult['observed']; detail: string; seenFrom: CheckResult['seenFrom'] };
  try {
    seen =
      c.protocol === 'icmp'
        ? await pingProbe(source, c.destination, c.family, timeoutMs)
        : await streamProbe(source, c.protocol, c.destination, c.family, c.port!, timeoutMs);
  } catch (e) {
    seen = { observed: 'error', detail: e instanceof Error ? e.message : String(e), seenFrom: null };
  }
  const met = seen.observed === c.expect;
  return {
    index: c.index,
    from: c.from,
    to: c.to,
    protocol: c.protocol,
    port: c.port,
    expect: c.expect,
    result: met ? c.expect : 'fail',
    observed: seen.observed,
    detail: met || seen.observed === 'error' ? seen.detail : `expected ${c.expect}, but: ${seen.detail}`,
    destination: c.destination,
    seenFrom: seen.seenFrom,
    ms: Date.now() - started,
  };
}

interface Handling {
  readonly servers: EchoServer[];
  probed: boolean;
  readied: boolean;
}

/** The agent's side of distributed verify: watches requests, serves and probes for its own namespaces. */
export class VerifyResponder {
  private informer: Informer | null = null;
  private readonly handling = new Map<string, Handling>();

  constructor(
    private readonly store: Store,
    private readonly host: string,
    private readonly prefix: NetnsPrefix,
    private readonly log: AgentLog,
  ) {}

  /** Starts watching requests. */
  start(): Promise<void> {
    this.informer = new Informer(this.store, verifyPrefix(this.store), {
      sync: (state) => this.onState(state),
      events: () => this.onState(this.informer!.state),
      error: (e) => this.log.write('warn', 'verify watch trouble, resyncing', { error: e.message }),
    });
    return this.informer.start();
  }

  private onState(state: ReadonlyMap<string, StoreEntry>): void {
    const requests = new Map<string, StoreEntry>();
    const ready = new Map<string, Set<string>>();
    for (const e of state.values()) {
      const k = parseVerifyKey(this.store, e.key);
      if (k?.kind === 'request') requests.set(k.id, e);
      else if (k?.kind === 'ready') ready.set(k.id, new Set([...(ready.get(k.id) ?? []), k.host]));
    }
    for (const [id, h] of this.handling) {
      if (!requests.has(id)) {
        this.handling.delete(id);
        for (const s of h.servers) void s.stop().catch(() => {});
      }
    }
    for (const [id, e] of requests) void this.handle(id, e, ready.get(id) ?? new Set());
  }

  private async put(key: string, value: string, lease: string): Promise<void> {
    await this.store.call(`write ${key}`, () =>
      this.store.client.kv.put({ key: Buffer.from(key), value: Buffer.from(value), lease }),
    );
  }

  private async handle(id: string, e: StoreEntry, ready: ReadonlySet<string>): Promise<void> {
    let h = this.handling.get(id);
    let req: VerifyRequest;
    try {
      req = decodeVerifyRequest(e.value.toString());
    } catch {
      return;
    }
    const base = `${verifyPrefix(this.store)}${id}/`;
    if (!h) {
      h = { servers: [], probed: false, readied: false };
      this.handling.set(id, h);
      const mine = req.checks.filter((c) => c.serverHost === this.host && c.check.protocol !== 'icmp');
      const seen = new Set<string>();
      for (const { check: c } of mine) {
        const ns = namespaceFor(c.server!.kind, c.server!.topology, c.server!.name, this.prefix);
        const key = `${ns}/${c.protocol}${c.family}/${c.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        try {
          h.servers.push(
            await EchoServer.start({
              namespace: ns,
              protocol: c.protocol as 'tcp' | 'udp',
              family: c.family,
              port: c.port!,
            }),
          );
        } catch (err) {
          this.log.write('warn', 'verify: echo server failed', { ns, error: (err as Error).message });
        }
      }
      if (!this.handling.has(id)) {
        for (const s of h.servers) await s.stop().catch(() => {});
        return;
      }
      await this.put(`${base}ready/${this.host}`, '{}', e.lease).catch(() => {});
      h.readied = true;
    }
    if (h.probed) return;
    const needed = new Set(
      req.checks.flatMap((c) => (c.serverHost && c.check.protocol !== 'icmp' ? [c.serverHost] : [])),
    );
    if (![...needed].every((n) => ready.has(n) || (n === this.host && h.readied))) return;
    const mine = req.checks.filter((c) => c.fromHost === this.host);
    h.probed = true;
    if (mine.length === 0) return;
    const results: CheckResult[] = [];
    await Promise.all(
      mine.map(async (c) => {
        results.push(await probe(c.check, this.prefix, req.timeoutMs));
      }),
    );
    results.sort((a, b) => a.index - b.index);
    await this.put(`${base}result/${this.host}`, JSON.stringify(results), e.lease).catch((err) =>
      this.log.write('warn', 'verify: results not written', { error: (err as Error).message }),
    );
  }

  /** Stops watching and every server still running. */
  async stop(): Promise<void> {
    await this.informer?.stop();
    for (const h of this.handling.values()) for (const s of h.servers) await s.stop().catch(() => {});
    this.handling.clear();
  }
}
