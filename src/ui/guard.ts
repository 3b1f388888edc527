// Which requests the live page answers, decided before any route runs: only those addressed to the
// listen address (`Host`, and `Origin` when a browser sends one: no DNS rebinding, no other site's page
// driving it), only the page's own paths matched exactly as sent (no decoding, no normalising: nothing
// can walk out of them), and only GET/HEAD, except the one POST that runs the checks. Pure.

/** A route the page serves. */
export type Route =
  | { readonly kind: 'asset'; readonly path: string }
  | { readonly kind: 'graph' }
  | { readonly kind: 'events' }
  | { readonly kind: 'details'; readonly id: string }
  | { readonly kind: 'verify' };

/** What a request asks, as it came (header values as Node gives them). */
export interface RequestLine {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly host: string | undefined;
  readonly origin: string | undefined;
}

/** The verdict: a route to run, or a refusal with its status and a short reason. */
export type Verdict =
  | { readonly ok: true; readonly route: Route }
  | { readonly ok: false; readonly status: number; readonly reason: string; readonly allow?: string };

/** The paths of API routes, with the methods each answers. */
const API: Readonly<Record<string, { readonly methods: readonly string[]; readonly route: Route | null }>> = {
  '/api/graph': { methods: ['GET', 'HEAD'], route: { kind: 'graph' } },
  '/api/events': { methods: ['GET'], route: { kind: 'events' } },
  '/api/details': { methods: ['GET', 'HEAD'], route: null },
  '/api/verify': { methods: ['POST'], route: { kind: 'verify' } },
};

const refuse = (status: number, reason: string, allow?: string): Verdict => ({
  ok: false,
  status,
  reason,
  ...(allow ? { allow } : {}),
});

/** A `details` id: printable ASCII and what owner marks and addresses are made of, at most 200. */
const DETAILS_ID = /^[A-Za-z0-9_.:/-]{1,200}$/;

/**
 * Decides a request. `authority` is the listen address as a browser writes it (`127.0.0.1:8470`);
 * `assets` the exact paths of the page's own files.
 *
 * - `Host` must be the authority (any letter case): a page on another name that resolves here
 *   (DNS rebinding) sends its own name and is refused (421);
 * - `Origin`, when sent, must be `http://` + the authority; a POST without one is refused too, so only
 *   the page itself (a browser sends Origin with every POST) can start a verify (403);
 * - the path is compared as sent: `/../x`, `/%2e%2e/x`, `//x`, `/app.js/` are simply not paths of
 *   the page (404); only `/api/details` takes a query, `?id=` with an id of marks' characters.
 */
export function decide(req: RequestLine, authority: string, assets: ReadonlySet<string>): Verdict {
  const want = authority.toLowerCase();
  if (req.host === undefined || req.host.toLowerCase() !== want) {
    return refuse(421, 'the Host header is not the address this page listens on');
  }
  const method = req.method ?? '';
  if (req.origin !== undefined && req.origin.toLowerCase() !== `http://${want}`) {
    return refuse(403, 'the Origin is not this page');
  }
  if (method === 'POST' && req.origin === undefined) return refuse(403, 'a POST must come from this page');
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);

  if (assets.has(path)) {
    if (method !== 'GET' && method !== 'HEAD') return refuse(405, 'only GET and HEAD', 'GET, HEAD');
    if (query !== '') return refuse(404, 'not a path of this page');
    return { ok: true, route: { kind: 'asset', path } };
  }
  const api = Object.hasOwn(API, path) ? API[path] : undefined;
  if (!api) return refuse(404, 'not a path of this page');
  if (!api.methods.includes(method))
    return refuse(405, `only ${api.methods.join(', ')}`, api.methods.join(', '));
  if (api.route)
    return query === '' ? { ok: true, route: api.route } : refuse(404, 'not a path of this page');
  // /api/details?id=<id>: the one query the page takes.
  const m = /^id=([^&]*)$/.exec(query);
  let id: string;
  try {
    id = decodeURIComponent(m?.[1] ?? '');
  } catch {
    return refuse(400, 'the id is not valid percent-encoding');
  }
  if (!DETAILS_ID.test(id)) return refuse(400, 'id= must name a node of the picture');
  return { ok: true, route: { kind: 'details', id } };
}
