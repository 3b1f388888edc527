import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { parseSysctlValues } from '../../src/ip/batch.js';
import { batchLine, sysctl } from '../../src/ip/index.js';
import { sysctlSetting } from '../../src/ip/line.js';
import { parseFailures as parseSysctlFailures } from '../../src/ip/sysctl.js';
import { namespaceName } from '../../src/net/index.js';

test('sysctl in a namespace is one batch line, and its error lines name the failing keys', () => {
  assert.equal(
    batchLine({ op: 'sysctl', namespace: namespaceName('qr1'), settings: ['net.ipv4.ip_forward=1'] }),
    'netns exec qr1 sysctl -q -w net.ipv4.ip_forward=1',
  );
  assert.deepEqual(
    parseSysctlFailures([
      'sysctl: cannot stat /proc/sys/net/ipv4/nosuch: No such file or directory',
      'sysctl: setting key "net.ipv4.conf.all.forwarding": Invalid argument',
    ]),
    {
      'net.ipv4.nosuch': 'No such file or directory',
      'net.ipv4.conf.all.forwarding': 'Invalid argument',
    },
  );
});

test('sysctl refuses keys and values that could split or glob, before anything runs', async () => {
  await assert.rejects(sysctl(null, { 'net.ipv4.ip_forward': '1 2' }), InvalidInputError);
  await assert.rejects(sysctl(null, { 'net/ipv4/ip_forward': 1 }), InvalidInputError);
  await assert.rejects(sysctl(null, { 'net.ipv4.*': 1 }), InvalidInputError);
  await assert.rejects(sysctl('bad name', { 'net.ipv4.ip_forward': 1 }), InvalidInputError);
});

test('a sysctl key starting with "-" is refused before anything runs: sysctl would read it as an option', async () => {
  // `sysctl -q -w -p.conf=1` loads a settings file from the working directory. The namespace does
  // not exist: the key must be refused before that is even looked at.
  for (const key of ['-p.conf', '--system.x', '-a.b']) {
    await assert.rejects(
      sysctl('tn-no-such-namespace-s1', { [key]: 1 }),
      (e: unknown) => e instanceof InvalidInputError && e.where === 'sysctl key',
      key,
    );
  }
  assert.throws(() => sysctlSetting('-p.conf', 1), InvalidInputError);
  assert.equal(sysctlSetting('net.ipv4.conf.all.forwarding', -1), 'net.ipv4.conf.all.forwarding=-1');
});

test('reading sysctl keys is one batch line (-e: a missing key is left out) and its output a record', () => {
  assert.equal(
    batchLine({
      op: 'sysctl.show',
      namespace: namespaceName('qr1'),
      keys: ['net.ipv4.ip_forward', 'net.ipv4.conf.all.arp_ignore'],
    }),
    'netns exec qr1 sysctl -e net.ipv4.ip_forward net.ipv4.conf.all.arp_ignore',
  );
  assert.deepEqual(
    parseSysctlValues(['net.ipv4.ip_forward = 1', 'net.ipv4.ping_group_range = 0\t2147483647']),
    {
      'net.ipv4.ip_forward': '1',
      'net.ipv4.ping_group_range': '0\t2147483647',
    },
  );
  for (const keys of [[], ['-p.conf'], ['net.ipv4.*'], ['net.ipv4.ip_forward x'], ['net/ipv4/ip_forward']]) {
    assert.throws(
      () => batchLine({ op: 'sysctl.show', namespace: namespaceName('qr1'), keys }),
      InvalidInputError,
      JSON.stringify(keys),
    );
  }
});
