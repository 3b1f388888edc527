/**
 * Benchmark: one network's DHCP server with N ports (instances), on a private Open vSwitch (netdev):
 *   enable     from nothing: namespace, OVS internal port moved in, addresses and route, dnsmasq's
 *              files, dnsmasq started
 *   re-apply   the same network again (must send nothing: no file written, dnsmasq untouched)
 *   reload     one port added (files rewritten once, one SIGHUP to the same dnsmasq)
 * against a floor written by hand in the same run: one OVSDB transaction for the port, `ip -batch`
 * for the namespace (sysctls, link, address, route), the files written directly, one dnsmasq started with the same arguments; the
 * floor's reload writes the two files and sends SIGHUP. (`ip -batch` here: one in the root namespace
 * for `netns add`, one in the simulated host for the move, one inside the new namespace.) Prints medians of the rounds, the ratios,
 * and what each way sent (processes spawned, files written, signals).
 *
 *   node --import tsx bench/dhcp.ts [--json] [--n 200] [--rounds 3]
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addnHostsFile,
  dhcpPaths,
  dnsmasqArgv,
  hostsFile,
  leasesSeed,
  optsFile,
} from '../src/dhcp/config.js';
import { dhcpNetworkFromModel } from '../src/dhcp/from-model.js';
import { dhcpLayout } from '../src/dhcp/layout.js';
import { observeDhcp } from '../src/dhcp/observe.js';
import { planDhcp } from '../src/dhcp/plan.js';
import type { DhcpNetwork } from '../src/dhcp/types.js';
import { dhcpNetwork } from '../src/dhcp/validate.js';
import { disableDhcp, enableDhcp } from '../src/dhcp/verbs.js';
import { readPidfile } from '../src/exec/pidfile.js';
import { run } from '../src/exec/run.js';
import { OvsInterfaceDriver } from '../src/interface/ovs.js';
import { closeIpBatches } from '../src/ip/executor.js';
import { buildModel } from '../src/model/build.js';
import type { InstanceInput, TopologyInput } from '../src/model/types.js';
import { OvsBridge } from '../src/ovs/bridge.js';
import { Ovs } from '../src/ovs/ovs.js';
import { OvsdbClient } from '../src/ovs/ovsdb/client.js';
import { countingExecutors, type ExecutorCounts } from '../src/reconcile/counting.js';
import { Observation } from '../src/reconcile/observation.js';
import { realExecutors } from '../src/reconcile/real-executors.js';
import { OvsSandbox } from '../test/fakes/ovs-sandbox.js';
import { benchArgs, median, ms, ratioLine, report, table, timed } from './harness.js';

const args = benchArgs({ rounds: 3 });
const N = args.num('n', 200);

type Step = 'enable' | 'reapply' | 'reload';
interface Sent {
  processes: number;
  fileWrites: number;
  signals: number;
  ipWriteCalls: number;
  ovsWrites: number;
}

function sent(c: ExecutorCounts): Sent {
  return {
    processes: c.processes.runs + c.processes.spawns,
    fileWrites: c.files.writes,
    signals: c.processes.signals,
    ipWriteCalls: c.ip.writeCalls,
    ovsWrites: c.ovs.writeTransactions,
  };
}

function topology(name: string, n: number): TopologyInput {
  const instances: InstanceInput[] = Array.from({ length: n }, (_, i) => ({
    name: `vm${i}`,
    network: 'web',
    ip: `10.63.${(i + 10) >> 8}.${(i + 10) & 255}`,
  }));
  return { name, networks: [{ name: 'web', cidr: '10.63.0.0/22' }], instances };
}

async function main(): Promise<void> {
  const sandbox = await OvsSandbox.start();
  const client = await OvsdbClient.connect({ socketPath: sandbox.socketPath });
  const sw = new Ovs(client, { owner: 'tenantnet', datapathType: 'netdev' });
  const br = sandbox.name('int');
  await new OvsBridge(sw, br).create({ datapathType: 'netdev', failMode: 'standalone' });
  const driver = new OvsInterfaceDriver({ integrationBridge: br });
  const stateDir = mkdtempSync(join(tmpdir(), 'tn-bench-dhcp-'));
  chmodSync(stateDir, 0o755);
  const prefix = `b${sandbox.prefix.slice(1)}-`;
  const real = realExecutors({ hostNamespace: sandbox.netns, netnsPrefix: prefix, stateDir });
  const x = { ...real, ovs: async () => sw };
  const counting = countingExecutors(x);
  const times: Record<Step | 'reloadPlan' | 'floorEnable' | 'floorReload', number>[] = [];
  const counts: Partial<Record<Step, Sent>> = {};
  const floorSent = { processes: 0, fileWrites: 0, signals: 0 };

  try {
    for (let r = 0; r < args.rounds; r++) {
      // tenantnet
      const name = `bench${r}`;
      const net = dhcpNetworkFromModel(buildModel(topology(name, N)), 'web');
      const plus = dhcpNetworkFromModel(buildModel(topology(name, N + 1)), 'web');
      const opts = { executors: counting.executors, driver };
      const row = {} as (typeof times)[number];
      const planOnly = async (desired: DhcpNetwork) => {
        const obs = new Observation(counting.executors);
        planDhcp(desired, await observeDhcp(desired, obs, { driver }), { driver });
      };
      for (const [step, desired] of [
        ['enable', net],
        ['reapply', net],
        ['reload', plus],
      ] as const) {
        if (step === 'reload') row.reloadPlan = await timed(() => planOnly(desired));
        counting.reset();
        row[step] = await timed(() => enableDhcp(desired, opts));
        counts[step] = sent(counting.counts);
      }
      await disableDhcp(plus, { executors: x, driver });

      // the floor, by hand
      const floor = await floorRound(sandbox, sw, br, stateDir, `${prefix}f${r}`, net, plus, floorSent);
      row.floorEnable = floor.enable;
      row.floorReload = floor.reload;
      times.push(row);
    }
  } finally {
    await new OvsBridge(sw, br).destroy().catch(() => {});
    client.close();
    await real.close();
    await closeIpBatches();
    await sandbox.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }

  const m = (k: keyof (typeof times)[number]) => median(times.map((t) => t[k]));
  const figures = {
    n: N,
    rounds: args.rounds,
    ms: {
      enable: m('enable'),
      floorEnable: m('floorEnable'),
      reapply: m('reapply'),
      reload: m('reload'),
      reloadObserveAndPlan: m('reloadPlan'),
      floorReload: m('floorReload'),
    },
    ratios: { enable: m('enable') / m('floorEnable'), reload: m('reload') / m('floorReload') },
    sent: counts,
    floorSentPerRound: {
      processes: floorSent.processes / args.rounds,
      fileWrites: floorSent.fileWrites / args.rounds,
      signals: floorSent.signals / args.rounds,
    },
  };
  report(args, figures, () =>
    [
      `DHCP, one network with N=${N} ports, private OVS (netdev), median of ${args.rounds} rounds`,
      table(
        [
          'step',
          'tenantnet',
          'floor',
          'processes',
          'files written',
          'signals',
          'ip write calls',
          'OVSDB writes',
        ],
        (['enable', 'reapply', 'reload'] as const).map((s) => [
          s,
          ms(figures.ms[s]),
          s === 'enable' ? ms(figures.ms.floorEnable) : s === 'reload' ? ms(figures.ms.floorReload) : '-',
          String(counts[s]?.processes),
          String(counts[s]?.fileWrites),
          String(counts[s]?.signals),
          String(counts[s]?.ipWriteCalls),
          String(counts[s]?.ovsWrites),
        ]),
      ),
      `reload: observe + plan ${ms(figures.ms.reloadObserveAndPlan)} (what the floor does not do), the rest is the apply (lock, 2 atomic file writes with fsync, SIGHUP)`,
      `floor per round: ${figures.floorSentPerRound.processes} processes (3 ip -batch, 1 dnsmasq), ${figures.floorSentPerRound.fileWrites} file writes, ${figures.floorSentPerRound.signals} signal`,
      ratioLine('enable vs floor', figures.ratios.enable, '<= 1.5x'),
      ratioLine('reload vs floor', figures.ratios.reload, '<= 2x'),
    ].join('\n'),
  );
}

/** The same enable and reload written by hand: the least any tool must do. */
async function floorRound(
  sandbox: OvsSandbox,
  sw: Ovs,
  br: string,
  stateDir: string,
  ns: string,
  net: DhcpNetwork,
  plus: DhcpNetwork,
  tally: { processes: number; fileWrites: number; signals: number },
): Promise<{ enable: number; reload: number }> {
  const valid = dhcpNetwork(net);
  // Same names and files as tenantnet's, under the floor's own namespace.
  const layout = dhcpLayout(
    valid,
    { namespace: null, netnsPrefix: '' as never, stateDir },
    { driver: { kind: 'ovs' } as never },
  );
  const dev = layout.device;
  const paths = dhcpPaths(stateDir, ns);
  const argv = dnsmasqArgv(valid, paths, dev);
  const cidr = `${valid.port.fixedIps[0]!.address}/22`;
  const batch = (where: string[], lines: string[]) =>
    run(['ip', ...where, '-batch', '-'], { input: `${lines.join('\n')}\n` });
  const enable = await timed(async () => {
    await new OvsBridge(sw, br).addPort({
      name: dev,
      type: 'internal',
      externalIds: { 'iface-id': valid.port.id, 'attached-mac': valid.port.mac, 'iface-status': 'active' },
      tag: 1,
    });
    // `netns add` in the root namespace (made from inside another, its mount would stay private to
    // that ip's mount namespace); the move where vswitchd made the device (the simulated host); the
    // rest inside the new namespace. On a real host the first two are one batch.
    await batch([], [`netns add ${ns}`]);
    await batch(['-n', sandbox.netns], [`link set dev ${dev} netns ${ns}`]);
    await batch(
      ['-n', ns],
      [
        `netns exec ${ns} sysctl -q -w net.ipv4.ip_nonlocal_bind=1 net.ipv6.conf.default.accept_ra=0`,
        'link set dev lo up',
        `link set dev ${dev} address ${valid.port.mac} mtu 1500 up`,
        `addr add ${cidr} dev ${dev}`,
        `route replace default via 10.63.0.1 dev ${dev}`,
      ],
    );
    mkdirSync(paths.dir, { recursive: true, mode: 0o755 });
    writeFileSync(paths.host, hostsFile(valid));
    writeFileSync(paths.addnHosts, addnHostsFile(valid));
    writeFileSync(paths.opts, optsFile(valid));
    writeFileSync(paths.leases, leasesSeed(valid, Date.now()));
    await run(['nsenter', `--net=/run/netns/${ns}`, ...argv]);
  });
  tally.processes += 4;
  tally.fileWrites += 4;
  const pid = (await readPidfile(paths.pid))!;
  const more = dhcpNetwork(plus);
  const reload = await timed(async () => {
    writeFileSync(paths.host, hostsFile(more));
    writeFileSync(paths.addnHosts, addnHostsFile(more));
    process.kill(pid, 'SIGHUP');
  });
  tally.fileWrites += 2;
  tally.signals += 1;
  // Teardown, untimed.
  process.kill(pid, 'SIGKILL');
  await new OvsBridge(sw, br).deletePort(dev);
  await run(['ip', 'netns', 'del', ns]);
  rmSync(paths.dir, { recursive: true, force: true });
  return { enable, reload };
}

await main();
