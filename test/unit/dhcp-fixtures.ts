// Test scaffolding for the DHCP layer's unit tests: a model with a DHCP network, fake executors whose
// process table "runs" dnsmasq (a fake process, and the pidfile dnsmasq would write, on disk in a
// temporary state directory), and one call that observes, plans and applies.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { dhcpNetworkFromModel } from '../../src/dhcp/from-model.js';
import { observeDhcp } from '../../src/dhcp/observe.js';
import { type DhcpPlanOptions, planDhcp } from '../../src/dhcp/plan.js';
import type { DhcpNetwork } from '../../src/dhcp/types.js';
import { readPidfile } from '../../src/exec/pidfile.js';
import type { InterfaceDriver } from '../../src/interface/driver.js';
import { OvsInterfaceDriver } from '../../src/interface/ovs.js';
import { buildModel } from '../../src/model/build.js';
import type { Model, TopologyInput } from '../../src/model/types.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { type ApplyResult, applyChanges } from '../../src/reconcile/apply.js';
import { Observation } from '../../src/reconcile/observation.js';
import type { Change, ProcessStep, Step } from '../../src/reconcile/step.js';
import { type FakeExecutors, fakeExecutors } from '../fakes/executors.js';

/** A topology with one dual-stack network, two instances and a router port (not served). */
export function topology(extra: Partial<TopologyInput> = {}): TopologyInput {
  return {
    name: 'u1',
    networks: [
      {
        name: 'web',
        mtu: 1450,
        subnets: [{ cidr: '10.0.1.0/24' }, { cidr: 'fd00:1::/64' }],
      },
    ],
    routers: [{ name: 'r1', interfaces: ['web'] }],
    instances: [
      { name: 'a', network: 'web', ip: '10.0.1.10', mac: 'fa:16:3e:00:00:0a' },
      { name: 'b', network: 'web', ip: '10.0.1.11', mac: 'fa:16:3e:00:00:0b' },
    ],
    ...extra,
  };
}

/** The DHCP network `web` of a topology. */
export function served(
  input: TopologyInput = topology(),
  network = 'web',
): { model: Model; net: DhcpNetwork } {
  const model = buildModel(input);
  return { model, net: dhcpNetworkFromModel(model, network) };
}

/** Fake executors (host namespace `host`) whose `dnsmasq` runs become fake processes with a real pidfile. */
export async function fakeHost(
  t: TestContext,
  withBridge = true,
): Promise<FakeExecutors & { driver: InterfaceDriver }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tn-dhcp-unit-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  let fx: FakeExecutors | null = null;
  fx = fakeExecutors({
    hostNamespace: 'host',
    stateDir,
    onRun: (argv, options) => {
      if (argv[0] !== 'dnsmasq') return undefined;
      const pidfile = argv.find((a) => a.startsWith('--pid-file='))!.slice('--pid-file='.length);
      const p = fx!.processes.start(argv, options.namespace ?? null);
      mkdirSync(dirname(pidfile), { recursive: true });
      writeFileSync(pidfile, `${p.pid}\n`);
      return undefined;
    },
  });
  if (withBridge) {
    await new OvsBridge(fx.ovs!, 'br-int').create({ datapathType: 'netdev', failMode: 'standalone' });
  }
  return { ...fx, driver: new OvsInterfaceDriver() };
}

/** Observes and plans one network's DHCP server (desired null: its removal), through a fresh observation. */
export async function plan(
  fx: FakeExecutors & { driver: InterfaceDriver },
  desired: DhcpNetwork | null,
  subject: DhcpNetwork,
  opts: Partial<DhcpPlanOptions> = {},
): Promise<Change[]> {
  const withNetwork = desired === null ? opts.removeNetwork === true : opts.withNetwork === true;
  const obs = new Observation(fx.executors);
  const observed = await observeDhcp(subject, obs, { driver: fx.driver, ...opts, withNetwork });
  return planDhcp(desired, observed, { driver: fx.driver, now: 1_700_000_000_000, ...opts, withNetwork });
}

/**
 * Plans and applies through the engine; fails the test on a failed change. Starting a service in a
 * namespace is the one thing the engine cannot do on the fakes (ProcessManager checks that the
 * namespace exists in /run/netns), so `enable` and `restart` steps are done here as the engine's
 * ProcessManager would, on the fake process table: stop the pidfile's process, run the argv.
 */
export async function converge(
  fx: FakeExecutors & { driver: InterfaceDriver },
  desired: DhcpNetwork | null,
  subject: DhcpNetwork = desired!,
  opts: Partial<DhcpPlanOptions> = {},
): Promise<{ planned: Change[]; result: ApplyResult }> {
  const planned = await plan(fx, desired, subject, opts);
  const starts = (s: Step): s is ProcessStep =>
    s.via === 'process' && (s.action === 'enable' || s.action === 'restart');
  const result = await applyChanges(
    planned.map((c) => ({ ...c, steps: c.steps.filter((s) => !starts(s)) })),
    fx.executors,
  );
  const failed = result.outcomes.find((o) => o.status !== 'done');
  if (failed)
    throw new Error(`apply failed: ${failed.status === 'failed' ? String(failed.error) : failed.status}`);
  for (const s of planned.flatMap((c) => c.steps).filter(starts)) {
    const pid = (await readPidfile(s.service.pidfile)) ?? 0;
    if (s.action === 'restart' && pid > 0 && fx.processes.table.has(pid)) fx.processes.signal(pid, 'SIGKILL');
    if (s.action === 'enable' && pid > 0 && fx.processes.table.has(pid)) continue;
    const place = s.service.place === 'host' ? fx.executors.host.namespace : s.service.place;
    await fx.processes.run(s.service.argv, { namespace: place });
  }
  return { planned, result };
}

/** The live fake dnsmasq processes. */
export function dnsmasqs(fx: FakeExecutors) {
  return [...fx.processes.table.values()].filter((p) => p.argv[0] === 'dnsmasq');
}
