// The live page's server on loopback, with a fake live picture: it answers only requests addressed to
// its listen address (Host, Origin: no DNS rebinding), serves only its own files (no path traversal,
// raw and encoded), has no endpoint that changes anything but POST /api/verify from the page itself,
// and streams pictures and check results as Server-Sent Events.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import type { LiveEvent, LiveSource, NodeDetails, Snapshot } from '../../src/ui/index.js';
import { parseListen, startUiServer } from '../../src/ui/index.js';

/** A live picture that changes nothing: counts verify calls, hands out events the test pushes. */
function fakeLive() {
  const listeners = new Set<(e: LiveEvent) => void>();
  const snapshot: Snapshot = {
    version: 1,
    topology: 'demo',
    svg: '<svg xmlns="http://www.w3.org/2000/svg"><g class="node"><title>demo.router.r1</title></g></svg>',
    observed: true,
    updated: new Date(0).toISOString(),
    error: null,
    verifying: false,
  };
  const calls = { verify: 0, started: 0, details: [] as string[] };
  const live: LiveSource = {
    snapshot: () => snapshot,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async details(id) {
      calls.details.push(id);
      return id === 'demo.router.r1' ? ({ id, kind: 'router', name: 'r1' } as unknown as NodeDetails) : null;
    },
    verify() {
      calls.verify++;
      if (calls.started > 0) return 'busy';
      calls.started++;
      return 'started';
    },
  };
  return {
    live,
    calls,
    push: (e: LiveEvent) => {
      for (const fn of listeners) fn(e);
    },
    listeners,
  };
}

async function server(t: import('node:test').TestContext, listen = '127.0.0.1:0') {
  const fake = fakeLive();
  const s = await startUiServer(fake.live, parseListen(listen));
  t.after(() => s.close());
  const port = Number(s.authority.slice(s.authority.lastIndexOf(':') + 1));
  return { ...fake, s, port, origin: `http://${s.authority}` };
}

/** Sends bytes as they are (no client normalises the path) and reads the whole answer. */
function raw(
  port: number,
  text: string,
  host = '127.0.0.1',
): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let got = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      got += d;
    });
    sock.on('error', reject);
    sock.on('close', () => {
      const [head = '', ...rest] = got.split('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
        head,
        body: rest.join('\r\n\r\n'),
      });
    });
    sock.end(text);
  });
}

const get = (path: string, authority: string, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: ${authority}\r\n${extra}Connection: close\r\n\r\n`;

test('the page, its script and style are served with security headers; the JSON picture too', async (t) => {
  const { s, port } = await server(t);
  const page = await raw(port, get('/', s.authority));
  assert.equal(page.status, 200);
  assert.match(page.body, /<script src="\/app\.js" defer><\/script>/);
  assert.match(page.head, /content-security-policy: default-src 'none'; script-src 'self'/i);
  assert.match(page.head, /x-content-type-options: nosniff/i);
  assert.match(page.head, /x-frame-options: DENY/i);
  for (const [path, type] of [
    ['/app.js', 'text/javascript'],
    ['/style.css', 'text/css'],
    ['/api/graph', 'application/json'],
  ] as const) {
    const r = await raw(port, get(path, s.authority));
    assert.equal(r.status, 200, path);
    assert.match(r.head, new RegExp(`content-type: ${type}`, 'i'), path);
  }
  const graph = await raw(port, get('/api/graph', s.authority));
  assert.equal(JSON.parse(graph.body).topology, 'demo');
});

test('a Host that is not the listen address is refused (DNS rebinding), whatever the path', async (t) => {
  const { s, port } = await server(t);
  for (const host of [
    'evil.example',
    `evil.example:${port}`,
    `localhost:${port}`,
    '127.0.0.1',
    `127.0.0.1:${port + 1}`,
    `127.0.0.2:${port}`,
    `${s.authority}.evil.example`,
    `${s.authority}@evil.example`,
  ]) {
    for (const path of ['/', '/api/graph', '/api/events', '/api/details?id=demo.router.r1']) {
      const r = await raw(port, get(path, host));
      assert.equal(r.status, 421, `${host} ${path}`);
      assert.doesNotMatch(r.body, /demo\.router|<script|tenantnet/, `${host} ${path}`);
    }
  }
  const noHost = await raw(port, 'GET / HTTP/1.0\r\n\r\n');
  assert.ok(noHost.status === 400 || noHost.status === 421, `no Host: ${noHost.status}`);
  assert.equal(
    (await raw(port, get('/', s.authority.toUpperCase()))).status,
    200,
    'letter case is not a name',
  );
});

test('an Origin other than the page is refused; a POST without an Origin is refused', async (t) => {
  const { s, port, calls, origin } = await server(t);
  for (const o of [
    'http://evil.example',
    'null',
    `https://${s.authority}`,
    `http://localhost:${port}`,
    `${origin}/`,
  ]) {
    assert.equal((await raw(port, get('/api/graph', s.authority, `Origin: ${o}\r\n`))).status, 403, o);
    const post = `POST /api/verify HTTP/1.1\r\nHost: ${s.authority}\r\nOrigin: ${o}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
    assert.equal((await raw(port, post)).status, 403, `POST from ${o}`);
  }
  const bare = `POST /api/verify HTTP/1.1\r\nHost: ${s.authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
  assert.equal((await raw(port, bare)).status, 403);
  assert.equal(calls.verify, 0, 'no refused request reached verify');
  assert.equal((await raw(port, get('/api/graph', s.authority, `Origin: ${origin}\r\n`))).status, 200);
});

test("only the page's own files: traversal, encoded or not, never leaves them", async (t) => {
  const { s, port } = await server(t);
  const paths = [
    '/../package.json',
    '/../../../../etc/passwd',
    '/%2e%2e/package.json',
    '/%2E%2E/%2E%2E/etc/passwd',
    '/..%2fpackage.json',
    '/..%2Fpackage.json',
    '/%2e%2e%2fpackage.json',
    '/%252e%252e/package.json',
    '/..%5cpackage.json',
    '/..\\package.json',
    '/app.js/../../package.json',
    '/./app.js',
    '//etc/passwd',
    '/static/app.js',
    '/ui/static/app.js',
    '/index.html',
    '/app.js%00.png',
    '/app.js/',
    '/app.js?../../package.json',
    '/api/graph/../../package.json',
    '/api/details/../../package.json',
    '/server.ts',
    '/assets.ts',
    '/%2fetc%2fpasswd',
    `http://${s.authority}/../package.json`,
    '*',
  ];
  for (const p of paths) {
    const r = await raw(port, get(p, s.authority));
    assert.ok(r.status === 404 || r.status === 400, `${p}: ${r.status}`);
    assert.doesNotMatch(r.body, /"name": "tenantnet"|root:x:0|import |<script/, p);
  }
});

test('nothing changes state but POST /api/verify from the page: every other method and path is refused', async (t) => {
  const { s, port, calls, origin } = await server(t);
  const paths = [
    '/',
    '/app.js',
    '/api/graph',
    '/api/events',
    '/api/details?id=demo.router.r1',
    '/api/apply',
    '/api/destroy',
    '/api/exec',
    '/api/verify',
  ];
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT']) {
    for (const path of paths) {
      if (method === 'POST' && path === '/api/verify') continue;
      const r = await raw(
        port,
        `${method} ${path} HTTP/1.1\r\nHost: ${s.authority}\r\nOrigin: ${origin}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      // CONNECT: Node's server has no tunnel to offer and drops the connection unanswered (0).
      const refused = method === 'CONNECT' ? [0, 400, 404, 405] : [400, 404, 405];
      assert.ok(refused.includes(r.status), `${method} ${path}: ${r.status}`);
    }
  }
  assert.equal((await raw(port, get('/api/verify', s.authority))).status, 405, 'GET never runs the checks');
  assert.equal(calls.verify, 0);
  const post = `POST /api/verify HTTP/1.1\r\nHost: ${s.authority}\r\nOrigin: ${origin}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
  const first = await raw(port, post);
  assert.equal(first.status, 202);
  assert.deepEqual(JSON.parse(first.body), { verify: 'started' });
  assert.equal((await raw(port, post)).status, 409, 'one verify at a time');
  assert.equal(calls.verify, 2);
});

test('details: a node of the picture, 404 for another, 400 for an id no mark is made of', async (t) => {
  const { s, port, calls } = await server(t);
  const ok = await raw(port, get('/api/details?id=demo.router.r1', s.authority));
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).name, 'r1');
  assert.equal((await raw(port, get('/api/details?id=demo.router.r2', s.authority))).status, 404);
  for (const q of [
    'id=%3Cscript%3E',
    'id=',
    'id=a%0Ab',
    'id=%E0%A4%A',
    'x=1',
    'id=a&id=b',
    `id=${'a'.repeat(201)}`,
  ]) {
    assert.equal((await raw(port, get(`/api/details?${q}`, s.authority))).status, 400, q);
  }
  assert.deepEqual(calls.details, ['demo.router.r1', 'demo.router.r2']);
});

test('the event stream starts with the picture and carries every event after it', async (t) => {
  const { s, port, push, listeners } = await server(t);
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/events', headers: { Host: s.authority } },
      (res) => {
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^text\/event-stream/);
        let got = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          got += d;
          if (got.includes('event: graph') && !got.includes('event: check')) {
            push({ type: 'verify', state: 'started', total: 1 });
            push({ type: 'check', result: { index: 0, result: 'pass' } as never });
          }
          if (got.includes('event: check')) {
            req.destroy();
            resolve(got);
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
  const events = text.split('\n\n').filter(Boolean);
  assert.match(events[0]!, /^event: graph\ndata: \{"version":1,/);
  assert.match(events[1]!, /^event: verify\ndata: \{"type":"verify","state":"started","total":1\}$/);
  assert.match(events[2]!, /^event: check\ndata: \{"index":0,"result":"pass"\}$/);
  for (let i = 0; i < 50 && listeners.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(listeners.size, 0, 'a closed stream stops listening');
});

test('on [::1] the authority is bracketed, and the IPv4 loopback name is refused', async (t) => {
  let srv: Awaited<ReturnType<typeof server>>;
  try {
    srv = await server(t, '[::1]:0');
  } catch (e) {
    t.skip(`no IPv6 loopback here: ${(e as Error).message}`);
    return;
  }
  const { s, port } = srv;
  assert.match(s.url, /^http:\/\/\[::1\]:\d+\/$/);
  assert.equal((await raw(port, get('/', s.authority), '::1')).status, 200);
  assert.equal((await raw(port, get('/', `127.0.0.1:${port}`), '::1')).status, 421);
});

test('a port already taken is a UiListenError naming the address (exit 1, not an internal error)', async (t) => {
  const { s } = await server(t);
  await assert.rejects(startUiServer(fakeLive().live, parseListen(s.authority)), {
    name: 'UiListenError',
    code: 'EADDRINUSE',
    message: `cannot listen on ${s.authority}: the port is in use`,
  });
});
