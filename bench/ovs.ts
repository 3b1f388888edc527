/**
 * Benchmark: add N ports with external_ids (VIF ports: iface-id, attached-mac, dead VLAN) to a
 * bridge, list the VIF ports, delete them; three ways in one run against a private OVS:
 *   tenantnet  one OVSDB transaction per step (native client)
 *   naive      one `ovs-vsctl` per port (as a per-call CLI wrapper would do)
 *   cli-floor  one `ovs-vsctl` call with all commands joined by `--`
 * Prints medians of the rounds and ratios. `--json` prints JSON; `--n=N`, `--rounds=R`.
 *
 *   node --import tsx bench/ovs.ts [--json] [--n=200] [--rounds=3]
 */
import { run } from '../src/exec/run.js';
import { OvsBridge } from '../src/ovs/bridge.js';
import { Ovs } from '../src/ovs/ovs.js';
import { OvsdbClient } from '../src/ovs/ovsdb/client.js';
import { OvsSandbox } from '../test/fakes/ovs-sandbox.js';
import { benchArgs, median, timed } from './harness.js';

const args = benchArgs({ rounds: 3 });
const N = args.num('n', 200);
const ROUNDS = Math.max(3, args.rounds);
const JSON_OUT = args.json;
// Default: the ports' devices exist beforehand (as a VM's tap does when Nova plugs it), so the
// figures measure the control plane. With --internal, OVS creates and destroys a tap per port and
// the kernel's ~17 ms per device deletion dominates every way alike.
const INTERNAL = args.flag('internal');
// With --no-wait every way returns once ovsdb-server has committed (tenantnet: waitForVswitchd
// false; ovs-vsctl: --no-wait): the control plane's own cost. vswitchd is then synced, untimed,
// before the next phase, so no way inherits another's backlog.
const NO_WAIT = args.flag('no-wait');
const vsctlWait = NO_WAIT ? ['--no-wait'] : [];

type Phase = 'add' | 'list' | 'delete';
type Timing = Record<Phase | 'total', number>;

function vifs(ovs: OvsSandbox, round: number) {
  return Array.from({ length: N }, (_, i) => ({
    name: ovs.name(`p${i}`),
    ifaceId: `port-${round}-${i}`,
    type: INTERNAL ? ('internal' as const) : ('system' as const),
    mac: `fa:16:3e:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
  }));
}

function vsctlAdd(br: string, v: { name: string; ifaceId: string; mac: string; type: string }): string[] {
  // The same work as tenantnet's addVifPorts: an internal port only with --internal, otherwise the
  // existing tap as a plain (system) port; on the dead VLAN as Neutron makes it (tag, trunk mode, trunks).
  // biome-ignore format: one ovs-vsctl command per line reads better
  return [
    'add-port',
    br,
    v.name,
    '--',
    'set',
    'Interface',
    v.name,
    `type=${v.type === 'internal' ? 'internal' : '""'}`,
    `external_ids:iface-id=${v.ifaceId}`,
    `external_ids:attached-mac=${v.mac}`,
    'external_ids:iface-status=active',
    '--',
    'set',
    'Port',
    v.name,
    'tag=4095',
    'vlan_mode=trunk',
    'trunks=4095',
  ];
}

async function vsctlList(ovs: OvsSandbox, br: string): Promise<number> {
  const ports = (await ovs.vsctl(['list-ports', br])).trim().split('\n').filter(Boolean);
  if (ports.length === 0) return 0;
  const out = JSON.parse(
    await ovs.vsctl(['--format=json', '--columns=name,ofport,external_ids', 'list', 'Interface', ...ports]),
  ) as { data: unknown[][] };
  return out.data.filter((r) => JSON.stringify(r[2]).includes('"attached-mac"')).length;
}

async function main() {
  const ovs = await OvsSandbox.start();
  const client = await OvsdbClient.connect({ socketPath: ovs.socketPath });
  const sw = new Ovs(client, {
    datapathType: 'netdev',
    owner: 'bench',
    ...(NO_WAIT ? { waitForVswitchd: false } : {}),
  });
  // Untimed pause before each delete and between ways: vswitchd finishes setting up new ports'
  // receive queues after it reports cur_cfg; every way gets the same pause.
  let syncs = 0;
  const settle = async () => {
    await new Promise((r) => setTimeout(r, 500));
    // A real change makes ovs-vsctl wait until vswitchd has caught up with everything before it.
    if (NO_WAIT) await ovs.vsctl(['set', 'Open_vSwitch', '.', `external_ids:bench-sync=${++syncs}`]);
  };
  const br = new OvsBridge(sw, ovs.name('bench'));
  const results: Record<string, Timing[]> = { tenantnet: [], naive: [], 'cli-floor': [] };
  try {
    await br.create();
    const names = vifs(ovs, 0).map((x) => x.name);
    if (!INTERNAL) {
      await run(['ip', '-n', ovs.netns, '-batch', '-'], {
        input: names.map((n) => `tuntap add mode tap name ${n}\nlink set ${n} up\n`).join(''),
      });
    }
    // Each method leaves vswitchd with work that can spill into the next phase (closing 200 taps
    // takes seconds), so a fixed order would flatter whichever comes after the slowest. The order
    // rotates per round: over 3 rounds every method runs first, second and third once.
    const methods: Record<string, (v: ReturnType<typeof vifs>) => Promise<Timing>> = {
      tenantnet: async (v) => {
        const t: Partial<Timing> = {};
        t.add = await timed(() => br.addVifPorts(v));
        let n = 0;
        t.list = await timed(async () => {
          n = (await br.listVifPorts()).length;
        });
        await settle();
        t.delete = await timed(() => br.deleteVifPorts());
        if (n !== N) throw new Error(`tenantnet listed ${n} VIF ports, expected ${N}`);
        return { ...(t as Timing), total: t.add + t.list + t.delete };
      },
      naive: async (v) => {
        const t: Partial<Timing> = {};
        t.add = await timed(async () => {
          for (const x of v) await ovs.vsctl([...vsctlWait, ...vsctlAdd(br.name, x)]);
        });
        let n = 0;
        t.list = await timed(async () => {
          n = await vsctlList(ovs, br.name);
        });
        await settle();
        t.delete = await timed(async () => {
          for (const x of v) await ovs.vsctl([...vsctlWait, 'del-port', br.name, x.name]);
        });
        if (n !== N) throw new Error(`naive listed ${n} VIF ports, expected ${N}`);
        return { ...(t as Timing), total: t.add + t.list + t.delete };
      },
      'cli-floor': async (v) => {
        const t: Partial<Timing> = {};
        t.add = await timed(() =>
          ovs.vsctl([...vsctlWait, ...v.flatMap((x, i) => [...(i ? ['--'] : []), ...vsctlAdd(br.name, x)])]),
        );
        let n = 0;
        t.list = await timed(async () => {
          n = await vsctlList(ovs, br.name);
        });
        await settle();
        t.delete = await timed(() =>
          ovs.vsctl([
            ...vsctlWait,
            ...v.flatMap((x, i) => [...(i ? ['--'] : []), 'del-port', br.name, x.name]),
          ]),
        );
        if (n !== N) throw new Error(`cli-floor listed ${n} VIF ports, expected ${N}`);
        return { ...(t as Timing), total: t.add + t.list + t.delete };
      },
    };
    const order = Object.keys(methods);
    for (let round = 0; round < ROUNDS; round++) {
      const v = vifs(ovs, round);
      for (let k = 0; k < order.length; k++) {
        const way = order[(k + round) % order.length]!;
        results[way]!.push(await methods[way]!(v));
        await settle();
      }
    }
  } finally {
    await br.destroy().catch(() => {});
    if (!INTERNAL) {
      await run(['ip', '-n', ovs.netns, '-batch', '-'], {
        input: vifs(ovs, 0)
          .map((x) => `link del ${x.name}\n`)
          .join(''),
        check: false,
      });
    }
    client.close();
    await ovs.stopChecked();
  }
  const med: Record<string, Timing> = {};
  for (const [way, ts] of Object.entries(results)) {
    med[way] = {
      add: median(ts.map((t) => t.add)),
      list: median(ts.map((t) => t.list)),
      delete: median(ts.map((t) => t.delete)),
      total: median(ts.map((t) => t.total)),
    };
  }
  const tn = med.tenantnet!.total;
  // The delete step is dominated by vswitchd closing each port's device (~12 ms a port, paid by every
  // way alike, and bimodal from round to round), so the add+list ratios are shown as well: they are
  // the control-plane cost this library changes.
  const cp = (w: string) => med[w]!.add + med[w]!.list;
  const ratios = {
    naiveOverTenantnet: med.naive!.total / tn,
    cliFloorOverTenantnet: med['cli-floor']!.total / tn,
    addListNaiveOverTenantnet: cp('naive') / cp('tenantnet'),
    addListCliFloorOverTenantnet: cp('cli-floor') / cp('tenantnet'),
  };
  if (JSON_OUT) {
    console.log(
      JSON.stringify(
        {
          n: N,
          rounds: ROUNDS,
          internal: INTERNAL,
          noWait: NO_WAIT,
          medianMs: med,
          ratios,
          roundsMs: results,
        },
        null,
        2,
      ),
    );
    return;
  }
  console.log(
    `OVS benchmark: N=${N} VIF ports (${INTERNAL ? 'internal: OVS makes the taps' : 'existing tap devices'}), ${ROUNDS} rounds, medians in ms (private OVS, netdev, ${NO_WAIT ? 'acknowledged by ovsdb-server, vswitchd synced between phases untimed' : 'each write waits for vswitchd'})`,
  );
  console.log('way          add       list     delete     total');
  for (const [way, m] of Object.entries(med)) {
    console.log(
      `${way.padEnd(10)} ${[m.add, m.list, m.delete, m.total].map((x) => x.toFixed(1).padStart(9)).join(' ')}`,
    );
  }
  console.log(`tenantnet is ${ratios.naiveOverTenantnet.toFixed(1)}x faster than naive (target >= 20x)`);
  console.log(
    `tenantnet is ${ratios.cliFloorOverTenantnet.toFixed(2)}x faster than the CLI floor (target > 1x)`,
  );
  console.log(
    `add+list only: ${ratios.addListNaiveOverTenantnet.toFixed(1)}x vs naive, ${ratios.addListCliFloorOverTenantnet.toFixed(2)}x vs the CLI floor`,
  );
  for (const [way, ts] of Object.entries(results)) {
    console.log(`${way} delete per round (ms): ${ts.map((t) => t.delete.toFixed(0)).join(', ')}`);
  }
}

await main();
