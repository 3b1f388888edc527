import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/errors.js';
import { prefixEnd } from '../../src/store/client.js';
import { DEFAULT_PREFIX, keyPrefix, parseStoreUrl, StoreKeys } from '../../src/store/index.js';
import { hostileString } from '../helpers/host-snapshot.js';

const invalid = (where: string) => (e: unknown) => e instanceof InvalidInputError && e.where === where;

test('store URLs: etcd://host:port[,…], the port 2379 by default, IPv6 in brackets', () => {
  assert.deepEqual(parseStoreUrl('etcd://127.0.0.1:23790').endpoints, ['http://127.0.0.1:23790']);
  assert.deepEqual(parseStoreUrl('etcd://a.example:1,b-2.example,[fd00::1]:3/').endpoints, [
    'http://a.example:1',
    'http://b-2.example:2379',
    'http://[fd00::1]:3',
  ]);
  assert.deepEqual(parseStoreUrl('ETCD://h:9').endpoints, ['http://h:9']);
});

test('a malformed store URL is an InvalidInputError naming it, saying what is wrong', () => {
  const cases: [unknown, RegExp][] = [
    ['http://127.0.0.1:2379', /only etcd:\/\//],
    ['etcds://h:1', /only etcd:\/\//],
    ['etcd://', /names no etcd member/],
    ['etcd://h:0', /port must be 1-65535/],
    ['etcd://h:65536', /port must be 1-65535/],
    ['etcd://h:12a', /port must be 1-65535/],
    ['etcd://fd00::1:2379', /IPv6 address goes in brackets/],
    ['etcd://[fd00::zz]:1', /not an IPv6 address/],
    ['etcd://[fe80::1%eth0]:1', /not an IPv6 address/],
    ['etcd://user:pw@h:1', /user name or password/],
    ['etcd://h:1/path', /not a store URL/],
    ['etcd://h:1?x=1', /not a store URL/],
    ['etcd://h:1,,g:2', /empty member/],
    ['etcd://h:1,h:1', /twice/],
    ['etcd://-h:1', /not a host name/],
    ['etcd://h_1:1', /not a host name/],
    ['etcd://h:1\n', /control character/],
    [42, /not a string/],
    [`etcd://${Array.from({ length: 17 }, (_, i) => `h${i}`).join(',')}`, /at most 16/],
  ];
  for (const [url, why] of cases) {
    assert.throws(
      () => parseStoreUrl(url),
      (e: unknown) => invalid('store URL')(e) && why.test((e as Error).message),
      String(url),
    );
  }
  assert.throws(() => parseStoreUrl('x', '--store'), invalid('--store'));
});

test('key prefixes: start and end with /, plain segments; the default is /tenantnet/v1/', () => {
  assert.equal(DEFAULT_PREFIX, '/tenantnet/v1/');
  for (const ok of ['/', '/a/', '/t-abc/', '/tenantnet/v1/', '/A.b_c-d/e/']) assert.equal(keyPrefix(ok), ok);
  for (const bad of [
    '',
    'a/',
    '/a',
    '//',
    '/a//b/',
    '/../',
    '/./',
    '/a b/',
    '/a\n/',
    '/é/',
    `/${'a'.repeat(128)}/`,
  ]) {
    assert.throws(() => keyPrefix(bad), invalid('store prefix'), JSON.stringify(bad));
  }
});

test('the key layout: every key is built from validated names and parses back to what it is', () => {
  const k = new StoreKeys('/t/' as never);
  const cases = [
    [k.spec('web'), { kind: 'spec', topology: 'web' }],
    [k.meta('web'), { kind: 'meta', topology: 'web' }],
    [k.desired('h1', 'web'), { kind: 'desired', host: 'h1', topology: 'web' }],
    [k.agent('h1'), { kind: 'agent', host: 'h1' }],
    [k.status('h1', 'web'), { kind: 'status', host: 'h1', topology: 'web' }],
    [k.vni(4096), { kind: 'vni', vni: 4096 }],
    [
      k.l2pop('web', 'lan', 'h2', 'vm_web1'),
      { kind: 'l2pop', topology: 'web', network: 'lan', host: 'h2', port: 'vm_web1' },
    ],
  ] as const;
  for (const [key, parsed] of cases) assert.deepEqual(k.parse(key), parsed, key);
  assert.equal(k.spec('web'), '/t/topologies/web/spec');
  assert.equal(k.desired('h1', 'web'), '/t/hosts/h1/desired/web');
  assert.equal(k.l2pop('web', 'lan', 'h2', 'qr_r1_lan'), '/t/l2pop/web/lan/h2/qr_r1_lan');
  assert.equal(k.topology('web'), '/t/topologies/web/');
  assert.ok(k.spec('web').startsWith(k.topology('web')));
  assert.ok(!k.spec('web2').startsWith(k.topology('web')), 'a prefix of one topology never covers another');
  // Keys that are not the layout's are not errors: null.
  for (const other of [
    '/u/topologies/web/spec',
    '/t/topologies/web',
    '/t/topologies/Web/spec',
    '/t/vni/0',
    '/t/vni/007',
    '/t/vni/16777216',
    '/t/hosts/h1/other',
    '/t/x',
  ]) {
    assert.equal(k.parse(other), null, other);
  }
});

test('property: any name either makes a key that parses back to exactly it, or is refused naming the argument', () => {
  const k = new StoreKeys();
  fc.assert(
    fc.property(hostileString(), fc.constantFrom('topology', 'host', 'network', 'port'), (name, which) => {
      let key: string;
      try {
        if (which === 'topology') key = k.spec(name);
        else if (which === 'host') key = k.agent(name);
        else if (which === 'network') key = k.l2pop('web', name, 'h1', 'vm_a');
        else key = k.l2pop('web', 'lan', 'h1', name);
      } catch (e) {
        assert.ok(e instanceof InvalidInputError, String(e));
        return;
      }
      // Built: a plain key under the prefix that says exactly the name given, nothing more.
      assert.match(key, /^[a-z0-9/_-]+$/);
      const parsed = k.parse(key) as Record<string, unknown>;
      assert.equal(parsed[which], name);
    }),
    { numRuns: 300 },
  );
  for (const bad of [0, -1, 1.5, 2 ** 24, Number.NaN]) assert.throws(() => k.vni(bad), invalid('vni'));
});

test('a prefix range ends where etcd says: the last byte below 0xff raised by one', () => {
  assert.deepEqual(prefixEnd('/t/'), Buffer.from('/t0'));
  assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  assert.deepEqual(prefixEnd(Buffer.from([0xff])), Buffer.from([0]));
});
