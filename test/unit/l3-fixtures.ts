// Test scaffolding for the L3 unit tests: a topology with two internal networks, an external one, a
// router with a gateway, extra route and floating IPs, built by the model builder; a fake host (the
// engine's fakes, with an integration bridge for the OVS driver); and a way to plan and apply a router.
import { InvalidInputError } from '../../src/errors.js';
import type { InterfaceDriver } from '../../src/interface/driver.js';
import { LinuxBridgeInterfaceDriver } from '../../src/interface/linuxbridge.js';
import { OvsInterfaceDriver } from '../../src/interface/ovs.js';
import { type RouterDesired, routerDesired, routerSpec } from '../../src/l3/desired.js';
import { observeRouter } from '../../src/l3/observe.js';
import { planRouter } from '../../src/l3/plan.js';
import { buildModel } from '../../src/model/build.js';
import type { Model, TopologyInput } from '../../src/model/types.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { applyChanges } from '../../src/reconcile/apply.js';
import { Observation } from '../../src/reconcile/observation.js';
import type { Change } from '../../src/reconcile/step.js';
import { type FakeExecutors, fakeExecutors } from '../fakes/executors.js';

/** A topology: internal networks a (10.1.0.0/24) and b (10.2.0.0/24), external ext, router r1. */
export function topology(
  over: Partial<TopologyInput> = {},
  router: Record<string, unknown> = {},
): TopologyInput {
  return {
    name: 't1',
    backend: 'linuxbridge',
    networks: [
      { name: 'a', cidr: '10.1.0.0/24', dhcp: false },
      { name: 'b', cidr: '10.2.0.0/24', dhcp: false },
      { name: 'ext', cidr: '172.24.4.0/24', dhcp: false, external: true },
    ],
    routers: [
      {
        name: 'r1',
        gateway: { network: 'ext', ip: '172.24.4.2' },
        interfaces: ['a', 'b'],
        routes: [{ destination: '10.50.0.0/24', nexthop: '10.1.0.254' }],
        ...router,
      },
    ],
    instances: [
      { name: 'vm1', network: 'a', ip: '10.1.0.10', address: 'static' },
      { name: 'vm2', network: 'b', ip: '10.2.0.10', address: 'static' },
    ],
    floatingIps: [{ instance: 'vm1', address: '172.24.4.100' }],
    ...over,
  };
}

/** The router r1 of a topology. */
export function desired(input: TopologyInput = topology()): RouterDesired {
  return routerDesired(buildModel(input), 'r1');
}

/** A model of a topology. */
export function model(input: TopologyInput = topology()): Model {
  return buildModel(input);
}

/** A fake host: the engine's fakes with the host namespace `host` and the driver of a backend. */
export class L3Host {
  readonly fakes: FakeExecutors;
  readonly driver: InterfaceDriver;

  constructor(readonly backend: 'ovs' | 'linuxbridge' = 'linuxbridge') {
    this.fakes = fakeExecutors({ hostNamespace: 'host' });
    this.driver = backend === 'ovs' ? new OvsInterfaceDriver() : new LinuxBridgeInterfaceDriver();
  }

  /** Makes br-int (OVS backend). */
  async bridge(): Promise<void> {
    await new OvsBridge(this.fakes.ovs!, 'br-int').create({ datapathType: 'netdev', failMode: 'standalone' });
  }

  /** Plans a router (or its removal) against the fakes. */
  async plan(d: RouterDesired | null, ref = { topology: 't1', name: 'r1' }): Promise<Change[]> {
    const x = this.fakes.executors;
    const obs = new Observation(x);
    if (d === null) {
      const { routerNamespace } = await import('../../src/l3/desired.js');
      const owner = { topology: ref.topology, kind: 'router', name: ref.name } as never;
      const namespace = routerNamespace(ref, x.host.netnsPrefix);
      return planRouter(null, await observeRouter({ owner, namespace }, obs, this.driver), {
        driver: this.driver,
        executors: x,
      });
    }
    const spec = routerSpec(d, x.host.netnsPrefix);
    return planRouter(spec, await observeRouter(spec, obs, this.driver), {
      driver: this.driver,
      executors: x,
    });
  }

  /** Plans and applies; resolves with the changes and the operations sent. */
  async apply(d: RouterDesired | null): Promise<{ changes: Change[]; operations: number }> {
    const changes = await this.plan(d);
    const r = await applyChanges(changes, this.fakes.executors);
    if (!r.ok) {
      const failed = r.outcomes.find((o) => o.status === 'failed');
      throw failed?.status === 'failed' ? failed.error : new Error('apply failed');
    }
    return { changes, operations: r.changes };
  }
}

/** Every ip op of a list of changes, as batch lines would say them (op names and key fields). */
export function ipOps(changes: readonly Change[]): string[] {
  return changes.flatMap((c) =>
    c.steps.flatMap((s) => (s.via === 'ip' ? s.ops.map((o) => `${s.place}: ${JSON.stringify(o)}`) : [])),
  );
}

/** True when `fn` throws an InvalidInputError whose `where` is `where`. */
export function refusedAt(where: string) {
  return (e: unknown) => e instanceof InvalidInputError && e.where === where;
}
