// The server side of a TCP/UDP check: socat listening in the destination's namespace, answering each
// connection (or datagram) with the client's token and the source address it saw, so a check proves
// both that packets got through and what NAT made of them. Started for the checks, stopped by PID.
// Neutron's functional tests do the same with net_helpers.NetcatTester.

import { TenantnetError } from '../errors.js';
import { AsyncProcess } from '../exec/async-process.js';
import type { IpFamily } from '../net/types.js';

/** Where and what an echo server listens on. */
export interface EchoServerSpec {
  readonly namespace: string;
  readonly protocol: 'tcp' | 'udp';
  readonly family: IpFamily;
  readonly port: number;
}

/** The server could not be started (the port is taken, socat is missing, the namespace is gone). */
export class EchoServerError extends TenantnetError {}

/**
 * What the server runs per connection or datagram, through socat's SYSTEM (`sh -c`): read one line
 * (the client's token) and answer it with the peer address socat saw. Fixed text, no input of ours in
 * it; `set -f` keeps an IPv6 address in brackets from being read as a glob.
 */
const ANSWER = 'SYSTEM:set -f; read -r t; echo $t $SOCAT_PEERADDR';

/** Seconds a connection may idle before socat ends its child (leftovers end on their own). */
const IDLE_SECONDS = 3;

/** socat's listening address for a spec. */
function listenAddress(spec: EchoServerSpec): string {
  return spec.protocol === 'tcp'
    ? `TCP${spec.family}-LISTEN:${spec.port},reuseaddr,fork`
    : `UDP${spec.family}-RECVFROM:${spec.port},fork`;
}

/**
 * An echo server in a namespace: one socat process (forking per connection) started by
 * {@link EchoServer.start} and stopped by {@link EchoServer.stop}, which kills it and its children by
 * PID.
 */
export class EchoServer {
  private constructor(
    readonly spec: EchoServerSpec,
    private readonly process: AsyncProcess,
  ) {}

  /** The listening socat's PID, or null once it is gone. */
  get pid(): number | null {
    return this.process.pid;
  }

  /**
   * Starts the server and waits until it listens (socat's `listening on` / `receiving on` notice).
   *
   * @returns the running server
   * @throws {EchoServerError} when socat exits first or is not listening within `readyTimeoutMs`
   *   (nothing is left running)
   */
  static async start(spec: EchoServerSpec, readyTimeoutMs = 3000): Promise<EchoServer> {
    const argv = ['socat', '-d', '-d', '-T', String(IDLE_SECONDS), listenAddress(spec), ANSWER];
    const process = new AsyncProcess(argv, { namespace: spec.namespace });
    try {
      await process.start();
    } catch (e) {
      throw new EchoServerError(`cannot start socat: ${e instanceof Error ? e.message : String(e)}`);
    }
    const lines: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const ready = (async () => {
      for await (const line of process.stderr()) {
        if (/ N (listening|receiving) on /.test(line)) return true;
        if (lines.length < 20) lines.push(line);
      }
      return false; // socat ended before listening
    })();
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), readyTimeoutMs);
    });
    const ok = await Promise.race([ready, timedOut]);
    clearTimeout(timer);
    if (!ok) {
      if (process.isRunning) await process.stop();
      const why = lines
        .map((l) => / [EF] (.*)$/.exec(l)?.[1] ?? /nsenter: (.*)$/.exec(l)?.[1] ?? '')
        .find(Boolean);
      throw new EchoServerError(
        `the ${spec.protocol} server on port ${spec.port} in namespace "${spec.namespace}" did not start: ${
          why ?? `not listening after ${readyTimeoutMs} ms`
        }`,
      );
    }
    // Leaving the loop above ended the line queue: later notices are read from the pipe and dropped.
    return new EchoServer(spec, process);
  }

  /** Kills the server and every child it forked (by PID) and waits for it to exit. Idempotent. */
  async stop(): Promise<void> {
    if (this.process.isRunning) await this.process.stop();
  }
}
