// The live page's HTTP server (Node's own `http`): the page's three files, the picture as JSON, a
// Server-Sent Events stream of new pictures and check results, a node's details, and one POST that
// runs the checks. Nothing else changes anything. Every request passes guard.ts first (Host, Origin,
// exact paths, methods). Horizon serves its topology view from Django; this is one small file.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Asset, loadAssets } from './assets.js';
import { UiListenError } from './errors.js';
import { decide, type Route } from './guard.js';
import { authorityOf, type ListenAddress } from './listen.js';
import type { LiveEvent, LiveSource } from './live.js';

/** Event streams open at once at most (a page holds one; more is a runaway client). */
export const MAX_STREAMS = 32;

/** A comment line on idle streams this often, so proxies and browsers keep them open. */
const KEEPALIVE_MS = 15_000;

/** Headers of every answer: no caching, no sniffing, no framing, no other origin's scripts or styles. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** A running page server. */
export interface UiServer {
  /** `http://127.0.0.1:8470/`: where the page is (the port the kernel chose, for port 0). */
  readonly url: string;
  /** The authority requests must carry (`127.0.0.1:8470`). */
  readonly authority: string;
  /** Stops listening and ends every stream. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head = false): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': buf.length });
  res.end(head ? undefined : buf);
}

function json(res: ServerResponse, status: number, value: unknown, head = false): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, head);
}

/** One SSE message. JSON never holds a raw newline, so `data:` is one line. */
function sse(e: LiveEvent): string {
  const data = e.type === 'graph' ? e.snapshot : e.type === 'check' ? e.result : e;
  return `event: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Serves the live page of `live` on `listen`. Resolves once listening.
 *
 * @throws {UiListenError} when the address cannot be had (the port in use, an address not on this host)
 * @throws {Error} when the page's files are missing (a broken install)
 */
export async function startUiServer(live: LiveSource, listen: ListenAddress): Promise<UiServer> {
  const assets: ReadonlyMap<string, Asset> = await loadAssets();
  const paths = new Set(assets.keys());
  const streams = new Set<ServerResponse>();
  let authority = authorityOf(listen.host, listen.port);

  const stream = (res: ServerResponse) => {
    if (streams.size >= MAX_STREAMS) return json(res, 503, { error: 'too many open event streams' });
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    streams.add(res);
    res.write(sse({ type: 'graph', snapshot: live.snapshot() }));
    const unsubscribe = live.subscribe((e) => res.write(sse(e)));
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    res.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
      streams.delete(res);
    });
  };

  const serve = async (route: Route, req: IncomingMessage, res: ServerResponse) => {
    const head = req.method === 'HEAD';
    switch (route.kind) {
      case 'asset': {
        const a = assets.get(route.path)!;
        return send(res, 200, a.type, a.body, head);
      }
      case 'graph':
        return json(res, 200, live.snapshot(), head);
      case 'events':
        return stream(res);
      case 'details': {
        const d = await live.details(route.id);
        return d ? json(res, 200, d, head) : json(res, 404, { error: 'no such node in the picture' }, head);
      }
      case 'verify': {
        const r = live.verify();
        return json(res, r === 'started' ? 202 : 409, { verify: r });
      }
    }
  };

  const server: Server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    const v = decide(
      {
        method: req.method,
        url: req.url,
        host: req.headers.host,
        origin: typeof req.headers.origin === 'string' ? req.headers.origin : undefined,
      },
      authority,
      paths,
    );
    // A body is never read: nothing the page does takes one.
    req.resume();
    if (!v.ok) {
      if (v.allow) res.setHeader('Allow', v.allow);
      return send(res, v.status, 'text/plain; charset=utf-8', `${v.reason}\n`);
    }
    serve(v.route, req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new UiListenError(authority, e.code, e.code === 'EADDRINUSE' ? 'the port is in use' : e.message),
      ),
    );
    server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  authority = authorityOf(listen.host, bound.port);
  return {
    url: `http://${authority}/`,
    authority,
    async close() {
      for (const res of streams) res.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
