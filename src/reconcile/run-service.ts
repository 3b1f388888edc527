// The last batches of a phase: one-shot commands, files (atomic, and only when their content
// differs), then processes (start unless active, SIGHUP, restart, stop). Neutron: utils.execute,
// replace_file, external_process.ProcessManager.
import { posix } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { ProcessManager } from '../exec/process-manager.js';
import { lineText } from '../net/text.js';
import { placeNamespace, type Runner } from './run-context.js';
import type { ServiceSpec } from './step.js';

/**
 * Checks a path tenantnet may write or remove: absolute, already normalised, inside the state
 * directory (everything tenantnet keeps on disk lives there), no control characters.
 *
 * @throws {InvalidInputError} naming the path
 */
export function stateFilePath(path: string, stateDir: string, where = 'file path'): string {
  const p = lineText(path, where);
  const dir = stateDir.replace(/\/+$/, '');
  if (!p.startsWith('/') || posix.normalize(p) !== p || p.endsWith('/') || !p.startsWith(`${dir}/`)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(p)} is not a normalised path inside the state directory ${dir}`,
      where,
    );
  }
  return p;
}

/** Runs one-shot commands, in their place, one after another (they are rare and few). */
export const runCommands: Runner = async (items, ctx) => {
  for (const it of items) {
    if (it.step.via !== 'command' || !ctx.alive(it.change)) continue;
    const s = it.step;
    try {
      if (!Array.isArray(s.argv) || s.argv.length === 0 || String(s.argv[0]).startsWith('-')) {
        throw new InvalidInputError(
          `command: ${JSON.stringify(s.argv)} is not a program and its arguments`,
          'argv',
        );
      }
      await ctx.executors.processes.run(s.argv, {
        namespace: placeNamespace(ctx.executors, s.place),
        ...(s.okCodes ? { extraOkCodes: [...s.okCodes] } : {}),
      });
      ctx.count(it.change, 1);
    } catch (e) {
      ctx.fail(it.change, e);
    }
  }
};

/** Writes (atomically) or removes files; a file already holding its content is not written again. */
export const runFiles: Runner = async (items, ctx) => {
  const files = ctx.executors.files;
  await Promise.all(
    items.map(async (it) => {
      if (it.step.via !== 'file' || !ctx.alive(it.change)) return;
      const s = it.step;
      try {
        const path = stateFilePath(s.path, ctx.executors.host.stateDir);
        if (s.content === null) {
          if (await files.remove(path)) ctx.count(it.change, 1);
          return;
        }
        if ((await files.read(path)) === s.content) return;
        await files.write(path, s.content, s.mode ?? 0o644);
        ctx.count(it.change, 1);
      } catch (e) {
        ctx.fail(it.change, e);
      }
    }),
  );
};

/** The process manager of a service spec, in its place, through the bundle's process table. */
export function serviceManager(spec: ServiceSpec, ctx: Parameters<Runner>[1]): ProcessManager {
  return new ProcessManager({
    uuid: spec.uuid,
    service: spec.service,
    namespace: placeNamespace(ctx.executors, spec.place),
    pidfile: stateFilePath(spec.pidfile, ctx.executors.host.stateDir, 'pidfile'),
    command: () => spec.argv,
    mode: spec.mode,
    runner: ctx.executors.processes,
  });
}

/**
 * Runs process actions: `enable` starts a service unless it is active (an active one costs
 * nothing), `reload` sends SIGHUP (or starts it), `restart` stops and starts it, `disable` stops it.
 */
export const runProcesses: Runner = async (items, ctx) => {
  await Promise.all(
    items.map(async (it) => {
      if (it.step.via !== 'process' || !ctx.alive(it.change)) return;
      try {
        const pm = serviceManager(it.step.service, ctx);
        switch (it.step.action) {
          case 'enable':
            if (await pm.enable()) ctx.count(it.change, 1);
            return;
          case 'reload':
            await pm.reload();
            ctx.count(it.change, 1);
            return;
          case 'restart':
            await pm.disable();
            await pm.enable();
            ctx.count(it.change, 1);
            return;
          case 'disable':
            if (await pm.disable()) ctx.count(it.change, 1);
            return;
        }
      } catch (e) {
        ctx.fail(it.change, e);
      }
    }),
  );
};
