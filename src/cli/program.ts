// The tenantnet command's parsing and dispatch (commander): global options, one subcommand per verb
// found under commands/, and every outcome turned into an exit code by output.ts.
import { isAbsolute, resolve } from 'node:path';
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { InvalidInputError } from '../errors.js';
import { argWord, lineText, namespaceName, netnsPrefix } from '../net/index.js';
import { DEFAULT_OVSDB_SOCKET } from '../ovs/index.js';
import { stateDir } from '../state-dir.js';
import type { CliCommand, GlobalOptions } from './command.js';
import { EXIT, LOG_LEVELS, type LogLevel, Output, type OutputStream } from './output.js';
import { loadCommands } from './registry.js';
import { version } from './version.js';

/** Where the command writes and which verbs it has (the process's streams and commands/ by default). */
export interface CliIo {
  readonly stdout?: OutputStream;
  readonly stderr?: OutputStream;
  /** The verbs (default: every module under commands/, see registry.ts); tests pass their own. */
  readonly commands?: readonly CliCommand[];
}

const AFTER_HELP = `
Exit codes: 0 success, 1 a failure tenantnet explains on stderr, 2 a usage error or invalid input,
70 an internal error (with a stack trace).

With --json the result (or the error) goes to stdout as one JSON document; progress goes to stderr.

Environment:
  TENANTNET_STATE_DIR   the default of --state-dir`;

/** A path option: no control characters; relative paths are taken from the working directory. */
function pathOption(value: string, where: string): string {
  const text = lineText(value, where);
  if (text === '') throw new InvalidInputError(`${where}: the path is empty`, where);
  return isAbsolute(text) ? text : resolve(text);
}

/** The global options, checked (a bad value is an {@link InvalidInputError} naming the option). */
function globalsOf(opts: {
  stateDir: string;
  ovsdb: string;
  logLevel: string;
  json?: true;
  hostNetns?: string;
  netnsPrefix?: string;
}): GlobalOptions {
  return {
    stateDir: pathOption(opts.stateDir, '--state-dir'),
    ovsdb: pathOption(opts.ovsdb.replace(/^unix:/, ''), '--ovsdb'),
    logLevel: opts.logLevel as LogLevel,
    json: opts.json ?? false,
    hostNetns:
      opts.hostNetns === undefined
        ? null
        : namespaceName(argWord(opts.hostNetns, '--host-netns'), '--host-netns'),
    netnsPrefix: opts.netnsPrefix === undefined ? '' : netnsPrefix(opts.netnsPrefix, '--netns-prefix'),
  };
}

/** The commander program: global options and one subcommand per verb, each running through `dispatch`. */
function program(commands: readonly CliCommand[], io: CliIo, dispatch: (code: Promise<number>) => void) {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  // commander's own output (help, version, usage errors) goes to the same streams; a usage error
  // becomes one `tenantnet: …` line that says where the help is.
  const streams = (help: string) => ({
    writeOut: (s: string) => stdout.write(s),
    writeErr: (s: string) => stderr.write(s),
    outputError: (s: string, write: (s: string) => void) =>
      write(`tenantnet: ${s.replace(/^error: /, '').trimEnd()} (see ${help})\n`),
  });
  const root = new Command('tenantnet')
    .description(
      'Tenant virtual networks on a Linux host (namespaces, veth, bridges, iptables, OVS, dnsmasq).',
    )
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .helpCommand('help [command]', 'print the help of a command')
    .addOption(
      new Option('--state-dir <dir>', 'where tenantnet keeps pidfiles, configs and state').default(
        stateDir(),
        '$TENANTNET_STATE_DIR or /var/lib/tenantnet',
      ),
    )
    .addOption(new Option('--ovsdb <socket>', 'the ovsdb-server socket').default(DEFAULT_OVSDB_SOCKET))
    .addOption(
      new Option('--log-level <level>', 'how much progress goes to stderr')
        .choices(LOG_LEVELS)
        .default('info'),
    )
    .option('--json', 'print the result as JSON on stdout (progress stays on stderr)')
    .option(
      '--host-netns <ns>',
      'a namespace standing for the host (simulated hosts; default: the root namespace)',
    )
    .option(
      '--netns-prefix <prefix>',
      'prefix of every namespace name tenantnet derives (several simulated hosts)',
    )
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', AFTER_HELP)
    .exitOverride()
    .configureOutput(streams('tenantnet --help'));
  for (const c of commands) {
    const sub = root
      .command(c.name)
      .summary(c.summary)
      .description(c.description ?? c.summary)
      .configureOutput(streams(`tenantnet ${c.name} --help`));
    const verb = c.define ? c.define(sub) : sub;
    verb.action(() => {
      const globals = globalsOf(root.opts());
      const out = new Output({ json: globals.json, logLevel: globals.logLevel, stdout, stderr });
      dispatch(
        Promise.resolve()
          .then(() => c.run({ args: verb.processedArgs, options: verb.opts(), globals }, out))
          .catch((e: unknown) => out.fail(e))
          .finally(() => out.close()),
      );
    });
  }
  return root;
}

/**
 * Runs the tenantnet command with `argv` (without node and the script). Never throws and never exits
 * the process: resolves with the exit code (see `EXIT` in output.ts).
 */
export async function main(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const early = new Output({ json: argv.includes('--json'), stdout: io.stdout, stderr: io.stderr });
  try {
    const commands = io.commands ?? (await loadCommands());
    const state: { ran?: Promise<number> } = {};
    const root = program(commands, io, (p) => {
      state.ran = p;
    });
    if (argv.length === 0) {
      root.outputHelp();
      return EXIT.ok;
    }
    await root.parseAsync([...argv], { from: 'user' });
    return (await state.ran) ?? EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version end the parse with exit code 0; every other commander error is a usage
      // error it has already printed.
      return e.exitCode === 0 ? EXIT.ok : early.fail(e, true);
    }
    return early.fail(e);
  }
}
