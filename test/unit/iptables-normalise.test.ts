import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { canonicalCidr } from '../../src/iptables/addresses.js';
import { normaliseRule } from '../../src/iptables/normalise.js';
import { saveString, tokenize } from '../../src/iptables/rule-text.js';
import type { IpFamily } from '../../src/net/types.js';

// Each pair was checked against iptables-save 1.8.9 (nf_tables) on the target machine.
const CASES: [string, string, IpFamily][] = [
  [
    '-p tcp --dport 22 -s 10.0.0.1 -j ACCEPT -m comment --comment "hello world"',
    '-s 10.0.0.1/32 -p tcp -m tcp --dport 22 -m comment --comment "hello world" -j ACCEPT',
    4,
  ],
  ['-m mac --mac-source AA:BB:CC:DD:EE:FF -j DROP', '-m mac --mac-source aa:bb:cc:dd:ee:ff -j DROP', 4],
  ['-s 0.0.0.0/0 -p icmp --icmp-type 8 -j RETURN', '-p icmp -m icmp --icmp-type 8 -j RETURN', 4],
  ['-m comment --comment tn:owner -j foo', '-m comment --comment "tn:owner" -j foo', 4],
  [
    '-i lo -s 10.1.2.3/24 -o eth0 -d 1.2.3.4 -p udp --sport 53 -j ACCEPT',
    '-s 10.1.2.0/24 -d 1.2.3.4/32 -i lo -o eth0 -p udp -m udp --sport 53 -j ACCEPT',
    4,
  ],
  ['--protocol icmp --icmp-type echo-request --jump ACCEPT', '-p icmp -m icmp --icmp-type 8 -j ACCEPT', 4],
  ['-p 6 --dport 80 -j DROP', '-p tcp -m tcp --dport 80 -j DROP', 4],
  ['! -s 10.0.0.1 -j DROP', '! -s 10.0.0.1/32 -j DROP', 4],
  ['-j MARK --set-mark 1', '-j MARK --set-xmark 0x1/0xffffffff', 4],
  ['-d 0.0.0.0/0 -j RETURN', '-j RETURN', 4],
  [
    '-p tcp --dport 22 --syn -j ACCEPT',
    '-p tcp -m tcp --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT',
    4,
  ],
  ['-j REJECT', '-j REJECT --reject-with icmp-port-unreachable', 4],
  ['-j REJECT', '-j REJECT --reject-with icmp6-port-unreachable', 6],
  ['-m comment --comment x -p tcp -j ACCEPT', '-p tcp -m comment --comment x -j ACCEPT', 4],
  [
    '-m comment --comment x -p tcp --dport 81 -j ACCEPT',
    '-p tcp -m comment --comment x -m tcp --dport 81 -j ACCEPT',
    4,
  ],
  [
    `-p tcp --dport 82 -m comment --comment 'a"b' -j ACCEPT`,
    '-p tcp -m tcp --dport 82 -m comment --comment "a\\"b" -j ACCEPT',
    4,
  ],
  ['-p icmp --icmp-type port-unreachable -j ACCEPT', '-p icmp -m icmp --icmp-type 3/3 -j ACCEPT', 4],
  ['-m mark --mark 1 -j ACCEPT', '-m mark --mark 0x1 -j ACCEPT', 4],
  ['-p tcp ! --dport 5 -j ACCEPT', '-p tcp -m tcp ! --dport 5 -j ACCEPT', 4],
  ['-p tcp -m multiport --dports 80,443 -j ACCEPT', '-p tcp -m multiport --dports 80,443 -j ACCEPT', 4],
  [
    '-s 2001:DB8::1 -p icmpv6 --icmpv6-type echo-request -j ACCEPT',
    '-s 2001:db8::1/128 -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT',
    6,
  ],
  ['-d fe80::1/64 -j DROP', '-d fe80::/64 -j DROP', 6],
  ['-d 1.2.3.4 -j DNAT --to 10.0.0.5', '-d 1.2.3.4/32 -j DNAT --to-destination 10.0.0.5', 4],
  ['-i lo -j CT --zone 5', '-i lo -j CT --zone 5', 4],
];

test('rules written in common non-canonical ways normalise to what iptables-save prints', () => {
  for (const [given, printed, family] of CASES) assert.equal(normaliseRule(given, family), printed, given);
});

test('normalising is idempotent: canonical text stays as it is', () => {
  for (const [, printed, family] of CASES) assert.equal(normaliseRule(printed, family), printed, printed);
});

test('addresses get an explicit prefix, cleared host bits, compressed IPv6; /0 is dropped', () => {
  assert.equal(canonicalCidr('10.1.2.3', 4), '10.1.2.3/32');
  assert.equal(canonicalCidr('10.1.2.3/8', 4), '10.0.0.0/8');
  assert.equal(canonicalCidr('0.0.0.0/0', 4), null);
  assert.equal(canonicalCidr('2001:0DB8:0:0:0:0:0:1', 6), '2001:db8::1/128');
  assert.equal(canonicalCidr('2001:db8:0:1:0:0:0:0/64', 6), '2001:db8:0:1::/64');
  assert.equal(canonicalCidr('::ffff:10.0.0.1', 6), '::ffff:a00:1/128');
  assert.throws(() => canonicalCidr('10.0.0.300', 4), InvalidInputError);
  assert.throws(() => canonicalCidr('10.0.0.1', 6), InvalidInputError);
  assert.throws(() => canonicalCidr('10.0.0.1/33', 4), InvalidInputError);
});

test('a bad address or an unterminated quote in a rule is refused with the rule quoted', () => {
  assert.throws(() => normaliseRule('-s 10.0.0.999 -j DROP', 4), /10\.0\.0\.999/);
  assert.throws(() => normaliseRule('-m comment --comment "open', 4), InvalidInputError);
});

test('tokenize and saveString follow shell quoting and iptables-save quoting', () => {
  assert.deepEqual(tokenize(`-m comment --comment "a b" -j X`), [
    '-m',
    'comment',
    '--comment',
    'a b',
    '-j',
    'X',
  ]);
  assert.deepEqual(tokenize(`--comment 'x "y"'`), ['--comment', 'x "y"']);
  assert.deepEqual(tokenize(`--comment "q\\"q"`), ['--comment', 'q"q']);
  assert.equal(saveString('plain_name-1'), 'plain_name-1');
  assert.equal(saveString('tenantnet:tn'), '"tenantnet:tn"');
  assert.equal(saveString(`it's`), `"it\\'s"`);
});
