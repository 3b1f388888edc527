// A topology's life through the CLI on a private Open vSwitch, as a user lives it: invalid files
// refused (FILE:LINE:COL, exit 2, nothing on the host changed), plan, apply, an idempotent re-apply
// (0 changes), status, verify, things deleted by hand (a namespace, an OVS port, a firewall rule, a
// dead dnsmasq) flagged by status and repaired by apply, incremental edits that change only what
// changed (an established flow through a dropped floating IP cut, one still allowed kept), exec into instances, routers and DHCP namespaces, destroy, and cleanup of a topology whose
// record is gone while foreign namespaces, ports and rules stay.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { ovsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { cliHost } from './cli-helpers.js';

interface Status {
  healthy: boolean;
  networks: {
    name: string;
    dhcp: { namespace: string; pid: number | null; healthy: boolean } | null;
    healthy: boolean;
    problems: string[];
  }[];
  instances: {
    name: string;
    namespace: string;
    device: string;
    ips: string[];
    mac: string;
    floatingIp: string | null;
    healthy: boolean;
    problems: string[];
  }[];
  routers: {
    name: string;
    namespace: string;
    ports: { device: string }[];
    healthy: boolean;
    problems: string[];
  }[];
  firewall: { healthy: boolean; problems: string[] };
}

/** A process in a namespace, in its own process group (killed with everything it forked). */
function spawnIn(namespace: string, argv: string[], stdio: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', namespace, ...argv], { detached: true, stdio });
  child.on('error', () => {});
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {}
  await exited;
}

/** A long-lived TCP connection from `namespace` to `to:port` (an echo server there): lines sent come back. */
function flow(namespace: string, to: string, port: number) {
  const child = spawnIn(namespace, ['socat', '-', `TCP:${to}:${port},connect-timeout=2`], 'pipe');
  let got = '';
  child.stdout!.on('data', (d: Buffer) => {
    got += d.toString();
  });
  return {
    async roundTrip(text: string, ms = 3000): Promise<boolean> {
      if (child.exitCode !== null || child.stdin!.destroyed) return false;
      child.stdin!.write(`${text}\n`);
      for (const end = Date.now() + ms; Date.now() < end; ) {
        if (got.includes(text)) return true;
        if (child.exitCode !== null) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    },
    close(): void {
      void stop(child);
    },
  };
}

const BAD: { what: string; edit: (t: string) => string; message: RegExp }[] = [
  { what: 'YAML syntax', edit: (t) => t.replace('networks:', 'networks: [oops'), message: /./ },
  {
    what: 'an unknown key',
    edit: (t) => t.replace('    mtu: 1450', '    mtu: 1450\n    colour: blue'),
    message: /colour/,
  },
  { what: 'a wrong type', edit: (t) => t.replace('mtu: 1450', 'mtu: big'), message: /mtu/ },
  {
    what: 'an address outside its subnet',
    edit: (t) => t.replace('ip: 10.10.2.10', 'ip: 10.99.2.10'),
    message: /10\.99\.2\.10/,
  },
  {
    what: 'an address taken twice',
    edit: (t) =>
      t
        .replace('ip: 10.10.2.10', 'ip: 10.10.1.10')
        .replace('network: db, ip: 10.10.1.10', 'network: web, ip: 10.10.1.10'),
    message: /10\.10\.1\.10/,
  },
  {
    what: 'an unknown network',
    edit: (t) => t.replace('network: db, ip', 'network: nowhere, ip'),
    message: /nowhere/,
  },
  {
    what: 'an unknown group',
    edit: (t) => t.replace('security_groups: [db]', 'security_groups: [nosuch]'),
    message: /nosuch/,
  },
  {
    what: 'a check naming nothing',
    edit: (t) => t.replace('from: web1, to: web2', 'from: ghost, to: web2'),
    message: /ghost/,
  },
];

// Its steps share one applied topology, so it is one test; on a loaded machine it takes minutes.
test('a topology through its life with the CLI (OVS)', { ...rootOnly, timeout: 480_000 }, async (t) => {
  const sb = sandbox(t);
  const ovs = await ovsSandbox(t);
  const host = cliHost(sb, { ovs });
  const name = sb.prefix;
  const file = host.topologyFile('demo.yaml', name);
  const ns = (kind: string, n: string) => `${sb.prefix}-${kind}-${name}.${n}`;
  const ours = async () => (await readdir('/run/netns')).filter((n) => n.startsWith(`${sb.prefix}-`)).sort();
  const hostLinks = async () =>
    (await run(['ip', '-n', ovs.netns, '-o', 'link', 'show'])).stdout.replace(/\s+\\.*$/gm, '');
  const vsctl = (args: string[]) =>
    run(['ovs-vsctl', '--db', `unix:${ovs.socketPath}`, ...args], { check: false });

  await t.test('invalid files: every problem as FILE:LINE:COL, exit 2, nothing changes', async () => {
    const before = { ns: await ours(), links: await hostLinks(), ports: (await vsctl(['show'])).stdout };
    for (const bad of BAD) {
      const f = host.topologyFile('demo.yaml', name, bad.edit, 'bad.yaml');
      for (const verb of bad === BAD[0] ? ['apply', 'plan'] : ['apply']) {
        const r = await host.cli([verb, f]);
        assert.equal(r.exitCode, 2, `${bad.what} (${verb}): exit ${r.exitCode}\n${r.stderr}`);
        const lines = r.stderr.trim().split('\n');
        assert.ok(lines.length >= 1);
        for (const l of lines) assert.match(l, /^\/.*bad\.yaml:\d+:\d+: /, `${bad.what}: ${l}`);
        assert.match(r.stderr, bad.message, bad.what);
      }
    }
    const json = await host.cli([
      'apply',
      host.topologyFile('demo.yaml', name, BAD[3]!.edit, 'bad.yaml'),
      '--json',
    ]);
    assert.equal(json.json<{ exitCode: number }>().exitCode, 2);
    assert.deepEqual(await ours(), before.ns);
    assert.equal(await hostLinks(), before.links);
    assert.equal((await vsctl(['show'])).stdout, before.ports);
    assert.deepEqual(await readdir(host.stateDir).catch(() => []), [], 'nothing recorded');
  });

  await t.test('plan on a clean host, apply, re-apply changes nothing', async () => {
    const plan = await host.cli(['plan', file, '--json']);
    assert.equal(plan.exitCode, 0, plan.stderr);
    const p = plan.json<{ changes: number; operations: { resource: string }[] }>();
    assert.ok(p.changes > 50 && p.operations.length > 0);
    assert.deepEqual(await ours(), [], 'plan changes nothing');
    const human = await host.cli(['plan', file]);
    assert.match(human.stdout, /\+ instance web1/);
    const a = await host.cli(['apply', file, '--json']);
    assert.equal(a.exitCode, 0, a.stderr);
    assert.ok(a.json<{ changes: number }>().changes > 50);
    const b = await host.cli(['apply', file, '--json']);
    assert.equal(b.json<{ changes: number }>().changes, 0, b.stdout);
    const again = await host.cli(['plan', file, '--json']);
    assert.deepEqual(again.json<{ operations: unknown[] }>().operations, []);
  });

  await t.test('status: every resource with its kernel names, healthy; verify passes', async () => {
    const s = await host.cli(['status', file, '--json']);
    assert.equal(s.exitCode, 0, s.stdout);
    const st = s.json<Status>();
    assert.equal(st.healthy, true);
    const web = st.networks.find((n) => n.name === 'web')!;
    assert.equal(web.dhcp?.namespace, ns('qdhcp', 'web'));
    assert.ok(typeof web.dhcp?.pid === 'number' && web.dhcp.healthy);
    const web1 = st.instances.find((i) => i.name === 'web1')!;
    assert.deepEqual(web1.ips, ['10.10.1.10']);
    assert.equal(web1.floatingIp, '172.24.4.20');
    assert.equal(web1.namespace, ns('vm', 'web1'));
    assert.equal(web1.device, 'eth0');
    const r1 = st.routers.find((r) => r.name === 'r1')!;
    assert.equal(r1.ports.length, 3);
    const all = await host.cli(['status']);
    assert.equal(all.exitCode, 0, all.stdout);
    assert.match(all.stdout, new RegExp(`topology ${name}`));
    const v = await host.cli(['verify', file, '--json']);
    assert.equal(v.exitCode, 0, v.stdout);
    assert.equal(v.json<{ failed: number }>().failed, 0);
  });

  await t.test('things deleted by hand are flagged by status and repaired by apply', async () => {
    const before = (await host.cli(['status', file, '--json'])).json<Status>();
    await run(['ip', 'netns', 'del', ns('vm', 'db1')]);
    const web2Port = (
      await vsctl([
        '--bare',
        '--columns=name',
        'find',
        'Port',
        `external_ids:tenantnet-owner=${name}.port.vm_web2`,
      ])
    ).stdout.trim();
    assert.match(web2Port, /^qvo/, 'web2 is plugged hybrid: its switch port is qvo<id>');
    await vsctl(['del-port', 'br-int', web2Port]);
    const save = (await run(['ip', 'netns', 'exec', ovs.netns, 'iptables-save', '-t', 'filter'])).stdout;
    const rule = save.split('\n').find((l) => l.startsWith('-A tn-sg') && l.includes('--dport 80'));
    assert.ok(rule, 'a group rule is there');
    await run(['ip', 'netns', 'exec', ovs.netns, 'iptables', '-D', ...rule!.slice(3).split(' ')]).catch(
      async () => {
        await run(['ip', 'netns', 'exec', ovs.netns, 'sh', '-c', `iptables ${rule!.replace('-A ', '-D ')}`]);
      },
    );
    const pid = before.networks.find((n) => n.name === 'web')!.dhcp!.pid!;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const s = await host.cli(['status', file, '--json']);
    assert.equal(s.exitCode, 1);
    const st = s.json<Status>();
    assert.equal(st.healthy, false);
    assert.match(st.instances.find((i) => i.name === 'db1')!.problems.join('\n'), /missing/);
    assert.match(st.networks.find((n) => n.name === 'web')!.problems.join('\n'), /dnsmasq/);
    assert.equal(st.networks.find((n) => n.name === 'web')!.dhcp!.healthy, false);
    assert.equal(st.firewall.healthy, false);
    const web2 = st.instances.find((i) => i.name === 'web2')!;
    assert.equal(web2.healthy, false, 'the instance whose OVS port went is flagged');
    assert.match(web2.problems.join('\n'), /apply would/);
    const repaired = await host.cli(['apply', file, '--json']);
    assert.equal(repaired.exitCode, 0, repaired.stderr);
    assert.ok(repaired.json<{ changes: number }>().changes > 0);
    const ok = await host.cli(['status', file, '--json']);
    assert.equal(ok.exitCode, 0, ok.stdout);
    assert.notEqual(
      ok.json<Status>().networks.find((n) => n.name === 'web')!.dhcp!.pid,
      pid,
      'dnsmasq restarted',
    );
    const v = await host.cli(['verify', file, '--json']);
    assert.equal(v.json<{ failed: number }>().failed, 0, v.stdout);
  });

  await t.test('incremental edits change only what changed', async () => {
    const bigger = host.topologyFile('demo.yaml', name, (t) =>
      t.replace(
        '  - { name: db1,',
        '  - { name: web3, network: web, security_groups: [web] }\n  - { name: db1,',
      ),
    );
    const plan = (await host.cli(['plan', bigger, '--json'])).json<{ operations: { resource: string }[] }>();
    const touched = [...new Set(plan.operations.map((o) => o.resource.split('/').slice(1).join('/')))].sort();
    assert.deepEqual(
      touched,
      ['dhcp/web', 'host/firewall', 'instance/web3', 'port/vm_web3'],
      touched.join(' '),
    );
    const a = await host.cli(['apply', bigger, '--json']);
    assert.equal(a.exitCode, 0, a.stderr);
    assert.equal((await host.cli(['apply', bigger, '--json'])).json<{ changes: number }>().changes, 0);
    const s = (await host.cli(['status', bigger, '--json'])).json<Status>();
    assert.ok(s.instances.find((i) => i.name === 'web3')?.healthy, 'web3 got its lease');

    const noFip = host.topologyFile('demo.yaml', name, (t) =>
      t
        .replace(/^floating_ips:\n.*\n/m, '')
        .split('\n')
        .filter((l) => !l.includes('fip:web1') && !l.includes('172.24.4.20'))
        .join('\n'),
    );
    const p2 = (await host.cli(['plan', noFip, '--json'])).json<{ operations: { resource: string }[] }>();
    const touched2 = [...new Set(p2.operations.map((o) => o.resource.split('/').slice(1).join('/')))].sort();
    assert.ok(touched2.includes('router/r1') && touched2.includes('instance/web3'), touched2.join(' '));
    assert.ok(
      !touched2.some((r) => r.startsWith('instance/web1') || r.startsWith('instance/db1')),
      touched2.join(' '),
    );
    // Two established flows to web1's port 80: one through the floating IP (cut when it goes), one
    // from db1 (still allowed: it continues).
    const server = spawnIn(ns('vm', 'web1'), ['socat', 'TCP-LISTEN:80,reuseaddr,fork', 'PIPE']);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const viaFip = flow(ns('vm', 'upstream'), '172.24.4.20', 80);
      const direct = flow(ns('vm', 'db1'), '10.10.1.10', 80);
      try {
        assert.ok(await viaFip.roundTrip('before-1'), 'the flow through the floating IP works');
        assert.ok(await direct.roundTrip('before-2'), 'the direct flow works');
        assert.equal((await host.cli(['apply', noFip])).exitCode, 0);
        assert.equal(await viaFip.roundTrip('after-1', 2000), false, 'cut within 2 s of apply returning');
        assert.ok(await direct.roundTrip('after-2'), 'the flow that stays allowed continues');
      } finally {
        viaFip.close();
        direct.close();
      }
    } finally {
      await stop(server);
    }
    const s2 = (await host.cli(['status', noFip, '--json'])).json<Status>();
    assert.equal(s2.instances.find((i) => i.name === 'web1')!.floatingIp, null);
    assert.equal(s2.healthy, true);
    assert.deepEqual(
      (await ours()).filter((n) => n.includes('web3')),
      [],
      'web3, no longer in the file, is removed',
    );
  });

  await t.test(
    'exec runs in the instance, router and DHCP namespaces with the exit code passed through',
    async () => {
      const addr = await host.cli(['exec', 'web1', '--', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
      assert.equal(addr.exitCode, 0, addr.stderr);
      const code = await host.cli(['exec', 'db1', '--', 'sh', '-c', 'exit 3']);
      assert.equal(code.exitCode, 3);
      assert.equal((await host.cli(['exec', 'router:r1', '--', 'true'])).exitCode, 0);
      assert.equal((await host.cli(['exec', 'dhcp:web', '--', 'true'])).exitCode, 0);
      assert.equal((await host.cli(['exec', 'nobody', '--', 'true'])).exitCode, 1);
    },
  );

  await t.test('destroy removes everything of the topology, twice is fine', async () => {
    const d = await host.cli(['destroy', file]);
    assert.equal(d.exitCode, 0, d.stderr);
    assert.deepEqual(await ours(), []);
    assert.doesNotMatch(await hostLinks(), /tenantnet:/);
    assert.equal((await vsctl(['list-ports', 'br-int'])).stdout.trim(), '');
    assert.equal((await host.cli(['destroy', file])).exitCode, 0);
    assert.equal((await host.cli(['status'])).exitCode, 0, 'no topology left to be unhealthy');
  });

  await t.test('cleanup removes a topology without a record and leaves foreign things alone', async () => {
    assert.equal((await host.cli(['apply', file])).exitCode, 0);
    // A crashed run: the record is gone, the kernel state stays.
    await run(['rm', '-rf', `${host.stateDir}/topologies`]);
    const foreignNs = await sb.namespace(`qrouter-${name}.x`);
    await run(['ip', '-n', foreignNs, 'link', 'add', 'foreign0', 'type', 'veth', 'peer', 'name', 'foreign1']);
    const foreignPort = sb.dev('fp');
    await vsctl(['add-port', 'br-int', foreignPort, '--', 'set', 'Interface', foreignPort, 'type=internal']);
    await run([
      'ip',
      'netns',
      'exec',
      ovs.netns,
      'iptables',
      '-A',
      'FORWARD',
      '-m',
      'comment',
      '--comment',
      `${sb.prefix}-foreign`,
      '-j',
      'ACCEPT',
    ]);
    const inHost = (argv: string[]) => run(['ip', 'netns', 'exec', ovs.netns, ...argv], { check: false });
    try {
      // A firewall a crash left with nothing else: chains and a set of a prefix no topology has.
      await inHost(['iptables', '-N', 'tn-sgaaaaaaaa-x']);
      await inHost(['iptables', '-A', 'tn-sgaaaaaaaa-x', '-j', 'RETURN']);
      await inHost(['ipset', 'create', 'sgaaaaaaaa4-x', 'hash:net']);
      const dry = await host.cli(['cleanup', '--dry-run', '--json']);
      assert.equal(dry.exitCode, 0, dry.stderr);
      const d = dry.json<{ topologies: string[]; removed: string[] }>();
      assert.deepEqual(d.topologies, [name]);
      assert.ok(d.removed.length > 5);
      assert.ok(
        (await ours()).some((n) => n.includes('vm-')),
        'a dry run changes nothing',
      );
      const c = await host.cli(['cleanup', '--json']);
      assert.equal(c.exitCode, 0, c.stderr);
      assert.deepEqual(await ours(), [foreignNs], 'only the foreign namespace is left');
      assert.match((await vsctl(['list-ports', 'br-int'])).stdout, new RegExp(foreignPort));
      assert.match(
        (await run(['ip', 'netns', 'exec', ovs.netns, 'iptables-save'])).stdout,
        new RegExp(`${sb.prefix}-foreign`),
      );
      assert.doesNotMatch(await hostLinks(), /tenantnet:/);
      assert.doesNotMatch(
        (await inHost(['iptables-save'])).stdout,
        /tn-sgaaaaaaaa-/,
        'the orphan chains are gone',
      );
      assert.doesNotMatch(
        (await inHost(['ipset', 'list', '-n'])).stdout,
        /sgaaaaaaaa/,
        'the orphan set is gone',
      );
    } finally {
      // Foreign things are the test's to remove, whatever happened.
      await vsctl(['--if-exists', 'del-port', 'br-int', foreignPort]);
      await inHost([
        'iptables',
        '-D',
        'FORWARD',
        '-m',
        'comment',
        '--comment',
        `${sb.prefix}-foreign`,
        '-j',
        'ACCEPT',
      ]);
      await inHost(['iptables', '-F', 'tn-sgaaaaaaaa-x']);
      await inHost(['iptables', '-X', 'tn-sgaaaaaaaa-x']);
      await inHost(['ipset', 'destroy', 'sgaaaaaaaa4-x']);
    }
    assert.equal((await host.cli(['cleanup', '--json'])).json<{ removed: string[] }>().removed.length, 0);
  });
});
