import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { closeIpBatches } from '../../src/ip/executor.js';
import { usePrivateOvs } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { echo, echoServers, eventually, Lab, type LabInput } from './firewall-helpers.js';

const priv = usePrivateOvs({ datapathType: 'netdev' });

after(() => closeIpBatches());

describe(
  'security groups on OVS through the hybrid plug (tap in qbr, qvb-qvo to the switch)',
  rootOnly,
  () => {
    test('default deny, ICMP and one TCP port admitted by rules, conntrack zone on the qbr; removal leaves nothing', async (t) => {
      const sb = sandbox(t);
      const input = (rules: NonNullable<LabInput['securityGroups']>[number]['rules']): LabInput => ({
        networks: [{ name: 'n1', cidr: '10.64.1.0/24', dhcp: false }],
        securityGroups: [{ name: 'g', rules }],
        instances: [
          { name: 'a', network: 'n1', ip: '10.64.1.10', securityGroups: ['g'] },
          { name: 'b', network: 'n1', ip: '10.64.1.11', securityGroups: ['g'] },
        ],
      });
      const lab = await Lab.create(sb, input([{ direction: 'egress' }]), { ovs: priv });
      assert.equal(await sb.ping(lab.ns('a'), lab.ip('b'), 3), true, 'the hybrid plug carries traffic');
      await echoServers(sb, lab.ns('b'), [5000, 5001]);
      await lab.firewall(lab.desired());
      assert.equal(await sb.ping(lab.ns('a'), lab.ip('b')), false, 'default deny');

      await lab.update(
        input([
          { direction: 'egress' },
          { direction: 'ingress', protocol: 'icmp' },
          { direction: 'ingress', protocol: 'tcp', port: 5000 },
        ]),
      );
      await lab.firewall(lab.desired());
      const [ping, tcp, closed] = await Promise.all([
        sb.ping(lab.ns('a'), lab.ip('b'), 2),
        eventually(() => echo(lab.ns('a'), 'TCP', lab.ip('b'), 5000)),
        echo(lab.ns('a'), 'TCP', lab.ip('b'), 5001),
      ]);
      assert.deepEqual({ ping, tcp, closed }, { ping: true, tcp: true, closed: false });
      const zones = await run(['conntrack', '-L', '-p', 'tcp', '--dport', '5000'], {
        namespace: lab.host,
        check: false,
      });
      assert.match(zones.stdout, /zone=\d+/, 'the flow is tracked in its network zone');
      const raw = await run(['iptables-save', '-t', 'raw'], { namespace: lab.host });
      assert.match(raw.stdout, /-i qbr\S+ .*-j CT --zone \d+/);

      await lab.firewall(null);
      const left = (await lab.save()).split('\n').filter((l) => /tn-|tenantnet/.test(l));
      assert.deepEqual(left, []);
      assert.deepEqual(
        await lab.firewall(lab.desired()).then((r) => r.changes.length),
        1,
        'and it comes back',
      );
    });
  },
);
