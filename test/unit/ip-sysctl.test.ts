import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { parseSysctlFailures, splitSysctlSections, sysctl } from '../../src/ip/index.js';

test('coalesced sysctl output splits into one section per namespace by the end markers', () => {
  const out = [
    '@@tenantnet-sysctl-end 0',
    'sysctl: cannot stat /proc/sys/net/ipv4/nosuch: No such file or directory',
    'sysctl: setting key "net.ipv4.conf.all.forwarding": Invalid argument',
    '@@tenantnet-sysctl-end 1',
    '',
  ].join('\n');
  const sections = splitSysctlSections(out);
  assert.deepEqual(
    sections.map((s) => s.code),
    [0, 1],
  );
  assert.deepEqual(parseSysctlFailures(sections[1]!.lines), {
    'net.ipv4.nosuch': 'No such file or directory',
    'net.ipv4.conf.all.forwarding': 'Invalid argument',
  });
});

test('sysctl refuses keys and values that could split or glob, before anything runs', async () => {
  await assert.rejects(sysctl(null, { 'net.ipv4.ip_forward': '1 2' }), InvalidInputError);
  await assert.rejects(sysctl(null, { 'net/ipv4/ip_forward': 1 }), InvalidInputError);
  await assert.rejects(sysctl(null, { 'net.ipv4.*': 1 }), InvalidInputError);
  await assert.rejects(sysctl('bad name', { 'net.ipv4.ip_forward': 1 }), InvalidInputError);
});
