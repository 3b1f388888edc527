import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import {
  conntrackArgs,
  deleteConntrackByAddress,
  listConntrackZone,
  parseConntrack,
} from '../../src/iptables/conntrack.js';

test('conntrack -L lines parse into protocol, original addresses, ports and zone', () => {
  const text =
    'tcp      6 431999 ESTABLISHED src=10.250.1.1 dst=10.250.1.2 sport=40000 dport=5000 src=10.250.1.2 dst=10.250.1.1 sport=5000 dport=40000 [ASSURED] mark=0 zone=7 use=1\n' +
    'icmp     1 29 src=10.250.1.1 dst=10.250.1.2 type=8 code=0 id=7 src=10.250.1.2 dst=10.250.1.1 type=0 code=0 id=7 mark=0 use=1\n' +
    'conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n';
  const e = parseConntrack(text);
  assert.equal(e.length, 2);
  assert.deepEqual(
    { ...e[0], raw: undefined },
    {
      protocol: 'tcp',
      src: '10.250.1.1',
      dst: '10.250.1.2',
      sport: 40000,
      dport: 5000,
      zone: 7,
      raw: undefined,
    },
  );
  assert.equal(e[1]?.protocol, 'icmp');
  assert.equal(e[1]?.sport, undefined);
});

test('bad addresses and zones are refused before anything runs', async () => {
  await assert.rejects(deleteConntrackByAddress('10.0.0.300'), InvalidInputError);
  await assert.rejects(deleteConntrackByAddress('not-an-ip'), InvalidInputError);
  await assert.rejects(deleteConntrackByAddress('10.0.0.1', { zone: 70000 }), InvalidInputError);
  await assert.rejects(listConntrackZone(-1), InvalidInputError);
});

test('a filter by original source, protocol and destination port becomes -s, -p and --dport', () => {
  assert.deepEqual(
    conntrackArgs({ family: 4, zone: 3, src: '10.0.0.1', dst: '10.0.0.2', protocol: 'tcp', dport: 22 }),
    ['-f', 'ipv4', '-s', '10.0.0.1', '-d', '10.0.0.2', '-p', 'tcp', '--dport', '22', '-w', '3'],
  );
  assert.deepEqual(conntrackArgs({ family: 6, src: 'fd00::1' }), ['-f', 'ipv6', '-s', 'fd00::1']);
});
