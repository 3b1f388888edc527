import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import {
  OvsdbConstraintViolationError,
  OvsdbOperationError,
  OvsdbSyntaxError,
  OvsdbTimedOutError,
  operationError,
} from '../../src/ovs/ovsdb/errors.js';
import { JsonSplitter } from '../../src/ovs/ovsdb/framing.js';
import { encodeOperation, Transaction } from '../../src/ovs/ovsdb/operations.js';
import {
  decodeValue,
  encodeValue,
  mapRecord,
  NamedUuid,
  namedUuid,
  OvsdbMap,
  OvsdbSet,
  optional,
  ovsMap,
  ovsSet,
  setItems,
  Uuid,
  uuid,
} from '../../src/ovs/ovsdb/values.js';

const messages = [
  { id: 1, result: [{ rows: [{ name: 'br-int', s: 'a "quoted" } { brace', e: '\\' }] }], error: null },
  { method: 'echo', params: [], id: 'echo' },
  { method: 'update', params: ['m1', { Interface: { u: { new: { name: 'tap→ünï', ofport: 3 } } } }] },
  { id: 2, result: [[], {}, '[{"x":1}]'], error: null },
];

test('the splitter returns back-to-back JSON values whatever the chunk boundaries', () => {
  const wire = Buffer.from(messages.map((m) => JSON.stringify(m)).join(''), 'utf8');
  for (let cut = 0; cut <= wire.length; cut++) {
    const s = new JsonSplitter();
    const got = [...s.push(wire.subarray(0, cut)), ...s.push(wire.subarray(cut))];
    assert.deepEqual(got, messages, `split at byte ${cut}`);
    assert.equal(s.pending, false);
  }
  // Byte by byte, with whitespace between values (also allowed by the protocol).
  const spaced = Buffer.from(messages.map((m) => JSON.stringify(m, null, 1)).join('\n '), 'utf8');
  const s = new JsonSplitter();
  const got: unknown[] = [];
  for (const b of spaced) got.push(...s.push(Buffer.from([b])));
  assert.deepEqual(got, messages);
});

test('the splitter refuses garbage between values', () => {
  assert.throws(() => new JsonSplitter().push(Buffer.from('{"a":1} x')), SyntaxError);
});

test('values encode to and decode from the RFC 7047 wire forms', () => {
  const cases: [unknown, unknown][] = [
    ['text', 'text'],
    [7, 7],
    [true, true],
    [uuid('550e8400-e29b-41d4-a716-446655440000'), ['uuid', '550e8400-e29b-41d4-a716-446655440000']],
    [namedUuid('row0'), ['named-uuid', 'row0']],
    [ovsSet(), ['set', []]],
    [ovsSet(1, 2), ['set', [1, 2]]],
    [ovsMap({ 'iface-id': 'x' }), ['map', [['iface-id', 'x']]]],
  ];
  for (const [value, wire] of cases) {
    assert.deepEqual(encodeValue(value as never), wire);
    assert.deepEqual(decodeValue(wire), value);
  }
  assert.ok(decodeValue(['uuid', 'a']) instanceof Uuid);
  assert.ok(decodeValue(['named-uuid', 'a']) instanceof NamedUuid);
  assert.ok(decodeValue(['set', []]) instanceof OvsdbSet);
  assert.ok(decodeValue(['map', []]) instanceof OvsdbMap);
  assert.throws(() => decodeValue({ nope: 1 }), TypeError);
  assert.throws(() => namedUuid('not-an-id'), InvalidInputError);
});

test('set, optional and map helpers read columns the way the server sends them', () => {
  assert.deepEqual(setItems(5), [5], 'a one-element set arrives as the bare atom');
  assert.deepEqual(setItems(ovsSet(1, 2)), [1, 2]);
  assert.deepEqual(setItems(undefined), []);
  assert.equal(optional(ovsSet()), undefined);
  assert.equal(optional(12), 12);
  assert.deepEqual(mapRecord(ovsMap({ a: 'b' })), { a: 'b' });
  assert.deepEqual(mapRecord(ovsSet()), {});
});

test('a transaction is data: one list of typed operations, named uuids linking inserts', () => {
  const tx = new Transaction();
  const iface = tx.insert('Interface', { name: 'p1' });
  const port = tx.insert('Port', { name: 'p1', interfaces: ovsSet(iface) });
  tx.mutate('Bridge', [['name', '==', 'br']], [['ports', 'insert', ovsSet(port)]]);
  tx.comment('why');
  assert.equal(tx.readOnly, false);
  assert.deepEqual(tx.ops.map(encodeOperation), [
    { op: 'insert', table: 'Interface', row: { name: 'p1' }, 'uuid-name': 'row0' },
    {
      op: 'insert',
      table: 'Port',
      row: { name: 'p1', interfaces: ['set', [['named-uuid', 'row0']]] },
      'uuid-name': 'row1',
    },
    {
      op: 'mutate',
      table: 'Bridge',
      where: [['name', '==', 'br']],
      mutations: [['ports', 'insert', ['set', [['named-uuid', 'row1']]]]],
    },
    { op: 'comment', comment: 'why' },
  ]);
  assert.deepEqual(
    encodeOperation({ op: 'wait', table: 'T', where: [], columns: [], until: '==', rows: [], timeoutMs: 0 }),
    { op: 'wait', table: 'T', where: [], columns: [], until: '==', rows: [], timeout: 0 },
  );
  const ro = new Transaction();
  ro.select('Bridge', []);
  assert.equal(ro.readOnly, true);
});

test("operation errors map to typed errors carrying the server's error and details", () => {
  const c = operationError({ error: 'constraint violation', details: 'dup' }, 1, 'insert');
  assert.ok(c instanceof OvsdbConstraintViolationError && c instanceof OvsdbOperationError);
  assert.equal(c.details, 'dup');
  assert.equal(c.index, 1);
  assert.match(c.message, /operation 1 \(insert\): constraint violation: dup/);
  const s = operationError(
    { error: 'syntax error', syntax: '"yes"', details: 'expected boolean' },
    0,
    'update',
  );
  assert.ok(s instanceof OvsdbSyntaxError);
  assert.equal(s.syntax, '"yes"');
  assert.ok(operationError({ error: 'timed out' }, 0, 'wait') instanceof OvsdbTimedOutError);
  assert.match(operationError({ error: 'resources exhausted' }, 3, undefined).message, /at commit/);
});
