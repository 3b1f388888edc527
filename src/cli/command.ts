// What a CLI verb is: one file under commands/ exporting `command`, found by the program at start-up,
// so adding a verb is adding one file.
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { LogLevel, Output } from './output.js';

/** The options every verb receives, from the command line or their defaults. */
export interface GlobalOptions {
  /** `--state-dir`: where tenantnet keeps what it owns on disk (absolute). */
  readonly stateDir: string;
  /** `--ovsdb`: the ovsdb-server socket path. */
  readonly ovsdb: string;
  /** `--log-level`. */
  readonly logLevel: LogLevel;
  /** `--json`: the result as JSON on stdout. */
  readonly json: boolean;
  /** `--host-netns`: the namespace standing for the host (null: the root namespace). */
  readonly hostNetns: string | null;
  /** `--netns-prefix`: prefix of every namespace name tenantnet derives ('' by default). */
  readonly netnsPrefix: string;
}

/** One call of a verb: its operands and options as commander parsed them, and the global options. */
export interface CommandCall<Args extends unknown[], Opts extends OptionValues> {
  readonly args: Args;
  readonly options: Opts;
  readonly globals: GlobalOptions;
}

/**
 * A verb of the tenantnet command (`tenantnet <name> …`). Throw to fail: the program maps the error
 * to the exit code (`InvalidInputError` 2, another `TenantnetError` 1, anything else 70).
 */
export interface CliCommand<Args extends unknown[] = unknown[], Opts extends OptionValues = OptionValues> {
  /** The verb as typed; also the name of its file under `commands/`. */
  readonly name: string;
  /** One line for `tenantnet --help`. */
  readonly summary: string;
  /** Longer text for `tenantnet <name> --help` (default: the summary). */
  readonly description?: string;
  /** Place in `tenantnet --help`, lower first (default 100; ties by name). */
  readonly order?: number;
  /** Declares the verb's operands and options on its commander command, e.g. `(c) => c.argument('<file>')`. */
  readonly define?: (cmd: Command) => Command<Args, Opts>;
  /** Runs the verb; resolves with its exit code (0, or 1 for a failure it has reported itself). */
  run(call: CommandCall<Args, Opts>, out: Output): Promise<number>;
}

/**
 * Declares a verb, inferring the types of its operands and options from `define`, so `run` sees
 * them typed. Identity at run time.
 */
export function defineCommand<Args extends unknown[] = [], Opts extends OptionValues = Record<string, never>>(
  c: CliCommand<Args, Opts>,
): CliCommand<Args, Opts> {
  return c;
}
