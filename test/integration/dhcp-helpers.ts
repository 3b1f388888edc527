// Helpers of the DHCP integration tests: real executors on a simulated host (a sandbox namespace, or
// the private OVS's namespace), a world-readable state directory, and VM namespaces plugged through
// the interface driver that run the real busybox udhcpc.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DhcpLease, runDhcpClient, udhcpcScript } from '../../src/dhcp/client.js';
import { readCmdline } from '../../src/exec/proc.js';
import { run } from '../../src/exec/run.js';
import type { InterfaceDriver, PlugRequest, PlugStyle } from '../../src/interface/driver.js';
import type { Model } from '../../src/model/types.js';
import { deviceFor, namespaceFor } from '../../src/net/naming.js';
import type { Owner } from '../../src/net/ownership.js';
import { type DeviceName, deviceName, type Mac } from '../../src/net/types.js';
import type { Ovs } from '../../src/ovs/ovs.js';
import { applyChanges } from '../../src/reconcile/apply.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { Observation } from '../../src/reconcile/observation.js';
import { type RealExecutors, realExecutors } from '../../src/reconcile/real-executors.js';
import type { Change } from '../../src/reconcile/step.js';
import type { Sandbox } from '../helpers/sandbox.js';

/** Real executors whose host is `hostNs`, netns prefix `<sandbox>-`, a fresh state dir (removed after). */
export function dhcpExecutors(sb: Sandbox, hostNs: string, sw?: Ovs): RealExecutors {
  // dnsmasq re-reads its files as `nobody`: every directory on the way must be traversable.
  const stateDir = mkdtempSync(join(tmpdir(), `tn-dhcp-${sb.prefix}-`));
  chmodSync(stateDir, 0o755);
  const x = realExecutors({ hostNamespace: hostNs, netnsPrefix: `${sb.prefix}-`, stateDir });
  const bundle: RealExecutors = sw ? { ...x, ovs: async () => sw } : x;
  // Deferred through the sandbox: after everything registered later, before its leak check.
  sb.defer(async () => {
    await x.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return bundle;
}

/** Applies changes; throws the first failure. */
export async function applyAll(x: Executors, changes: readonly Change[]): Promise<number> {
  const r = await applyChanges(changes, x);
  const failed = r.outcomes.find((o) => o.status === 'failed');
  if (failed?.status === 'failed') throw failed.error;
  if (!r.ok) throw new Error('apply did not complete');
  return r.changes;
}

/** A namespace standing in for a VM, its port plugged through the driver; removed (unplugged first) after the test. */
export interface Vm {
  readonly ns: string;
  readonly dev: DeviceName;
  /** Runs busybox udhcpc in it once: the lease (or DhcpNoLeaseError). */
  dhcp(tries?: number): Promise<DhcpLease>;
  /** IPv4 addresses on its device. */
  addresses(): Promise<string[]>;
  /** Removes it (unplug, namespace). */
  remove(): Promise<void>;
}

/** Writes the udhcpc event script under the state dir once. */
function script(x: Executors): string {
  const path = join(x.host.stateDir, 'udhcpc.sh');
  writeFileSync(path, udhcpcScript(), { mode: 0o755 });
  return path;
}

/**
 * Plugs a VM namespace for port `port` (an instance's, or a made-up one for an unknown MAC) into the
 * model's network `network`.
 */
export async function plugVm(
  sb: Sandbox,
  x: Executors,
  driver: InterfaceDriver,
  model: Model,
  network: string,
  port: { owner: Owner; id: string; mac: Mac },
  style?: PlugStyle,
): Promise<Vm> {
  const net = model.networks.find((n) => n.name === network)!;
  const ns = namespaceFor(
    'instance',
    model.topology,
    port.owner.name.replace(/_/g, '-') as never,
    x.host.netnsPrefix,
  );
  // An OVS internal port IS the device, so it takes the port's tap name; a veth end can be eth0.
  const dev =
    driver.kind === 'ovs' && (style ?? 'internal') === 'internal'
      ? deviceFor('tap', port.owner)
      : deviceName('eth0');
  const req: PlugRequest = { network: net, port, device: dev, namespace: ns, ...(style ? { style } : {}) };
  const resource = { topology: model.topology, kind: 'instance' as const, name: port.owner.name };
  const observed = await driver.observePlug(new Observation(x), req);
  await applyAll(x, [
    {
      resource,
      action: 'create',
      summary: `+ vm ${ns}`,
      steps: [
        { via: 'ip', phase: 'namespace', place: 'host', ops: [{ op: 'netns.add', name: ns }] },
        {
          via: 'ip',
          phase: 'namespace',
          place: ns,
          ops: [{ op: 'link.set', name: deviceName('lo'), set: { up: true } }],
        },
      ],
    },
    ...driver.planPlug(req, observed),
  ]);
  const path = script(x);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    const obs = new Observation(x);
    await applyAll(x, [
      ...driver.planUnplug(req, await driver.observePlug(obs, req)),
      {
        resource,
        action: 'delete',
        summary: `- vm ${ns}`,
        steps: [{ via: 'ip', phase: 'namespace', place: 'host', ops: [{ op: 'netns.del', name: ns }] }],
      },
    ]);
  };
  sb.defer(remove);
  return {
    ns,
    dev,
    dhcp: (tries = 3) => runDhcpClient(ns, dev, { script: path, tries }),
    async addresses() {
      const r = await run(['ip', '-n', ns, '-4', '-j', 'addr', 'show', 'dev', dev]);
      return (JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) =>
        l.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
      );
    },
    remove,
  };
}

/** Resolves a name through a DNS server from inside a namespace (busybox nslookup): the addresses. */
export async function resolve(
  ns: string,
  name: string,
  server: string,
  type: 'a' | 'aaaa' = 'a',
): Promise<string[]> {
  const r = await run(['busybox', 'nslookup', `-type=${type}`, name, server], {
    namespace: ns,
    check: false,
    timeoutMs: 10_000,
  });
  const answers = r.stdout.split(/\n\n/).slice(1).join('\n');
  return [...answers.matchAll(/^Address:\s*(\S+)$/gm)].map((m) => m[1]!);
}

/** The dnsmasq PID of a conf dir's pidfile, when that process is alive with the marker; else null. */
export async function dnsmasqPid(pidfile: string, marker: string): Promise<number | null> {
  const pid = Number((await readFile(pidfile, 'utf8').catch(() => '')).trim());
  if (!pid) return null;
  const argv = await readCmdline(pid);
  return argv.some((a) => a.includes(`/${marker}/`)) ? pid : null;
}

/** Waits until `check` is true (polls every 50 ms), or throws after `ms`. */
export async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
