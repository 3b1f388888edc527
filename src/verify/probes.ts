// The client side of one check, by protocol: ping for ICMP; for TCP and UDP a socat client that sends a
// unique token and waits for the echo server to answer it (with the source address it saw). An answer
// is `pass`; no answer in time, a refusal or no route is `block`; anything that kept the probe from
// being made at all is `error`. After Neutron's net_helpers.assert_ping / assert_no_ping and NetcatTester.
import { randomBytes } from 'node:crypto';
import { parseAddress } from '../net/cidr.js';
import type { IpAddress, IpFamily } from '../net/types.js';
import { probeProcess } from './probe-process.js';

/** What a probe saw. */
export interface Observation {
  /** `pass`: an answer came back; `block`: none did; `error`: the probe could not be made. */
  readonly observed: 'pass' | 'block' | 'error';
  /** What happened, in a few words (the answer, the refusal, the error). */
  readonly detail: string;
  /** TCP/UDP: the source address the server saw (after any NAT); null for ICMP or without an answer. */
  readonly seenFrom: IpAddress | null;
}

/** `[fd00::1]` or `10.0.0.1` as socat's address part. */
const hostPart = (address: IpAddress, family: IpFamily) => (family === 6 ? `[${address}]` : address);

/** The reason in a probe tool's error output: socat's `E …` message, or the last line. */
function reason(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const socat = lines.map((l) => / E (.*)$/.exec(l)?.[1]).find((m) => m !== undefined);
  return (socat ?? lines[lines.length - 1] ?? '').trim();
}

// Errors that mean the network (or a firewall) stopped the probe: a check's `block`.
const BLOCKED = /refused|unreachable|no route to host|timed out|operation not permitted|permission denied/i;
// Errors that mean the probe never ran: the tool or the namespace is missing.
const BROKEN = /failed to execute|cannot open \/run\/netns|no such file/i;

function blockedOrError(stderr: string, fallback: string): Observation {
  const why = reason(stderr);
  if (BROKEN.test(stderr)) return { observed: 'error', detail: why || fallback, seenFrom: null };
  if (why === '' || BLOCKED.test(why)) return { observed: 'block', detail: why || fallback, seenFrom: null };
  return { observed: 'error', detail: why, seenFrom: null };
}

/**
 * Pings `destination` from a namespace: one echo request every 0.2 s until a reply or `timeoutMs`.
 * Equivalent to: `ip netns exec NS ping -n -c 1 -i 0.2 -w S DEST`.
 *
 * @returns pass on a reply; block on none (or no route)
 */
export async function pingProbe(
  namespace: string,
  destination: IpAddress,
  family: IpFamily,
  timeoutMs: number,
): Promise<Observation> {
  const deadline = String(Math.ceil(timeoutMs / 1000) + 1); // ping's own limit; ours comes first
  const o = await probeProcess(
    ['ping', `-${family}`, '-n', '-c', '1', '-i', '0.2', '-w', deadline, destination],
    {
      namespace,
      timeoutMs,
      until: (line) => / bytes from /.test(line),
    },
  );
  if (o.answer !== null) return { observed: 'pass', detail: `echo reply in ${o.ms} ms`, seenFrom: null };
  if (o.timedOut)
    return { observed: 'block', detail: `no echo reply within ${timeoutMs} ms`, seenFrom: null };
  if (o.exitCode === 0) return { observed: 'pass', detail: 'echo reply', seenFrom: null };
  if (o.exitCode === 1 && o.stderr.trim() === '') {
    return { observed: 'block', detail: 'no echo reply', seenFrom: null };
  }
  return blockedOrError(o.stderr, 'no echo reply');
}

/** The peer address in an echo server's answer (`tok 10.0.0.1`, `tok [fd00:0:…:1]`), or null. */
export function answerPeer(answer: string, token: string): IpAddress | null {
  const rest = answer
    .slice(token.length)
    .trim()
    .replace(/^\[(.*)\]$/, '$1');
  try {
    return parseAddress(rest);
  } catch {
    return null;
  }
}

/**
 * Sends a unique token over TCP or UDP from a namespace to an echo server and waits for it to come back
 * with the source address the server saw. UDP resends the datagram every 400 ms until answered.
 * Equivalent to: `echo TOKEN | ip netns exec NS socat - TCP4:DEST:PORT`.
 *
 * @returns pass on the answer (with `seenFrom`); block on a refusal, no route or no answer in time
 */
export async function streamProbe(
  namespace: string,
  protocol: 'tcp' | 'udp',
  destination: IpAddress,
  family: IpFamily,
  port: number,
  timeoutMs: number,
): Promise<Observation> {
  const token = `tn${randomBytes(8).toString('hex')}`;
  const seconds = (timeoutMs / 1000).toFixed(1);
  const target =
    protocol === 'tcp'
      ? `TCP${family}:${hostPart(destination, family)}:${port},connect-timeout=${seconds}`
      : `UDP${family}:${hostPart(destination, family)}:${port}`;
  const o = await probeProcess(['socat', '-T', seconds, '-', target], {
    namespace,
    input: `${token}\n`,
    resendEveryMs: protocol === 'udp' ? 400 : undefined,
    timeoutMs,
    until: (line) => line.startsWith(`${token} `),
  });
  if (o.answer !== null) {
    const seenFrom = answerPeer(o.answer, token);
    return {
      observed: 'pass',
      detail: `answered in ${o.ms} ms; the server saw ${seenFrom ?? 'an unreadable address'}`,
      seenFrom,
    };
  }
  if (o.timedOut) return { observed: 'block', detail: `no answer within ${timeoutMs} ms`, seenFrom: null };
  if (o.exitCode === 0) return { observed: 'block', detail: 'closed without an answer', seenFrom: null };
  return blockedOrError(o.stderr, 'no answer');
}
