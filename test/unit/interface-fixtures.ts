// Test scaffolding for the interface drivers' unit tests: a fake host (the engine's fake executors, whose
// pretend ovs-vswitchd makes and removes internal ports' devices), applied by the engine; requests.

import { applyOrThrow } from '../../src/interface/apply.js';
import type { PlugNetwork, PlugRequest } from '../../src/interface/driver.js';
import type { Owner } from '../../src/net/ownership.js';
import { resourceId } from '../../src/net/ownership.js';
import { deviceName, mac, mtu, type NamespaceName, namespaceName } from '../../src/net/types.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { Observation } from '../../src/reconcile/observation.js';
import type { Change } from '../../src/reconcile/step.js';
import { fakeExecutors } from '../fakes/executors.js';

/** A network of topology `t1`. */
export function network(name: string, m = 1500): PlugNetwork {
  const owner = { topology: 't1', kind: 'network', name } as Owner;
  return { owner, id: resourceId(owner), mtu: mtu(m), external: false };
}

/** A plug request of port `name` on `net`, device `dev` in namespace `ns`. */
export function request(
  name: string,
  net: PlugNetwork,
  ns: string,
  dev: string,
  extra: Partial<PlugRequest> = {},
): PlugRequest {
  const owner = { topology: 't1', kind: 'port', name } as Owner;
  const id = resourceId(owner);
  return {
    network: net,
    port: { owner, id, mac: mac(`fa:16:3e:00:00:${(id.charCodeAt(0) % 200).toString(16).padStart(2, '0')}`) },
    device: deviceName(dev),
    namespace: namespaceName(ns),
    ...extra,
  };
}

/** A fake host: the engine's fake executors with host namespace `host`, applied by the engine. */
export class FakeHost {
  readonly fakes = fakeExecutors({ hostNamespace: 'host' });
  readonly kernel = this.fakes.kernel;
  readonly ovsdb = this.fakes.ovsdb;
  readonly sw = this.fakes.ovs!;
  readonly hostNs = namespaceName('host');
  readonly executors: Executors = this.fakes.executors;

  /** Commands run through the process table (sysctl, ethtool), with where. */
  get commands(): { place: string; argv: readonly string[] }[] {
    return this.fakes.processes.ran.map((r) => ({
      place: r.options.namespace === this.hostNs ? 'host' : String(r.options.namespace ?? 'root'),
      argv: r.argv,
    }));
  }

  /** Makes a namespace (as the caller of a plug does). */
  namespace(name: string): NamespaceName {
    this.kernel.addNamespace(name);
    return namespaceName(name);
  }

  /** Creates the integration bridge (netdev) directly. */
  async bridge(name = 'br-int'): Promise<void> {
    await new OvsBridge(this.sw, name).create({ datapathType: 'netdev', failMode: 'standalone' });
  }

  /** A fresh observation (one per plan, as an apply makes). */
  observation(): Observation {
    return new Observation(this.executors);
  }

  /** Applies changes with the engine; resolves with the state-changing operations sent. */
  apply(changes: readonly Change[]): Promise<number> {
    return applyOrThrow(changes, this.executors);
  }

  /** Every port row on the switch, name -> tag (a number, or [] when untagged). */
  tags(): Record<string, unknown> {
    const one = (v: unknown) => (Array.isArray(v) && v.length === 1 ? v[0] : v);
    return Object.fromEntries(this.ovsdb.rows('Port').map((r) => [r.name, one(r.tag)]));
  }

  /** The link of a namespace, or undefined. */
  link(ns: string, name: string) {
    return this.kernel.ns(ns)?.link(name);
  }
}
