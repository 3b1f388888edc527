import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BelievedState, fastPathLines } from '../../src/iptables/fast-path.js';

const state = (chains: Record<string, string[]>, others = ''): BelievedState => ({
  owned: new Map([['filter', new Map(Object.entries(chains))]]),
  others,
});

test('a changed owned chain becomes deletions by rule text, then insertions at final positions', () => {
  const prev = state({ 'tn-a': ['-s 10.0.0.1/32 -j ACCEPT', '-s 10.0.0.2/32 -j ACCEPT', '-j DROP'] });
  const next = state({
    'tn-a': ['-s 10.0.0.9/32 -j ACCEPT', '-s 10.0.0.2/32 -j ACCEPT', '-s 10.0.0.3/32 -j ACCEPT', '-j DROP'],
  });
  assert.deepEqual(fastPathLines(prev, next)?.get('filter'), [
    '-D tn-a -s 10.0.0.1/32 -j ACCEPT',
    '-I tn-a 1 -s 10.0.0.9/32 -j ACCEPT',
    '-I tn-a 3 -s 10.0.0.3/32 -j ACCEPT',
  ]);
});

test('new chains are declared first; removed chains are flushed, then deleted, after the jumps go', () => {
  const prev = state({ 'tn-a': ['-j tn-b'], 'tn-b': ['-j tn-c'], 'tn-c': ['-j RETURN'] });
  const next = state({ 'tn-a': ['-j tn-d'], 'tn-d': ['-j ACCEPT'] });
  assert.deepEqual(fastPathLines(prev, next)?.get('filter'), [
    ':tn-d - [0:0]',
    '-D tn-a -j tn-b',
    '-I tn-a 1 -j tn-d',
    '-I tn-d 1 -j ACCEPT',
    '-F tn-b',
    '-F tn-c',
    '-X tn-b',
    '-X tn-c',
  ]);
});

test('no change gives no lines; a change outside owned chains or an ambiguous deletion declines', () => {
  const a = state({ 'tn-a': ['-j DROP'] }, 'x');
  assert.equal(fastPathLines(a, a)?.size, 0);
  assert.equal(fastPathLines(a, state({ 'tn-a': ['-j DROP'] }, 'y')), null, 'marked rules changed');
  const twins = state({ 'tn-a': ['-j LOG', '-j ACCEPT', '-j LOG'] });
  assert.equal(fastPathLines(twins, state({ 'tn-a': ['-j LOG', '-j ACCEPT'] })), null, 'which -j LOG?');
});
