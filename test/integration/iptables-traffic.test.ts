import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import {
  deleteConntrackByAddress,
  deleteConntrackZone,
  listConntrackZone,
} from '../../src/iptables/conntrack.js';
import { IpsetError } from '../../src/iptables/errors.js';
import { IpsetManager } from '../../src/iptables/ipset.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import { filterManager } from '../helpers/iptables.js';
import { rootOnly } from '../helpers/root.js';
import { type Sandbox, sandbox } from '../helpers/sandbox.js';

/** Starts a socat echo server in a namespace; it is killed (with its forks) before teardown. */
async function echoServer(sb: Sandbox, ns: string, listen: string): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, 'socat', listen, 'PIPE'], {
    detached: true,
    stdio: 'ignore',
  });
  sb.defer(async () => {
    const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {}
    await exited;
  });
  await new Promise((r) => setTimeout(r, 150));
}

/** True when a TCP or UDP echo through socat comes back from `to`. */
async function echo(ns: string, proto: 'TCP' | 'UDP', to: string, port: number): Promise<boolean> {
  const target = proto === 'TCP' ? `TCP:${to}:${port},connect-timeout=1` : `UDP:${to}:${port}`;
  const r = await run(['socat', '-T1', '-', target], {
    namespace: ns,
    input: 'probe\n',
    check: false,
    timeoutMs: 5000,
  });
  return r.stdout.includes('probe');
}

async function pair(sb: Sandbox, net: number): Promise<[string, string]> {
  const [a, b] = [await sb.namespace('a'), await sb.namespace('b')];
  await sb.link(a, `10.250.${net}.1/24`, b, `10.250.${net}.2/24`);
  return [a, b];
}

test('ICMP, TCP and UDP are blocked by rules and allowed again when the rules go', rootOnly, async (t) => {
  const sb = sandbox(t);
  const [a, b] = await pair(sb, 41);
  await echoServer(sb, b, 'TCP-LISTEN:5000,reuseaddr,fork');
  await echoServer(sb, b, 'UDP-RECVFROM:5001,fork');
  const m = filterManager(sb, b);
  await m.apply();
  const allowed = async () => [
    await sb.ping(a, '10.250.41.2'),
    await echo(a, 'TCP', '10.250.41.2', 5000),
    await echo(a, 'UDP', '10.250.41.2', 5001),
  ];
  assert.deepEqual(await allowed(), [true, true, true]);
  const f = m.table('filter');
  const block = [
    '-p icmp -j DROP',
    '-p tcp --dport 5000 -j REJECT --reject-with tcp-reset',
    '-p udp --dport 5001 -j DROP',
  ];
  for (const rule of block) f.addRule('INPUT', rule);
  assert.equal((await m.apply()).operations, 3);
  assert.deepEqual(await allowed(), [false, false, false]);
  f.removeRule('INPUT', block[1] as string);
  await m.apply();
  assert.deepEqual(await allowed(), [false, true, false]);
  f.emptyChain('INPUT');
  await m.apply();
  assert.deepEqual(await allowed(), [true, true, true]);
});

test(
  'ipset membership gates traffic, a bulk swap during a ping loses no packet, an in-use set is kept',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [a, b] = await pair(sb, 42);
    const sets = new IpsetManager({ namespace: b, prefix: sb.prefix });
    const name = sets.setName('peers', 4);
    await sets.setMembers('peers', 4, ['10.250.99.1']);
    const m = filterManager(sb, b);
    const f = m.table('filter');
    f.addRule('INPUT', `-p icmp -m set --match-set ${name} src -j ACCEPT`);
    f.addRule('INPUT', '-p icmp -j DROP');
    await m.apply();
    assert.equal(await sb.ping(a, '10.250.42.2'), false, 'not a member: dropped');
    const add = await sets.setMembers('peers', 4, ['10.250.99.1', '10.250.42.1']);
    assert.equal(add.method, 'incremental');
    assert.equal(await sb.ping(a, '10.250.42.2'), true, 'member: allowed');
    // 40 pings 50 ms apart while the set is rebuilt through a temporary set and a swap, twice.
    const pinging = run(['ping', '-n', '-q', '-c', '40', '-i', '0.05', '-W', '1', '10.250.42.2'], {
      namespace: a,
      check: false,
      timeoutMs: 15_000,
    });
    const bulk = Array.from({ length: 200 }, (_, i) => `10.251.${i >> 8}.${i & 255}`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await sets.setMembers('peers', 4, [...bulk, '10.250.42.1'])).method, 'swap');
    assert.equal(
      (await sets.setMembers('peers', 4, ['10.250.42.1', '0.0.0.0/0', ...bulk.slice(5)])).method,
      'swap',
    );
    const p = await pinging;
    assert.match(p.stdout, /40 packets transmitted, 40 received/, p.stdout);
    await assert.rejects(sets.destroy('peers', 4), IpsetError);
    await sets.setMembers('peers', 4, []);
    assert.equal(await sb.ping(a, '10.250.42.2'), false, 'removed: dropped');
    f.emptyChain('INPUT');
    await m.apply();
    await sets.destroy('peers', 4);
    assert.deepEqual(await sets.list(), []);
  },
);

test('conntrack entries are removed by address and by zone', rootOnly, async (t) => {
  const sb = sandbox(t);
  const [a, b] = await pair(sb, 43);
  await echoServer(sb, b, 'UDP-RECVFROM:5001,fork');
  const m = new IptablesManager({ namespace: b, prefix: sb.prefix, families: [4], tables: ['raw'] });
  m.table('raw').addRule('PREROUTING', '-i lo -j CT --zone 7');
  m.table('raw').addRule('PREROUTING', '-s 10.250.43.1 -j CT --zone 7');
  await m.apply();
  const flows = async () =>
    (await listConntrackZone(7, { namespace: b })).filter((e) => e.src === '10.250.43.1');
  assert.equal(await echo(a, 'UDP', '10.250.43.2', 5001), true);
  assert.equal(await sb.ping(a, '10.250.43.2'), true);
  assert.deepEqual((await flows()).map((e) => e.protocol).sort(), ['icmp', 'udp']);
  assert.ok((await deleteConntrackByAddress('10.250.43.2', { namespace: b, zone: 7 })) >= 2);
  assert.deepEqual(await flows(), []);
  assert.equal(
    await deleteConntrackByAddress('10.250.43.2', { namespace: b, zone: 7 }),
    0,
    'nothing left is fine',
  );
  assert.equal(await echo(a, 'UDP', '10.250.43.2', 5001), true);
  assert.equal((await flows()).length, 1);
  assert.ok((await deleteConntrackZone(7, { namespace: b })) >= 1);
  assert.deepEqual(await flows(), []);
});
