import { randomBytes } from 'node:crypto';
import { run } from '../exec/run.js';
import {
  addAddress,
  addVeth,
  closeIpBatches,
  createNamespace,
  deleteNamespace,
  getLink,
  namespaceExists,
} from '../ip/index.js';
/** What the demo did, printed as JSON with `--json`. */
export interface DemoResult {
  readonly namespaces: readonly string[];
  readonly veth: readonly [string, string];
  readonly ping: { readonly sent: number; readonly received: number; readonly rttMs: number | null };
  readonly removed: boolean;
  readonly ok: boolean;
}

/**
 * The main job until the topology CLI exists, done with the library: two namespaces joined by a
 * veth pair (the peer created straight in the second namespace, both ends marked as tenantnet's),
 * a ping across, and everything removed again, whatever happened.
 */
export async function runDemo(opts: { json: boolean }): Promise<number> {
  const say = (s: string) => process.stderr.write(`${s}\n`);
  const id = randomBytes(3).toString('hex');
  const [nsA, nsB] = [`tndemo-${id}-a`, `tndemo-${id}-b`];
  const veth: [string, string] = [`tnd${id}a`, `tnd${id}b`];
  let ping: DemoResult['ping'] = { sent: 0, received: 0, rttMs: null };
  try {
    say(`creating namespaces ${nsA} and ${nsB}`);
    await Promise.all([createNamespace(nsA), createNamespace(nsB)]);
    say(`joining them with veth ${veth[0]} <-> ${veth[1]} (10.250.0.1/30 <-> 10.250.0.2/30)`);
    await addVeth({
      namespace: nsA,
      name: veth[0],
      peer: veth[1],
      peerNamespace: nsB,
      up: true,
      owner: { owner: `demo-${id}`, group: Number.parseInt(id, 16) + 1 },
    });
    await Promise.all([
      addAddress({ namespace: nsA, dev: veth[0], cidr: '10.250.0.1/30' }),
      addAddress({ namespace: nsB, dev: veth[1], cidr: '10.250.0.2/30' }),
    ]);
    const link = await getLink({ namespace: nsA, name: veth[0] });
    say(`${veth[0]}: ${link.kind}, mtu ${link.mtu}, ${link.mac}, alias "${link.alias ?? ''}"`);
    say('pinging 10.250.0.2 from the first namespace');
    const r = await run(['ping', '-n', '-c', '3', '-i', '0.2', '-W', '1', '10.250.0.2'], {
      namespace: nsA,
      check: false,
      timeoutMs: 10_000,
    });
    const counts = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
    const rtt = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
    ping = {
      sent: Number(counts?.[1] ?? 0),
      received: Number(counts?.[2] ?? 0),
      rttMs: rtt ? Number(rtt[1]) : null,
    };
    say(`ping: ${ping.received}/${ping.sent} replies${ping.rttMs !== null ? `, avg ${ping.rttMs} ms` : ''}`);
  } finally {
    say('removing both namespaces (the veth pair goes with them)');
    await Promise.all([deleteNamespace(nsA), deleteNamespace(nsB)]).catch(() => {});
    await closeIpBatches();
  }
  const left = namespaceExists(nsA) || namespaceExists(nsB);
  const result: DemoResult = {
    namespaces: [nsA, nsB],
    veth,
    ping,
    removed: !left,
    ok: ping.sent > 0 && ping.received === ping.sent && !left,
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else
    process.stdout.write(
      result.ok ? 'demo ok: ping across the veth pair worked, nothing left behind\n' : 'demo FAILED\n',
    );
  return result.ok ? 0 : 1;
}
