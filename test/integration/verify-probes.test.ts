import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import type { ResourceName, TopologyName } from '../../src/net/ownership.js';
import type { IpAddress } from '../../src/net/types.js';
import { buildTopology, parseTopology, type ResolvedCheck } from '../../src/topology/index.js';
import { type CheckResult, runChecks, verifyReport } from '../../src/verify/index.js';
import { rootOnly } from '../helpers/root.js';
import { type Sandbox, sandbox } from '../helpers/sandbox.js';

// A topology whose instances are made by hand here (namespaces named as tenantnet names them, joined
// by a veth pair): the verify runner is tested on its own, with the model resolving the checks.
const TOPOLOGY = `
name: vt
networks:
  - name: lan
    subnets:
      - { cidr: 10.251.0.0/24, dhcp: false }
      - { cidr: "fd00:251::/64", dhcp: false }
instances:
  - { name: a, network: lan, ip: 10.251.0.10 }
  - { name: b, network: lan, ip: 10.251.0.20 }
checks:
  - { from: a, to: b, protocol: icmp }
  - { from: a, to: b, protocol: tcp, port: 80 }
  - { from: a, to: b, protocol: udp, port: 53 }
  - { from: a, to: 10.251.0.20, protocol: tcp, port: 8080 }
`;

/** The two instance namespaces of TOPOLOGY, made and joined; returns the runner's prefix and the model. */
async function lan(sb: Sandbox) {
  const loaded = parseTopology({ text: TOPOLOGY, file: 'vt.yaml' });
  const built = buildTopology(loaded);
  const [a, b] = [await sb.namespace('vm-vt.a'), await sb.namespace('vm-vt.b')];
  const addr = (name: string) => built.model.instances.find((i) => i.name === name)!.port.fixedIps;
  const [a4, a6] = addr('a').map((f) => f.address);
  const [b4, b6] = addr('b').map((f) => f.address);
  const [da, db] = await sb.link(a, `${a4}/24`, b, `${b4}/24`);
  await run(['ip', '-n', a, 'addr', 'add', `${a6}/64`, 'dev', da, 'nodad']);
  await run(['ip', '-n', b, 'addr', 'add', `${b6}/64`, 'dev', db, 'nodad']);
  return { a, b, prefix: `${sb.prefix}-`, built, ips: { a4: a4!, a6: a6!, b4: b4!, b6: b6! } };
}

/** A check made by hand, between instances of TOPOLOGY. */
function probe(
  index: number,
  from: string,
  server: string | null,
  destination: string,
  protocol: ResolvedCheck['protocol'],
  port: number | null,
  expect: ResolvedCheck['expect'] = 'pass',
): ResolvedCheck {
  const at = (name: string) => ({
    kind: 'instance' as const,
    topology: 'vt' as TopologyName,
    name: name as ResourceName,
  });
  return {
    index,
    from,
    to: destination,
    protocol,
    port,
    expect,
    source: at(from),
    destination: destination as IpAddress,
    family: destination.includes(':') ? 6 : 4,
    server: server === null ? null : at(server),
  };
}

async function pidsIn(ns: string): Promise<string[]> {
  return (await run(['ip', 'netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean);
}

test(
  'icmp, tcp and udp checks pass between two namespaces; the server sees the client address',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const { a, b, prefix, built, ips } = await lan(sb);
    const seen: CheckResult[] = [];
    // IPv6: b to a's allocated address, by ping and over TCP
    const v6 = [
      probe(built.checks.length, 'b', 'a', ips.a6, 'icmp', null),
      probe(built.checks.length + 1, 'b', 'a', ips.a6, 'tcp', 22),
    ];
    const checks = [...built.checks, ...v6];
    const results = await runChecks(checks, { netnsPrefix: prefix, onResult: (r) => seen.push(r) });
    assert.deepEqual(
      results.map((r) => [r.to, r.protocol, r.result, r.observed]),
      [
        ['b', 'icmp', 'pass', 'pass'],
        ['b', 'tcp', 'pass', 'pass'],
        ['b', 'udp', 'pass', 'pass'],
        ['10.251.0.20', 'tcp', 'pass', 'pass'],
        [ips.a6, 'icmp', 'pass', 'pass'],
        [ips.a6, 'tcp', 'pass', 'pass'],
      ],
      JSON.stringify(results, null, 1),
    );
    assert.equal(results[1]!.seenFrom, ips.a4);
    assert.equal(results[2]!.seenFrom, ips.a4);
    assert.equal(results[1]!.destination, ips.b4);
    assert.equal(results[5]!.seenFrom, ips.b6);
    assert.equal(seen.length, 6);
    assert.deepEqual(verifyReport(results), { passed: 6, failed: 0, checks: results });
    // every server and client is gone once runChecks resolves
    assert.deepEqual(await pidsIn(a), []);
    assert.deepEqual(await pidsIn(b), []);
  },
);

test(
  'a firewalled port is block (DROP after the timeout, REJECT at once); an unmet expectation is fail',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const { a, b, prefix, ips } = await lan(sb);
    for (const rule of [
      ['-p', 'tcp', '--dport', '81', '-j', 'DROP'],
      ['-p', 'udp', '--dport', '54', '-j', 'DROP'],
      ['-p', 'tcp', '--dport', '82', '-j', 'REJECT'],
    ]) {
      await run(['iptables', '-w', '-A', 'INPUT', ...rule], { namespace: b });
    }
    await run(
      ['ip6tables', '-w', '-A', 'INPUT', '-p', 'ipv6-icmp', '--icmpv6-type', 'echo-request', '-j', 'DROP'],
      {
        namespace: b,
      },
    );
    const checks = [
      probe(0, 'a', 'b', ips.b4, 'tcp', 81, 'block'),
      probe(1, 'a', 'b', ips.b4, 'udp', 54, 'block'),
      probe(2, 'a', 'b', ips.b4, 'tcp', 82, 'block'),
      probe(3, 'a', 'b', ips.b6, 'icmp', null, 'block'),
      probe(4, 'a', 'b', ips.b4, 'tcp', 81, 'pass'),
      probe(5, 'a', 'b', ips.b4, 'tcp', 80, 'block'),
      probe(6, 'a', 'b', ips.b4, 'udp', 53, 'pass'),
    ];
    const started = Date.now();
    const results = await runChecks(checks, { netnsPrefix: prefix, concurrency: 8 });
    const took = Date.now() - started;
    assert.deepEqual(
      results.map((r) => [r.index, r.result, r.observed]),
      [
        [0, 'block', 'block'],
        [1, 'block', 'block'],
        [2, 'block', 'block'],
        [3, 'block', 'block'],
        [4, 'fail', 'block'],
        [5, 'fail', 'pass'],
        [6, 'pass', 'pass'],
      ],
      JSON.stringify(results, null, 1),
    );
    assert.match(results[2]!.detail, /refused/i);
    assert.ok(results[2]!.ms < 1000, `a REJECT answers at once, took ${results[2]!.ms} ms`);
    for (const i of [0, 1, 3]) {
      const ms = results[i]!.ms;
      assert.ok(ms >= 1400 && ms < 3000, `a DROP is block after about 1.5 s, took ${ms} ms`);
    }
    assert.match(results[4]!.detail, /^expected pass, but: no answer within 1500 ms/);
    assert.match(results[5]!.detail, /^expected block, but: answered/);
    assert.equal(results[5]!.seenFrom, ips.a4);
    assert.deepEqual(verifyReport(results).failed, 2);
    assert.ok(took < 4000, `checks run at once: ${took} ms for 7`);
    assert.deepEqual(await pidsIn(a), []);
    assert.deepEqual(await pidsIn(b), []);
  },
);

test(
  'the server reports the address it saw after NAT: a masquerading router in between',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [a, r, c] = [
      await sb.namespace('vm-vt.a'),
      await sb.namespace('vm-vt.r'),
      await sb.namespace('vm-vt.c'),
    ];
    await sb.link(a, '10.252.1.10/24', r, '10.252.1.1/24', '0');
    await sb.link(r, '10.252.2.1/24', c, '10.252.2.30/24', '1');
    await run(['ip', '-n', a, 'route', 'add', 'default', 'via', '10.252.1.1']);
    await run(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], { namespace: r });
    await run(['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-o', sb.dev('a1'), '-j', 'MASQUERADE'], {
      namespace: r,
    });
    const results = await runChecks(
      [probe(0, 'a', 'c', '10.252.2.30', 'tcp', 443), probe(1, 'a', 'c', '10.252.2.30', 'udp', 443)],
      { netnsPrefix: `${sb.prefix}-` },
    );
    assert.deepEqual(
      results.map((x) => [x.result, x.seenFrom]),
      [
        ['pass', '10.252.2.1'],
        ['pass', '10.252.2.1'],
      ],
      JSON.stringify(results),
    );
    for (const ns of [a, r, c]) assert.deepEqual(await pidsIn(ns), []);
  },
);

test(
  'a server that cannot listen (port taken) fails its checks with the reason, and leaves nothing',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const { a, b, prefix, ips } = await lan(sb);
    const { AsyncProcess } = await import('../../src/exec/async-process.js');
    const squatter = new AsyncProcess(['socat', 'TCP4-LISTEN:90,reuseaddr', 'STDOUT'], { namespace: b });
    await squatter.start();
    sb.defer(() => squatter.stop());
    await new Promise((res) => setTimeout(res, 200)); // let it bind
    const results = await runChecks(
      [probe(0, 'a', 'b', ips.b4, 'tcp', 90), probe(1, 'a', 'missing', ips.b4, 'tcp', 91)],
      { netnsPrefix: prefix },
    );
    assert.equal(results[0]!.result, 'fail');
    assert.equal(results[0]!.observed, 'error');
    assert.match(results[0]!.detail, /did not start: .*Address already in use/);
    assert.equal(results[1]!.observed, 'error');
    assert.match(results[1]!.detail, /namespace ".*vm-vt\.missing" does not exist/);
    await squatter.stop();
    assert.deepEqual(await pidsIn(a), []);
    assert.deepEqual(await pidsIn(b), []);
  },
);
