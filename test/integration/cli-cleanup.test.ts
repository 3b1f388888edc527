// `tenantnet exec` reaches instances, routers and DHCP namespaces of an applied topology with the
// exit code passed through; then `tenantnet cleanup` removes a topology whose record is gone (a
// crashed run), and a firewall a crash left with nothing else, while a foreign namespace of the
// scheme's look, a foreign OVS port and a foreign iptables rule stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { ovsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { demoHost } from './cli-topology-helpers.js';

test('exec, then cleanup of what no recorded topology wants and nothing else (OVS)', {
  ...rootOnly,
  timeout: 240000,
}, async (t) => {
  const sb = sandbox(t);
  const ovs = await ovsSandbox(t);
  const d = demoHost(sb, ovs);
  const { host, name, file, ours, hostLinks, vsctl } = d;
  assert.equal((await host.cli(['apply', file])).exitCode, 0);
  const all = await host.cli(['status']);
  assert.equal(all.exitCode, 0, all.stdout);
  assert.match(
    all.stdout,
    new RegExp(`topology ${name} \\(ovs\\): healthy`),
    'status without FILE: every applied topology',
  );

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

  await t.test('cleanup removes a topology without a record and leaves foreign things alone', async () => {
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
