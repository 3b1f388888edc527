// `verify FILE --store`: the file's checks proved with real packets across hosts. The request goes
// into etcd under a short lease; the agents owning each check's source and server namespaces start
// the echo servers and probes there, write the results, and stop when the request's lease is revoked.
// Same table, JSON and exit codes as on one host.
import { type RemoteCheck, verifyId, verifyPrefix } from '../agent/index.js';
import { TenantnetError } from '../errors.js';
import type { Model } from '../model/index.js';
import { readAgents, readTopology, reservedVnis, type Store, StoreLease } from '../store/index.js';
import { buildTopology, type CheckEndpoint, loadTopology } from '../topology/index.js';
import { verifyReport } from '../verify/index.js';
import type { CheckResult } from '../verify/run-checks.js';
import { printVerifyReport } from './commands/verify.js';
import type { Output } from './output.js';

function hostOf(model: Model, e: CheckEndpoint): string {
  const h =
    e.kind === 'instance'
      ? model.instances.find((i) => i.name === e.name)?.host
      : e.kind === 'router'
        ? model.routers.find((r) => r.name === e.name)?.host
        : null;
  if (!h) {
    throw new TenantnetError(
      `verify --store: ${e.kind} ${e.name} has no host (only instances and routers can be check ends on many hosts)`,
    );
  }
  return h;
}

/** `verify FILE --store`: exit 0 only if every check met its expectation. */
export async function verifyWithStore(
  store: Store,
  file: string,
  out: Output,
  timeoutMs = 1500,
): Promise<number> {
  const loaded = await loadTopology(file);
  const name = String((loaded.input as { name?: unknown }).name ?? '');
  const stored = await readTopology(store, name);
  if (!stored.spec) throw new TenantnetError(`${name}: not in the store (apply it with --store first)`);
  const agents = await readAgents(store);
  const { model, checks } = buildTopology(loaded, {
    previous: stored.spec.value,
    reservedVnis: reservedVnis(stored),
    underlay: new Map([...agents].map(([h, a]) => [h, { mtu: a.underlayMtu, family: a.underlayFamily }])),
  });
  const remote: RemoteCheck[] = checks.map((c) => ({
    check: c,
    fromHost: hostOf(model, c.source),
    serverHost: c.server && c.protocol !== 'icmp' ? hostOf(model, c.server) : null,
  }));
  const hosts = [...new Set(remote.flatMap((c) => [c.fromHost, ...(c.serverHost ? [c.serverHost] : [])]))];
  for (const h of hosts) if (!agents.has(h)) out.warn(`host ${h} has no live agent: its checks fail`);
  out.progress(`verifying ${model.topology} on ${hosts.join(', ')}: ${checks.length} check(s)`);
  const id = verifyId();
  const base = `${verifyPrefix(store)}${id}/`;
  const lease = await StoreLease.acquire(store, { ttlSeconds: 10 });
  lease.keepAlive();
  const results = new Map<number, CheckResult>();
  try {
    await lease.put(
      `${base}request`,
      JSON.stringify({ topology: model.topology, checks: remote, timeoutMs }),
    );
    const fromHosts = new Set(remote.map((c) => c.fromHost).filter((h) => agents.has(h)));
    const deadline = Date.now() + 15_000 + checks.length * timeoutMs;
    const answered = new Set<string>();
    while (answered.size < fromHosts.size && Date.now() < deadline) {
      const listed = await store.list(`${base}result/`);
      for (const e of listed.entries) {
        const h = e.key.slice(`${base}result/`.length);
        if (answered.has(h)) continue;
        answered.add(h);
        for (const r of JSON.parse(e.value.toString()) as CheckResult[]) {
          results.set(r.index, r);
          out.progress(`${r.result === 'fail' ? 'FAIL' : 'ok'} ${r.from} -> ${r.to} ${r.protocol} (on ${h})`);
        }
      }
      if (answered.size < fromHosts.size) await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    // Every key of the request goes with its lease; the agents stop their servers.
    await lease.revoke().catch(() => lease.release());
  }
  const all: CheckResult[] = remote.map(
    ({ check: c, fromHost }) =>
      results.get(c.index) ?? {
        index: c.index,
        from: c.from,
        to: c.to,
        protocol: c.protocol,
        port: c.port,
        expect: c.expect,
        result: 'fail',
        observed: 'error',
        detail: `host ${fromHost} did not answer (no live agent, or it timed out)`,
        destination: c.destination,
        seenFrom: null,
        ms: 0,
      },
  );
  const report = verifyReport(all);
  return printVerifyReport(out, report);
}
