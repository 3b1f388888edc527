// `tenantnet agent --host H --store URL --vtep ADDRESS`: the long-running agent of one host. It runs
// in the foreground (systemd's Type=simple), logs one line per event on stderr (JSON lines with
// --json), keeps its lease on SIGTERM and SIGINT, and with --withdraw decommissions the host instead.
// Neutron: neutron-linuxbridge-agent (with the DHCP and L3 agents of the host folded in).
import { join } from 'node:path';
import { Agent, streamLog, withdrawHost } from '../../agent/index.js';
import { InvalidInputError } from '../../errors.js';
import { bridgeBatchExecutor, closeBridgeBatches } from '../../ip/index.js';
import { realExecutors } from '../../reconcile/index.js';
import { defineCommand } from '../command.js';
import { version } from '../version.js';

function intOption(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[0-9]{1,9}$/.test(v) || n < min || n > max) {
    throw new InvalidInputError(`${name}: ${JSON.stringify(v)} is not a number from ${min} to ${max}`, name);
  }
  return n;
}

/** `tenantnet agent`: runs until SIGTERM/SIGINT (exit 0); `--withdraw` exits once the host is withdrawn. */
export const command = defineCommand({
  name: 'agent',
  summary: 'run the agent of one host of a many-host store (foreground)',
  description:
    "Watches this host's slices in the etcd store and converges the host to them (the same planners as " +
    'apply, plus a VXLAN overlay with l2pop), publishes its ports and status under a lease, re-observes ' +
    'the kernel every 30 s and on link changes. SIGTERM keeps the lease (a restart within its TTL changes ' +
    "nothing on the other hosts); --withdraw revokes it and removes the host's keys.",
  order: 80,
  define: (c) =>
    c
      .requiredOption('--host <name>', "this host's name ([a-z0-9-], 1-32)")
      .requiredOption('--store <url>', 'the etcd store (etcd://host:port[,host:port…])')
      .option('--store-prefix <prefix>', 'the key prefix in the store (default /tenantnet/v1/)')
      .option('--vtep <address>', "this host's VXLAN tunnel endpoint (an address of the host)")
      .option(
        '--lease-ttl <seconds>',
        "lease TTL: how long peers keep this host's entries after it dies",
        '15',
      )
      .option('--resync-interval <seconds>', 're-observe the kernel this often', '30')
      .option('--withdraw', 'decommission the host: revoke its lease and remove its keys, then exit'),
  async run({ options, globals }, out) {
    const store = {
      url: options.store,
      ...(options.storePrefix !== undefined ? { prefix: options.storePrefix } : {}),
    };
    if (options.withdraw) {
      const r = await withdrawHost({ host: options.host, store, stateDir: globals.stateDir });
      out.result(
        { host: options.host, ...r },
        (x) =>
          `${x.host}: withdrawn (${x.lease ? `lease ${x.lease} revoked` : 'no live lease'}, ${x.statuses} status key(s) removed)`,
      );
      return 0;
    }
    if (options.vtep === undefined)
      throw new InvalidInputError("--vtep: required (the host's VXLAN tunnel endpoint)", '--vtep');
    const leaseTtl = intOption(options.leaseTtl, '--lease-ttl', 2, 3600)!;
    const resync = intOption(options.resyncInterval, '--resync-interval', 1, 86400)!;
    const log = streamLog(
      options.host,
      globals.json,
      (l) => process.stderr.write(l),
      globals.logLevel === 'debug',
    );
    const x = realExecutors({
      hostNamespace: globals.hostNetns,
      netnsPrefix: globals.netnsPrefix,
      stateDir: globals.stateDir,
      // Many hosts run the Linux bridge backend only: no switch is ever asked.
      ovsdbSocket: join(globals.stateDir, 'no-ovsdb.sock'),
    });
    let agent: Agent;
    try {
      agent = await Agent.start({
        host: options.host,
        store,
        vtep: options.vtep,
        leaseTtl,
        executors: x,
        bridge: bridgeBatchExecutor,
        resyncIntervalMs: resync * 1000,
        version: version(),
        log,
      });
    } catch (e) {
      await x.close();
      await closeBridgeBatches();
      throw e;
    }
    log.write('info', 'running', { pid: process.pid, vtep: options.vtep, lease: leaseTtl });
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    log.write('info', 'stopping (the lease is kept)', { signal });
    await agent.stop();
    await x.close();
    await closeBridgeBatches();
    return 0;
  },
});
