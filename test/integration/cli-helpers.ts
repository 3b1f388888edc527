// Helpers of the CLI's end-to-end tests: the tenantnet command run as a user runs it (a child process,
// `--state-dir` in a temporary directory, `--ovsdb` at a private Open vSwitch whose namespace stands
// for the host, `--netns-prefix` carrying the sandbox's prefix), and topology files named after the
// sandbox.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/exec/run.js';
import type { OvsSandbox } from '../helpers/ovs-sandbox.js';
import type { Sandbox } from '../helpers/sandbox.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

/** What one run of the command gave. */
export interface CliRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (throws when it is not). */
  json<T = Record<string, unknown>>(): T;
}

/** A simulated host for the CLI: the options that point every verb at it, and a scratch directory. */
export interface CliHost {
  readonly stateDir: string;
  readonly dir: string;
  readonly globals: readonly string[];
  /** Runs `tenantnet GLOBALS... ARGS...` (global options first, so `exec … -- CMD` keeps them). */
  cli(args: readonly string[], opts?: { timeoutMs?: number }): Promise<CliRun>;
  /** Writes a topology file: `examples/<example>` with its name replaced by `name`, edited by `edit`. */
  topologyFile(example: string, name: string, edit?: (text: string) => string, file?: string): string;
}

/**
 * A simulated host: with `ovs`, the private Open vSwitch's namespace stands for the host and its
 * socket is `--ovsdb`; without, `hostNs` (a sandbox namespace). State directory removed afterwards.
 */
export function cliHost(sb: Sandbox, host: { ovs?: OvsSandbox; hostNs?: string }): CliHost {
  const dir = mkdtempSync(join(tmpdir(), 'tn-cli-'));
  chmodSync(dir, 0o755); // dnsmasq runs as nobody and must reach its files
  const stateDir = join(dir, 'state');
  const hostNs = host.ovs?.netns ?? host.hostNs!;
  const globals = [
    '--state-dir',
    stateDir,
    '--ovsdb',
    host.ovs?.socketPath ?? join(dir, 'no-ovs.sock'),
    '--host-netns',
    hostNs,
    '--netns-prefix',
    `${sb.prefix}-`,
  ];
  sb.defer(async () => rmSync(dir, { recursive: true, force: true }));
  return {
    stateDir,
    dir,
    globals,
    async cli(args, opts = {}) {
      const r = await run([process.execPath, '--import', 'tsx', MAIN, ...globals, ...args], {
        check: false,
        timeoutMs: opts.timeoutMs ?? 120_000,
      });
      return {
        exitCode: r.exitCode ?? -1,
        stdout: r.stdout,
        stderr: r.stderr,
        json<T>() {
          try {
            return JSON.parse(r.stdout) as T;
          } catch {
            throw new Error(`not JSON (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
          }
        },
      };
    },
    topologyFile(example, name, edit = (t) => t, file = `${name}.yaml`) {
      const text = readFileSync(join(EXAMPLES, example), 'utf8').replace(/^name: .*$/m, `name: ${name}`);
      const path = join(dir, file);
      writeFileSync(path, edit(text));
      return path;
    },
  };
}
