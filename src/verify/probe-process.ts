// One short-lived probe client in a namespace (ping, a socat client): started, fed, read line by line,
// and ended the moment its answer arrives or its time is up, killed by PID with its descendants in
// every case. The part of Neutron's functional-test net_helpers (NetcatTester, assert_ping) that runs
// one side of a probe.
import { spawn } from 'node:child_process';
import { LineSplitter } from '../exec/line-splitter.js';
import { killTree } from '../exec/proc.js';
import { buildArgv } from '../exec/run.js';

/** How a probe client runs. */
export interface ProbeProcessOptions {
  /** The namespace to run in (entered with nsenter). */
  readonly namespace: string;
  /** Written to stdin at the start (stdin stays open until the end). */
  readonly input?: string;
  /** Write `input` again this often (a datagram resent until answered). */
  readonly resendEveryMs?: number;
  /** The longest the probe may take; then it is killed and counts as timed out. */
  readonly timeoutMs: number;
  /** The line of stdout that answers the probe; the client is killed as soon as it arrives. */
  readonly until?: (line: string) => boolean;
}

/** How a probe client ended. */
export interface ProbeProcessOutcome {
  /** The stdout line `until` accepted, or null. */
  readonly answer: string | null;
  /** The exit code when the client ended on its own (null when killed). */
  readonly exitCode: number | null;
  /** What it wrote to stderr (at most 4 KiB). */
  readonly stderr: string;
  /** True when `timeoutMs` passed first. */
  readonly timedOut: boolean;
  /** The time from start to end, in milliseconds. */
  readonly ms: number;
}

const STDERR_MAX = 4096;

/**
 * Runs one probe client in a namespace until its answer, its exit or its timeout, whichever comes first,
 * then kills what is left of it (by PID, with its descendants) and waits for it to be gone.
 *
 * @returns how it ended
 * @throws {InvalidInputError} for what run() refuses (a bad namespace name, NUL in argv)
 * @throws {Error} when nsenter itself cannot be started
 */
export async function probeProcess(
  argv: readonly string[],
  options: ProbeProcessOptions,
): Promise<ProbeProcessOutcome> {
  const [cmd, ...args] = buildArgv(argv, { namespace: options.namespace }) as [string, ...string[]];
  const started = Date.now();
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  closed.catch(() => {}); // awaited below; a spawn failure must not surface as an unhandled rejection

  let stderr = '';
  let answer: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let resend: NodeJS.Timeout | undefined;
  let ended: { how: 'answer' | 'timeout' } | { how: 'exit'; code: number | null };
  let ms: number;
  const splitter = new LineSplitter();
  child.stdin.on('error', () => {}); // a client that exits first makes our writes fail: not an error
  child.stderr.on('data', (b: Buffer) => {
    if (stderr.length < STDERR_MAX) stderr = (stderr + b.toString('utf8')).slice(0, STDERR_MAX);
  });
  try {
    const answered = new Promise<void>((resolve) => {
      child.stdout.on('data', (b: Buffer) => {
        for (const line of splitter.push(b)) {
          if (answer === null && options.until?.(line)) {
            answer = line;
            resolve();
          }
        }
      });
    });
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.timeoutMs);
    });
    if (options.input !== undefined) {
      child.stdin.write(options.input);
      if (options.resendEveryMs !== undefined) {
        const again = options.input;
        resend = setInterval(() => child.stdin.writable && child.stdin.write(again), options.resendEveryMs);
      }
    }
    ended = await Promise.race([
      closed.then((code) => ({ how: 'exit' as const, code })),
      answered.then(() => ({ how: 'answer' as const })),
      expired.then(() => ({ how: 'timeout' as const })),
    ]);
    ms = Date.now() - started;
  } finally {
    clearTimeout(timer);
    clearInterval(resend);
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      await killTree(child.pid, 'SIGKILL');
    }
    child.stdin.destroy();
    await closed.catch(() => null);
  }
  return {
    answer,
    exitCode: ended.how === 'exit' ? ended.code : null,
    stderr,
    timedOut: ended.how === 'timeout',
    ms,
  };
}
