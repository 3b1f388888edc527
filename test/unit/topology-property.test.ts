import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { buildTopology, parseTopology, TopologyError } from '../../src/topology/index.js';
import { FILE_KEYS } from '../../src/topology/keys.js';
import { hostileString } from '../helpers/host-snapshot.js';

const demo = await readFile(join(import.meta.dirname, '..', '..', 'examples', 'demo.yaml'), 'utf8');

/**
 * Loads text and builds it: either a model comes out or a TopologyError whose lines are one
 * `FILE:LINE:COL: message` each, sorted; anything else (an untyped error, a polluted prototype) fails.
 */
function loadsOrExplains(text: string, file = 'p.yaml'): void {
  try {
    buildTopology(parseTopology({ text, file }));
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    assert.ok(e.problems.length > 0);
    for (const line of e.lines) assert.match(line, /^p\.(yaml|json):\d+:\d+: [^\n\r\u2028\u2029]+$/u);
    const at = e.problems.map((p) => [p.line, p.col] as const);
    assert.ok(
      at.every(([l, c], i) => i === 0 || l > at[i - 1]![0] || (l === at[i - 1]![0] && c >= at[i - 1]![1])),
    );
  }
  assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
}

const yamlTokens = fc.constantFrom(
  ':',
  ': ',
  '- ',
  '\n',
  '\n  ',
  '\n    ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '!!str ',
  '!x ',
  '"',
  "'",
  '#',
  '? ',
  '|',
  '>',
  '---\n',
  '...\n',
  '%YAML 1.2\n',
  '\t',
  '~',
  'null',
  'true',
  '0x1F',
  '1e400',
  '-0',
  '.nan',
  '10.0.0.0/24',
  '172.24.4.1',
  'fd00::1',
  'fa:16:3e:00:00:01',
  '__proto__',
  'constructor',
  'prototype',
  'polluted',
  '<<',
  ...FILE_KEYS.keys(),
  'web',
  'web1',
  'r1',
  'tcp',
  'icmp',
  'router:r1',
  'fip:web1',
);

test('garbage YAML built from YAML syntax and topology words: a model or a TopologyError, never anything else', () => {
  fc.assert(
    fc.property(fc.array(yamlTokens, { maxLength: 80 }), (tokens) => loadsOrExplains(tokens.join(''))),
    { numRuns: 1500 },
  );
});

// Flow YAML from a small grammar, with anchors and aliases anywhere (an alias inside its own anchor too).
const flow = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      'web',
      'web1',
      '10.10.1.0/24',
      '80',
      'true',
      'null',
      '"x"',
      '*a',
      '*b',
      "'y'",
      '__proto__',
    ),
    fc.tuple(fc.constantFrom('&a ', '&b '), tie('v')).map(([a, v]) => a + v),
    fc.array(tie('v'), { maxLength: 4 }).map((xs) => `[${xs.join(', ')}]`),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...FILE_KEYS.keys()), tie('v')), tie('v')), { maxLength: 4 })
      .map((kv) => `{${kv.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
  ),
}));

test('flow YAML with anchors and aliases anywhere: a model or a TopologyError', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...FILE_KEYS.keys()), flow.v), { maxLength: 6 }),
      (entries) => loadsOrExplains(`name: demo\n${entries.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`),
    ),
    { numRuns: 1500 },
  );
});

test('hostile and random text, as YAML and as JSON: a model or a TopologyError', () => {
  fc.assert(
    fc.property(
      fc.oneof(hostileString(), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string()),
      (text) => {
        loadsOrExplains(text);
        loadsOrExplains(text, 'p.json');
        loadsOrExplains(
          `name: demo\nnetworks:\n  - name: ${JSON.stringify(text)}\n    cidr: ${JSON.stringify(text)}\n`,
        );
      },
    ),
    { numRuns: 500 },
  );
});

test('the demo file cut, spliced and overwritten at random: a model or a TopologyError', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          at: fc.nat(demo.length),
          cut: fc.nat(40),
          insert: fc.oneof(yamlTokens, hostileString()),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      (edits) => {
        let text = demo;
        for (const e of edits) text = text.slice(0, e.at) + e.insert + text.slice(e.at + e.cut);
        loadsOrExplains(text);
      },
    ),
    { numRuns: 800 },
  );
});

test('random values under topology keys, written as YAML and as JSON: a model or a TopologyError', () => {
  const key = fc.oneof(
    fc.constantFrom(...FILE_KEYS.keys()),
    fc.constantFrom('__proto__', 'constructor'),
    fc.string(),
  );
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(
        'web',
        'web1',
        '10.10.1.0/24',
        '10.10.1.7',
        'fd00::/64',
        'tcp',
        80,
        -1,
        1.5,
        true,
        null,
        'x'.repeat(40),
      ),
      hostileString(),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(key, tie('v'), { maxKeys: 5 }),
    ),
  })).v;
  fc.assert(
    fc.property(fc.dictionary(key, value, { maxKeys: 8 }), fc.boolean(), (data, named) => {
      const doc = named ? { name: 'demo', ...data } : data;
      loadsOrExplains(stringify(doc));
      loadsOrExplains(JSON.stringify(doc), 'p.json');
    }),
    { numRuns: 600 },
  );
});
