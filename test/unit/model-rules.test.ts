import { test } from 'node:test';
import { edit, expectProblem, rule } from './model-fixtures.js';

// --- security-group rules ------------------------------------------------------------------------

test('rules: direction, protocol names and numbers', () => {
  expectProblem(
    edit((t) => {
      delete rule(t, 0).direction;
    }),
    ['securityGroups', 0, 'rules', 0, 'direction'],
    'needs a direction',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).direction = 'in';
    }),
    ['securityGroups', 0, 'rules', 0, 'direction'],
    'not one of ingress, egress',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).protocol = 'tcpp';
    }),
    ['securityGroups', 0, 'rules', 0, 'protocol'],
    'not a protocol',
  );
  expectProblem(
    edit((t) => {
      rule(t, 3).protocol = 256;
    }),
    ['securityGroups', 0, 'rules', 3, 'protocol'],
    'number 0-255',
  );
  expectProblem(
    edit((t) => {
      rule(t, 3).protocol = -1;
    }),
    ['securityGroups', 0, 'rules', 3, 'protocol'],
    'not a protocol',
  );
  expectProblem(
    edit((t) => {
      rule(t, 3).ethertype = 'ipv4';
    }),
    ['securityGroups', 0, 'rules', 3, 'ethertype'],
    'not one of IPv4, IPv6',
  );
});

test('rules: ports only with tcp/udp/sctp/dccp, ranges 1 <= a <= b <= 65535', () => {
  const at = (k: number, key: string) => ['securityGroups', 0, 'rules', k, key];
  expectProblem(
    edit((t) => {
      rule(t, 1).port = 80;
    }),
    at(1, 'port'),
    "port needs protocol tcp, udp, sctp or dccp (the rule's is icmp)",
  );
  expectProblem(
    edit((t) => {
      rule(t, 3).sourcePort = 80;
    }),
    at(3, 'sourcePort'),
    "(the rule's is any)",
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).port = '100-10';
    }),
    at(0, 'port'),
    'the first may not pass the last',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).port = 0;
    }),
    at(0, 'port'),
    'ports are 1-65535',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).port = 65536;
    }),
    at(0, 'port'),
    'ports are 1-65535',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).port = '80,443';
    }),
    at(0, 'port'),
    'not a port or range',
  );
  expectProblem(
    edit((t) => {
      rule(t, 0).port = 80.5;
    }),
    at(0, 'port'),
    'ports are 1-65535',
  );
});

test('rules: ICMP type/code only with icmp/icmpv6, 0-255, code needs a type', () => {
  const at = (k: number, key: string) => ['securityGroups', 0, 'rules', k, key];
  expectProblem(
    edit((t) => {
      rule(t, 0).icmpType = 8;
    }),
    at(0, 'icmpType'),
    'needs protocol icmp or icmpv6',
  );
  expectProblem(
    edit((t) => {
      rule(t, 1).icmpType = 256;
    }),
    at(1, 'icmpType'),
    'not an ICMP type (0-255)',
  );
  expectProblem(
    edit((t) => {
      rule(t, 1).icmpCode = 0;
    }),
    at(1, 'icmpCode'),
    'icmpCode needs icmpType',
  );
});

test('rules: remote IP or remote group, and families that agree', () => {
  const at = (k: number, key: string) => ['securityGroups', 0, 'rules', k, key];
  expectProblem(
    edit((t) => {
      rule(t, 1).remoteIp = '10.0.0.0/8';
    }),
    at(1, 'remoteGroup'),
    'not both',
  );
  expectProblem(
    edit((t) => {
      rule(t, 2).remoteIp = '10.0.0.0/33';
    }),
    at(2, 'remoteIp'),
    'prefix length',
  );
  expectProblem(
    edit((t) => {
      rule(t, 2).ethertype = 'IPv6';
    }),
    at(2, 'remoteIp'),
    'remoteIp 10.0.0.0/8 is IPv4, but ethertype IPv6 is IPv6',
  );
  expectProblem(
    edit((t) => {
      rule(t, 1).ethertype = 'IPv6';
    }),
    at(1, 'protocol'),
    'protocol icmp (ICMP for IPv4; IPv6 uses icmpv6) is IPv4',
  );
  expectProblem(
    edit((t) => {
      Object.assign(rule(t, 2), { protocol: 'icmpv6', port: undefined });
    }),
    at(2, 'protocol'),
    'icmpv6 (ICMP for IPv6; IPv4 uses icmp) is IPv6, but remoteIp 10.0.0.0/8 is IPv4',
  );
});
