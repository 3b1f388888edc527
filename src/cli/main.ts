#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { TenantnetError } from '../errors.js';
import { runDemo } from './demo.js';
import { version } from './version.js';

const HELP = `tenantnet — tenant virtual networks on a Linux host

Usage:
  tenantnet demo [--json]     make two namespaces joined by a veth pair, ping across, remove them
  tenantnet --version         print the version
  tenantnet --help            print this help

Options:
  --json                      print the result as JSON on stdout (progress goes to stderr)

Environment:
  TENANTNET_STATE_DIR         where tenantnet keeps pidfiles and configs (default /var/lib/tenantnet)

The topology commands (plan, apply, verify, status, destroy, cleanup) arrive with the topology layer.
`;

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
      json: { type: 'boolean' },
    },
  });
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const [command] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  switch (command) {
    case 'demo':
      return runDemo({ json: values.json ?? false });
    default:
      process.stderr.write(`tenantnet: unknown command "${command}" (see tenantnet --help)\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof TenantnetError || (e instanceof Error && e.name === 'TypeError' && 'code' in e)) {
      process.stderr.write(`tenantnet: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(
        `tenantnet: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = 70;
    }
  },
);
