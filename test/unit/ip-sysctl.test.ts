import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
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
