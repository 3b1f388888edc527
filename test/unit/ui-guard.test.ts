// Where the live page listens and which requests it answers, as pure decisions: --listen takes IP
// literals only, refuses wildcards, knows loopback in any spelling; a request is answered only when its
// Host (and Origin) is the listen address, its path one of the page's exactly, its method the route's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { authorityOf, decide, isLoopback, parseListen } from '../../src/ui/index.js';
import { hostileString } from '../helpers/host-snapshot.js';

const AUTH = '127.0.0.1:8470';
const ASSETS = new Set(['/', '/app.js', '/style.css']);
const req = (url: string, extra: Partial<{ method: string; host: string; origin: string }> = {}) => ({
  method: extra.method ?? 'GET',
  url,
  host: extra.host ?? AUTH,
  origin: extra.origin,
});

test('--listen: IP literals and localhost, loopback by default, wildcards and names refused', () => {
  assert.deepEqual(parseListen(), { host: '127.0.0.1', port: 8470, loopback: true });
  assert.deepEqual(parseListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0, loopback: true });
  assert.deepEqual(parseListen('localhost:9000'), { host: '127.0.0.1', port: 9000, loopback: true });
  assert.deepEqual(parseListen('[::1]:80'), { host: '::1', port: 80, loopback: true });
  assert.deepEqual(parseListen('192.0.2.7:8080'), { host: '192.0.2.7', port: 8080, loopback: false });
  for (const bad of [
    '0.0.0.0:80',
    '[::]:80',
    '[0:0::0]:80',
    'example.com:80',
    '::1:80',
    '[127.0.0.1]:80',
    '127.0.0.1',
    '127.0.0.1:65536',
    '127.0.0.1:-1',
    ':80',
    '127.0.0.1:80\n',
    '-x:80',
  ]) {
    assert.throws(() => parseListen(bad), { name: 'InvalidInputError', where: '--listen' }, bad);
  }
  fc.assert(
    fc.property(hostileString(), (s) => {
      try {
        const l = parseListen(s);
        assert.ok(/^[0-9a-f:.]+$/i.test(l.host), `${JSON.stringify(s)} gave ${l.host}`);
      } catch (e) {
        assert.equal((e as Error).name, 'InvalidInputError');
      }
    }),
    { numRuns: 300 },
  );
});

test('loopback in any spelling, and nothing else', () => {
  for (const ip of ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
    assert.equal(isLoopback(ip), true, ip);
  }
  for (const ip of ['128.0.0.1', '10.0.0.1', '::2', '::', 'fe80::1', '::ffff:10.0.0.1', 'localhost', '']) {
    assert.equal(isLoopback(ip), false, ip);
  }
  assert.equal(authorityOf('::1', 80), '[::1]:80');
  assert.equal(authorityOf('127.0.0.1', 0), '127.0.0.1:0');
});

test('routes: exact paths, their methods, the one query details takes', () => {
  assert.deepEqual(decide(req('/'), AUTH, ASSETS), { ok: true, route: { kind: 'asset', path: '/' } });
  assert.deepEqual(decide(req('/api/graph'), AUTH, ASSETS), { ok: true, route: { kind: 'graph' } });
  assert.deepEqual(decide(req('/api/details?id=demo.network.web%2Finstances'), AUTH, ASSETS), {
    ok: true,
    route: { kind: 'details', id: 'demo.network.web/instances' },
  });
  assert.deepEqual(decide(req('/api/verify', { method: 'POST', origin: `http://${AUTH}` }), AUTH, ASSETS), {
    ok: true,
    route: { kind: 'verify' },
  });
  const v = decide(req('/api/verify'), AUTH, ASSETS);
  assert.ok(!v.ok && v.status === 405 && v.allow === 'POST');
  const protoKey = decide(req('/toString'), AUTH, ASSETS);
  assert.ok(!protoKey.ok && protoKey.status === 404, 'a prototype key is not a route');
  const proto = decide(req('/__proto__'), AUTH, ASSETS);
  assert.ok(!proto.ok && proto.status === 404);
});

test('property: a request is answered only with the exact Host, a path of the page, and a fitting Origin', () => {
  const paths = [...ASSETS, '/api/graph', '/api/events', '/api/verify', '/api/details'];
  fc.assert(
    fc.property(
      fc.oneof(hostileString(), fc.constantFrom(...paths)),
      fc.oneof(hostileString(), fc.constant(AUTH)),
      fc.option(fc.oneof(hostileString(), fc.constant(`http://${AUTH}`)), { nil: undefined }),
      fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE'),
      (url, host, origin, method) => {
        const v = decide({ method, url, host, origin }, AUTH, ASSETS);
        if (!v.ok) return;
        assert.equal(host.toLowerCase(), AUTH);
        assert.ok(origin === undefined || origin === `http://${AUTH}`);
        if (v.route.kind === 'asset') assert.ok(ASSETS.has(url));
        if (v.route.kind === 'verify') assert.ok(method === 'POST' && origin !== undefined);
        else assert.ok(method === 'GET' || method === 'HEAD');
      },
    ),
    { numRuns: 500 },
  );
});

test('tenantnet ui: a bad --listen is a usage error (exit 2) naming it, before anything is read or served', async () => {
  const { main } = await import('../../src/cli/program.js');
  for (const listen of ['0.0.0.0:8470', 'example.com:80', '127.0.0.1:99999', '127.0.0.1']) {
    let stderr = '';
    const code = await main(['ui', '/nonexistent/topology.yaml', '--listen', listen], {
      stdout: { write: () => true },
      stderr: {
        write: (s: string) => {
          stderr += s;
          return true;
        },
      },
    });
    assert.equal(code, 2, listen);
    assert.match(stderr, /^tenantnet: --listen: /m, listen);
    assert.doesNotMatch(stderr, /nonexistent/, 'the file is not even read');
  }
});
