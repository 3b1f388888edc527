// run(): one command, argv only, never a shell, with a typed ProcessError (Neutron: agent.linux.utils.execute).
import { spawn } from 'node:child_process';
import { InvalidInputError } from '../errors.js';
import { NETNS_DIR, optionalNamespace } from '../net/namespace.js';
import { killTree } from './proc.js';
import {
  CommandNotFoundError,
  failedToEnterNamespace,
  ProcessError,
  type ProcessOutcome,
} from './process-error.js';
import { defaultRootHelper, type RootHelper } from './root-helper.js';

export { failedToEnterNamespace, NETNS_DIR };

/** Options for {@link run}. */
export interface RunOptions {
  /** Written to the child's stdin, which is then closed. Without it stdin is empty. */
  readonly input?: string | Buffer;
  /** Extra environment variables, added to the inherited environment. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Run inside this network namespace (`/run/netns/NS`), entered with `nsenter --net=`: a third
   * cheaper per process than `ip netns exec`, which also makes a mount namespace and remounts /sys
   * (nothing tenantnet runs needs either). null or absent: the current namespace. The name is
   * validated (`''` and paths are refused, never taken for the root namespace or a path).
   */
  readonly namespace?: string | null;
  /**
   * Kill the process and its descendants (SIGKILL) and throw a timed-out ProcessError after this
   * many milliseconds, even if something that escaped still holds its output pipes.
   */
  readonly timeoutMs?: number;
  /** Exit codes besides 0 that count as success (for example 1 from `conntrack -D` when nothing matched). */
  readonly extraOkCodes?: readonly number[];
  /** Needs root (default true). The root helper is prepended only when one is in force. */
  readonly root?: boolean;
  /** Root helper for this call; default {@link defaultRootHelper}. */
  readonly rootHelper?: RootHelper;
  /** Resolve with the outcome instead of throwing on a bad exit code (spawn failures still throw). */
  readonly check?: boolean;
  /** Working directory. */
  readonly cwd?: string;
}

function programMissingInNamespace(o: Pick<ProcessOutcome, 'stderr'>, program: string): boolean {
  return o.stderr.split('\n').includes(`nsenter: failed to execute ${program}: No such file or directory`);
}

/** The outcome of a successful {@link run}. */
export interface RunResult extends ProcessOutcome {
  readonly exitCode: number | null;
}

/**
 * Checks what run() is given before anything is spawned: every argv word, environment name and value
 * is a string without NUL (no program argument can carry one; Node would throw an untyped error),
 * environment names have no `=`, and the namespace is a valid name (null/absent: the current one).
 *
 * @returns the namespace, validated
 * @throws {InvalidInputError} naming the word (`argv[2]`, `env.NAME`, `namespace`, `cwd`)
 */
export function checkRunInput(argv: readonly string[], opts: RunOptions = {}): string | null {
  if (!Array.isArray(argv) || argv.length === 0) {
    throw new InvalidInputError('argv: must be a non-empty array of strings', 'argv');
  }
  for (const [i, w] of argv.entries()) noNul(w, `argv[${i}]`);
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    noNul(k, 'env');
    if (k === '' || k.includes('=')) {
      throw new InvalidInputError(`env: ${JSON.stringify(k)} is not a variable name`, 'env');
    }
    noNul(v, `env.${k}`);
  }
  if (opts.cwd !== undefined) noNul(opts.cwd, 'cwd');
  return optionalNamespace(opts.namespace, 'namespace');
}

function noNul(value: unknown, where: string): void {
  if (typeof value !== 'string') {
    throw new InvalidInputError(`${where}: ${JSON.stringify(value) ?? String(value)} is not a string`, where);
  }
  if (value.includes('\0')) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(value)} contains a NUL character, which no program argument can carry`,
      where,
    );
  }
}

/**
 * The argv actually executed for `argv` with these options: namespace prefix, environment through
 * `env` when a root helper would otherwise drop it, and the root helper in front. Pure.
 *
 * @throws {InvalidInputError} for what {@link checkRunInput} refuses
 */
export function buildArgv(argv: readonly string[], opts: RunOptions = {}): string[] {
  const namespace = checkRunInput(argv, opts);
  let full = [...argv];
  const helper =
    opts.root === false ? null : opts.rootHelper !== undefined ? opts.rootHelper : defaultRootHelper();
  if (helper && opts.env && Object.keys(opts.env).length > 0) {
    full = ['env', ...Object.entries(opts.env).map(([k, v]) => `${k}=${v}`), ...full];
  }
  if (namespace) full = ['nsenter', `--net=${NETNS_DIR}/${namespace}`, ...full];
  if (helper) full = [...helper, ...full];
  return full;
}

/**
 * Runs one command, never through a shell, and collects its output.
 *
 * @returns the outcome when the exit code is 0 or in `extraOkCodes` (or always, with `check: false`)
 * @throws {InvalidInputError} (as a rejection, before anything runs) for a NUL in an argv word or
 *   the environment, or a bad namespace name
 * @throws {CommandNotFoundError} when the program does not exist (also inside a namespace)
 * @throws {ProcessError} on any other exit code, a signal, or the timeout
 */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  let full: string[];
  try {
    full = buildArgv(argv, opts);
  } catch (e) {
    return Promise.reject(e); // a promise API fails by rejecting, never by throwing
  }
  const [cmd, ...args] = full as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | null = null;
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            // The whole tree: a grandchild (`sh -c 'a & b'`) keeps the pipes open and so holds back
            // 'close'. Whatever escapes the tree (its own session) may still hold them, so once the
            // child is gone the pipes are let go of instead of waited for.
            const letGo = () => {
              child.stdout.destroy();
              child.stderr.destroy();
            };
            if (child.exitCode !== null || child.signalCode !== null) letGo();
            else child.once('exit', letGo);
            if (child.pid !== undefined) killTree(child.pid, 'SIGKILL').catch(() => child.kill('SIGKILL'));
          }, opts.timeoutMs)
        : null;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    // A child that exits before reading its input makes the write fail with EPIPE: not our error.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (spawnError) {
        if (spawnError.code === 'ENOENT') reject(new CommandNotFoundError(cmd, full));
        else reject(spawnError);
        return;
      }
      const outcome: RunResult = {
        argv: full,
        exitCode: code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      };
      // In a namespace the program is exec'd by nsenter, which reports a missing one as exit 127.
      if (opts.namespace && code === 127 && programMissingInNamespace(outcome, argv[0]!)) {
        reject(new CommandNotFoundError(argv[0]!, full));
        return;
      }
      const ok =
        !timedOut &&
        code !== null &&
        (code === 0 ||
          ((opts.extraOkCodes ?? []).includes(code) && !(opts.namespace && failedToEnterNamespace(outcome))));
      if (ok || opts.check === false) resolve(outcome);
      else reject(new ProcessError(outcome));
    });
  });
}
