// `tenantnet demo`: the library end to end on two throwaway namespaces (a veth pair, a ping across,
// everything removed), the main job until the topology commands arrive.
import { randomBytes } from 'node:crypto';
import { run } from '../../exec/index.js';
import {
  addAddress,
  addVeth,
  closeIpBatches,
  createNamespace,
  deleteNamespace,
  getLink,
} from '../../ip/index.js';
import { namespaceExists } from '../../net/index.js';
import { defineCommand } from '../command.js';
import type { Output } from '../output.js';

/** What the demo did, printed as JSON with `--json`. */
export interface DemoResult {
  readonly namespaces: readonly string[];
  readonly veth: readonly [string, string];
  readonly ping: { readonly sent: number; readonly received: number; readonly rttMs: number | null };
  readonly removed: boolean;
  readonly ok: boolean;
}

/**
 * Two namespaces joined by a veth pair (the peer created straight in the second namespace, both ends
 * marked as tenantnet's), a ping across, and everything removed again, whatever happened. Progress
 * goes to `out`; the result is returned, not printed.
 */
export async function runDemo(out: Output): Promise<DemoResult> {
  const id = randomBytes(3).toString('hex');
  const [nsA, nsB] = [`tndemo-${id}-a`, `tndemo-${id}-b`];
  const veth: [string, string] = [`tnd${id}a`, `tnd${id}b`];
  let ping: DemoResult['ping'] = { sent: 0, received: 0, rttMs: null };
  try {
    out.progress(`creating namespaces ${nsA} and ${nsB}`);
    await Promise.all([createNamespace(nsA), createNamespace(nsB)]);
    out.progress(`joining them with veth ${veth[0]} <-> ${veth[1]} (10.250.0.1/30 <-> 10.250.0.2/30)`);
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
    out.info(`${veth[0]}: ${link.kind}, mtu ${link.mtu}, ${link.mac}, alias "${link.alias ?? ''}"`);
    out.progress('pinging 10.250.0.2 from the first namespace');
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
    out.info(
      `ping: ${ping.received}/${ping.sent} replies${ping.rttMs !== null ? `, avg ${ping.rttMs} ms` : ''}`,
    );
  } finally {
    out.progress('removing both namespaces (the veth pair goes with them)');
    await Promise.all([deleteNamespace(nsA), deleteNamespace(nsB)]).catch(() => {});
    await closeIpBatches();
  }
  const left = namespaceExists(nsA) || namespaceExists(nsB);
  return {
    namespaces: [nsA, nsB],
    veth,
    ping,
    removed: !left,
    ok: ping.sent > 0 && ping.received === ping.sent && !left,
  };
}

/** `tenantnet demo`: exit 0 when the ping worked and nothing was left behind, else 1. */
export const command = defineCommand({
  name: 'demo',
  summary: 'make two namespaces joined by a veth pair, ping across, remove them',
  description:
    'Makes two namespaces joined by a veth pair, pings across it, and removes everything again. Needs root.',
  order: 900,
  async run(_call, out) {
    const result = await runDemo(out);
    out.result(result, (r) =>
      r.ok ? 'demo ok: ping across the veth pair worked, nothing left behind' : 'demo FAILED',
    );
    return result.ok ? 0 : 1;
  },
});
