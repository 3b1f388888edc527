// The CLI's verbs, found at start-up: every module under commands/ that exports `command`. Adding a
// verb is adding one file there; no list to edit.
import { readdir } from 'node:fs/promises';
import type { CliCommand } from './command.js';

/** The folder the verbs live in (src/cli/commands under tsx, dist/src/cli/commands when built). */
export const COMMANDS_DIR = new URL('./commands/', import.meta.url);

/** A module file's verb name: `demo.js` / `demo.ts` → `demo`; null for declarations, maps and the rest. */
export function verbOfFile(file: string): string | null {
  if (file.endsWith('.d.ts')) return null;
  const m = /^([a-z][a-z0-9-]*)\.(js|ts)$/.exec(file);
  return m?.[1] ?? null;
}

function isCommand(c: unknown): c is CliCommand {
  const x = c as Partial<CliCommand> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.name === 'string' &&
    typeof x.summary === 'string' &&
    typeof x.run === 'function'
  );
}

/**
 * Loads every verb under `dir`, in help order (`order`, then name).
 *
 * @throws {Error} when a module there exports no `command`, or one whose name is not its file's name
 *   (a bug in tenantnet, not a user error)
 */
export async function loadCommands(dir: URL = COMMANDS_DIR): Promise<CliCommand[]> {
  const commands: CliCommand[] = [];
  for (const file of (await readdir(dir)).sort()) {
    const verb = verbOfFile(file);
    if (verb === null) continue;
    const mod = (await import(new URL(file, dir).href)) as { command?: unknown };
    if (!isCommand(mod.command)) throw new Error(`cli: ${file} does not export a command`);
    if (mod.command.name !== verb) {
      throw new Error(
        `cli: ${file} exports the command "${mod.command.name}"; its file must be named after it`,
      );
    }
    commands.push(mod.command);
  }
  return commands.sort((a, b) => (a.order ?? 100) - (b.order ?? 100) || a.name.localeCompare(b.name));
}
