import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError } from '../../src/errors.js';
import type { FirewallDesired } from '../../src/firewall/desired.js';
import { hostileString, hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { Lab } from './firewall-helpers.js';

describe('hostile input to the firewall (real kernel)', rootOnly, () => {
  test('hostile strings at every string of the desired state are refused before anything runs; the host and the simulated host do not change', async (t) => {
    const sb = sandbox(t);
    const lab = await Lab.create(sb, {
      networks: [{ name: 'n1', cidr: '10.65.1.0/24', dhcp: false }],
      securityGroups: [
        { name: 'g', rules: [{ direction: 'ingress', protocol: 'tcp', port: 22 }, { direction: 'egress' }] },
      ],
      instances: [
        {
          name: 'a',
          network: 'n1',
          ip: '10.65.1.10',
          securityGroups: ['g'],
          allowedAddressPairs: [{ ip: '10.65.1.99' }],
        },
      ],
    });
    const d = lab.desired();
    await lab.firewall(d);
    const host = await hostSnapshot();
    const rules = async () => (await lab.save()).split('\n').filter((l) => !l.startsWith('#'));
    const simulated = await rules();
    const p = d.ports[0]!;
    const g = d.securityGroups[0]!;
    const at: ((v: string) => FirewallDesired)[] = [
      (v) => ({ ...d, topology: v as never }),
      (v) => ({ ...d, ports: [{ ...p, owner: { ...p.owner, name: v as never } }] }),
      (v) => ({ ...d, ports: [{ ...p, mac: v as never }] }),
      (v) => ({ ...d, ports: [{ ...p, fixedIps: [v as never] }] }),
      (v) => ({ ...d, ports: [{ ...p, allowedAddressPairs: [{ cidr: v as never, mac: p.mac }] }] }),
      (v) => ({
        ...d,
        ports: [{ ...p, allowedAddressPairs: [{ cidr: p.allowedAddressPairs[0]!.cidr, mac: v as never }] }],
      }),
      (v) => ({ ...d, ports: [{ ...p, securityGroups: [v as never] }] }),
      (v) => ({ ...d, ports: [{ ...p, network: { ...p.network, name: v as never } }] }),
      (v) => ({ ...d, ports: [{ ...p, hook: { ...p.hook, device: v as never } }] }),
      (v) => ({ ...d, ports: [{ ...p, hook: { ...p.hook, bridge: v as never } }] }),
      (v) => ({ ...d, ports: [{ ...p, dhcp: { addresses: [v as never], mac: p.mac } }] }),
      (v) => ({ ...d, securityGroups: [{ ...g, name: v as never }] }),
      (v) => ({ ...d, securityGroups: [{ ...g, members: { 4: [v as never], 6: [] } }] }),
      (v) => ({ ...d, securityGroups: [{ ...g, rules: [{ ...g.rules[0]!, protocol: v }] }] }),
      (v) => ({ ...d, securityGroups: [{ ...g, rules: [{ ...g.rules[0]!, remoteIp: v as never }] }] }),
      (v) => ({ ...d, securityGroups: [{ ...g, rules: [{ ...g.rules[0]!, remoteGroup: v as never }] }] }),
    ];
    await fc.assert(
      fc.asyncProperty(hostileString(), fc.integer({ min: 0, max: at.length - 1 }), async (v, i) => {
        try {
          await lab.firewall((at[i] as (v: string) => FirewallDesired)(v));
        } catch (e) {
          assert.ok(e instanceof InvalidInputError, `${String(e)} for ${JSON.stringify(v)} at ${i}`);
          return;
        }
        // A hostile string that is a valid value (a protocol number) applied a valid firewall: put it back.
        await lab.firewall(d);
      }),
      { numRuns: 40 },
    );
    assert.deepEqual(snapshotDiff(host, await hostSnapshot()), []);
    assert.deepEqual(await rules(), simulated);
  });
});
