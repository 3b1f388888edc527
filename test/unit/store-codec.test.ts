import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildModel, sliceForHost } from '../../src/model/index.js';
import {
  decodeAgent,
  decodeDesired,
  decodeL2pop,
  decodeMeta,
  decodeSpec,
  decodeStatus,
  decodeVni,
  encodeValue,
  StoreValueError,
} from '../../src/store/index.js';
import { hostileString } from '../helpers/host-snapshot.js';
import { threeHosts } from './slice-fixtures.js';

const KEY = '/t/some/key';
const garbage = (why: RegExp) => (e: unknown) =>
  e instanceof StoreValueError && e.key === KEY && why.test(e.message) && e.retryable === false;

test('values are canonical JSON: keys sorted at every level, equal values equal bytes', () => {
  assert.equal(
    encodeValue({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } }),
    '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
  );
  const m = buildModel(threeHosts());
  assert.equal(encodeValue(m), encodeValue(JSON.parse(JSON.stringify(m))));
});

test('every record decodes back to what was encoded', () => {
  const m = buildModel(threeHosts());
  assert.deepEqual(decodeSpec(KEY, encodeValue(m), 'multi'), JSON.parse(encodeValue(m)));
  const slice = sliceForHost(m, 'h2');
  assert.deepEqual(decodeDesired(KEY, encodeValue({ generation: 3, slice }), 'h2', 'multi'), {
    generation: 3,
    slice: JSON.parse(encodeValue(slice)),
  });
  const meta = {
    generation: 2,
    hosts: [{ host: 'h1', generation: 1 }],
    appliedBy: 'me@here',
    appliedAt: '2026-01-01T00:00:00.000Z',
    fileHash: null,
  };
  assert.deepEqual(decodeMeta(KEY, Buffer.from(encodeValue(meta))), meta);
  assert.deepEqual(decodeVni(KEY, '{"network":"web","topology":"t"}'), { topology: 't', network: 'web' });
  const agent = {
    vtep: '10.254.0.11',
    underlayMtu: 1500,
    underlayFamily: 4,
    version: '0.1.0',
    pid: 42,
    startedAt: 'x',
    state: 'ready',
  } as const;
  assert.deepEqual(decodeAgent(KEY, encodeValue(agent)), agent);
  const status = {
    observedGeneration: 2,
    at: 'x',
    changes: 3,
    failures: [{ resource: 'r', error: 'e' }],
    dhcp: [{ network: 'web', pid: 7 }],
  };
  assert.deepEqual(decodeStatus(KEY, encodeValue(status)), status);
  const l2 = { mac: 'fa:16:3e:00:00:01', ips: ['10.0.0.5', 'fd00::5'], vtep: '10.254.0.12', vni: 5000 };
  assert.deepEqual(decodeL2pop(KEY, encodeValue(l2)), l2);
});

test('a value edited into garbage is a StoreValueError naming the key and the field, never a crash', () => {
  const m = JSON.parse(encodeValue(buildModel(threeHosts())));
  assert.throws(() => decodeSpec(KEY, 'garbage{', 'multi'), garbage(/not JSON: "garbage\{"/));
  assert.throws(() => decodeSpec(KEY, '[]', 'multi'), garbage(/not an object/));
  assert.throws(() => decodeSpec(KEY, encodeValue(m), 'other'), garbage(/topology: "multi" is not other/));
  assert.throws(
    () =>
      decodeSpec(
        KEY,
        encodeValue({
          ...m,
          instances: [{ ...m.instances[0], port: { ...m.instances[0].port, fixedIps: 'x' } }],
        }),
        'multi',
      ),
    garbage(/instances\[0\]\.port\.fixedIps: not a list/),
  );
  assert.throws(
    () =>
      decodeDesired(
        KEY,
        encodeValue({ generation: 1, slice: sliceForHost(buildModel(threeHosts()), 'h1') }),
        'h2',
        'multi',
      ),
    garbage(/slice\.host: "h1" is not h2/),
  );
  assert.throws(
    () => decodeDesired(KEY, '{"generation":0,"slice":{}}', 'h1', 'multi'),
    garbage(/generation: not an integer 1-/),
  );
  assert.throws(() => decodeMeta(KEY, '{"generation":1,"hosts":{}}'), garbage(/hosts: not a list/));
  assert.throws(() => decodeVni(KEY, '{"topology":1}'), garbage(/topology: not a string/));
  assert.throws(
    () => decodeAgent(KEY, '{"state":"dancing"}'),
    garbage(/state: not syncing, ready or degraded/),
  );
  assert.throws(
    () => decodeL2pop(KEY, '{"mac":"ff:ff:ff:ff:ff:ff","ips":[],"vtep":"10.0.0.1","vni":1}'),
    garbage(/mac: .*multicast/),
  );
  assert.throws(
    () => decodeL2pop(KEY, '{"mac":"fa:16:3e:00:00:01","ips":["10.0.0.300"],"vtep":"10.0.0.1","vni":1}'),
    garbage(/ips\[0\]/),
  );
  assert.throws(() => decodeStatus(KEY, Buffer.from([0xff, 0xfe, 0x00])), garbage(/not JSON/));
});

test('property: any text, or any JSON with hostile strings, decodes or fails with a StoreValueError only', () => {
  const decoders = [
    (t: string) => decodeSpec(KEY, t, 'multi'),
    (t: string) => decodeMeta(KEY, t),
    (t: string) => decodeDesired(KEY, t, 'h1', 'multi'),
    (t: string) => decodeVni(KEY, t),
    (t: string) => decodeAgent(KEY, t),
    (t: string) => decodeStatus(KEY, t),
    (t: string) => decodeL2pop(KEY, t),
  ];
  const json = fc.jsonValue().map((v) => JSON.stringify(v));
  const hostileJson = fc
    .dictionary(
      fc.constantFrom('topology', 'generation', 'hosts', 'slice', 'mac', 'ips', 'vtep', 'state', 'network'),
      fc.oneof(hostileString(), fc.integer(), fc.constant(null)),
    )
    .map((o) => JSON.stringify(o));
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), json, hostileJson, hostileString()),
      fc.constantFrom(...decoders),
      (text, decode) => {
        try {
          decode(text);
        } catch (e) {
          assert.ok(e instanceof StoreValueError, `${(e as Error).name}: ${(e as Error).message}`);
          assert.equal(e.key, KEY);
        }
      },
    ),
    { numRuns: 500 },
  );
});
