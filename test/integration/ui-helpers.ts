// Helpers of the live page's end-to-end tests: `tenantnet ui` as a child process on a simulated host
// (its URL once it listens), an event-stream reader that waits for a picture, and what a picture's SVG
// says of a node.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Sandbox } from '../helpers/sandbox.js';
import type { CliHost } from './cli-helpers.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/** `tenantnet ui FILE --listen 127.0.0.1:0` as a child (killed at teardown if still running). */
export async function startUi(
  host: CliHost,
  file: string,
  sb: Sandbox,
): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, ...host.globals, 'ui', file, '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // Registered with the sandbox, so it runs before the namespaces go: `ip monitor` lives in the host's.
  sb.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ui did not start:\n${out}\n${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /tenantnet ui: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ui exited ${code}:\n${stderr}`));
    });
  });
  return { url, child, stderr: () => stderr };
}

/** A picture as the event stream carries it. */
export interface StreamedSnapshot {
  version: number;
  svg: string;
  observed: boolean;
  error: string | null;
}

/** The page's event stream, read as a browser would (Host as the page's). Close it when done. */
export function eventStream(url: string) {
  const u = new URL(url);
  let buffer = '';
  let latest: StreamedSnapshot | null = null;
  const waiters = new Set<() => void>();
  const req = request(
    { host: u.hostname, port: u.port, path: '/api/events', headers: { Host: u.host } },
    (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buffer += d;
        for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const m = /^event: graph\ndata: (.*)$/s.exec(block);
          if (m) {
            latest = JSON.parse(m[1]!) as StreamedSnapshot;
            for (const w of waiters) w();
          }
        }
      });
    },
  );
  req.on('error', () => {});
  req.end();
  return {
    /** Resolves with the first picture (the current one included) that `ok` accepts, within `ms`. */
    until(ok: (s: StreamedSnapshot) => boolean, ms: number): Promise<StreamedSnapshot> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (latest && ok(latest)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(latest);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such picture within ${ms} ms (last: version ${latest?.version})`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close: () => req.destroy(),
  };
}

/**
 * The classes of the node whose id (its SVG title) is `id`, as Graphviz wrote them (`node tn-router
 * tn-healthy`); null when the picture has no such node.
 */
export function classOf(svg: string, id: string): string | null {
  const title = id.replace(/-/g, '&#45;');
  const m = new RegExp(
    `<g id="node\\d+" class="([^"]*)">\\n<title>${title.replace(/[.]/g, '\\.')}</title>`,
  ).exec(svg);
  return m ? m[1]!.replace(/&#45;/g, '-') : null;
}
