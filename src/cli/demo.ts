import { randomBytes } from 'node:crypto';
import { run } from '../exec/run.js';

/** What the demo did, printed as JSON with `--json`. */
export interface DemoResult {
  readonly namespaces: readonly string[];
  readonly veth: readonly [string, string];
  readonly ping: { readonly sent: number; readonly received: number; readonly rttMs: number | null };
  readonly removed: boolean;
  readonly ok: boolean;
}

/**
 * The main job until the topology CLI exists: two namespaces joined by a veth pair, a ping across,
 * and everything removed again, whatever happened.
 */
export async function runDemo(opts: { json: boolean }): Promise<number> {
  const say = (s: string) => process.stderr.write(`${s}\n`);
  const id = randomBytes(3).toString('hex');
  const [nsA, nsB] = [`tndemo-${id}-a`, `tndemo-${id}-b`];
  const veth: [string, string] = [`tnd${id}a`, `tnd${id}b`];
  let ping: DemoResult['ping'] = { sent: 0, received: 0, rttMs: null };
  try {
    say(`creating namespaces ${nsA} and ${nsB}`);
    for (const ns of [nsA, nsB]) {
      await run(['ip', 'netns', 'add', ns]);
      await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    say(`joining them with veth ${veth[0]} <-> ${veth[1]} (10.250.0.1/30 <-> 10.250.0.2/30)`);
    await run(['ip', '-n', nsA, 'link', 'add', veth[0], 'type', 'veth', 'peer', 'name', veth[1], 'netns', nsB]);
    await run(['ip', '-n', nsA, 'addr', 'add', '10.250.0.1/30', 'dev', veth[0]]);
    await run(['ip', '-n', nsB, 'addr', 'add', '10.250.0.2/30', 'dev', veth[1]]);
    await run(['ip', '-n', nsA, 'link', 'set', veth[0], 'up']);
    await run(['ip', '-n', nsB, 'link', 'set', veth[1], 'up']);
    say('pinging 10.250.0.2 from the first namespace');
    const r = await run(['ping', '-n', '-c', '3', '-i', '0.2', '-W', '1', '10.250.0.2'], {
      namespace: nsA,
      check: false,
      timeoutMs: 10_000,
    });
    const counts = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
    const rtt = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
    ping = { sent: Number(counts?.[1] ?? 0), received: Number(counts?.[2] ?? 0), rttMs: rtt ? Number(rtt[1]) : null };
    say(`ping: ${ping.received}/${ping.sent} replies${ping.rttMs !== null ? `, avg ${ping.rttMs} ms` : ''}`);
  } finally {
    say('removing both namespaces (the veth pair goes with them)');
    for (const ns of [nsA, nsB]) await run(['ip', 'netns', 'del', ns], { check: false });
  }
  const left = (await run(['ip', 'netns', 'list'])).stdout.includes(`tndemo-${id}`);
  const result: DemoResult = {
    namespaces: [nsA, nsB],
    veth,
    ping,
    removed: !left,
    ok: ping.sent > 0 && ping.received === ping.sent && !left,
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(result.ok ? 'demo ok: ping across the veth pair worked, nothing left behind\n' : 'demo FAILED\n');
  return result.ok ? 0 : 1;
}
