// Test scaffolding for the interface drivers' unit tests: a fake host (FakeIpKernel + FakeOvsdb behind
// an Ovs), a pretend ovs-vswitchd that makes and removes internal ports' devices, and requests.

import type { PlugNetwork, PlugRequest } from '../../src/interface/driver.js';
import type { IpExecutor } from '../../src/ip/executor.js';
import { netnsPrefix } from '../../src/net/naming.js';
import type { Owner } from '../../src/net/ownership.js';
import { ownerMark, resourceId } from '../../src/net/ownership.js';
import { deviceName, type Mtu, mac, mtu, type NamespaceName, namespaceName } from '../../src/net/types.js';
import { OvsBridge } from '../../src/ovs/bridge.js';
import { Ovs } from '../../src/ovs/ovs.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { Observation } from '../../src/reconcile/observation.js';
import type { Change } from '../../src/reconcile/step.js';
import { FakeIpKernel } from '../fakes/ip.js';
import { FakeOvsdb } from '../fakes/ovsdb.js';
import { applyForTest, fakeVswitchd } from './interface-apply.js';

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

/** A fake host: kernel, switch, executors (host namespace `host`), and a way to apply changes. */
export class FakeHost {
  readonly kernel = new FakeIpKernel();
  readonly ovsdb = new FakeOvsdb();
  readonly sw = new Ovs(this.ovsdb, { owner: 'tenantnet', datapathType: 'netdev' });
  readonly hostNs = namespaceName('host');
  readonly commands: { place: string; argv: readonly string[] }[] = [];
  readonly executors: Executors;

  constructor() {
    this.kernel.addNamespace('host');
    const ip: IpExecutor = this.kernel;
    this.executors = {
      ip,
      ovs: async () => this.sw,
      host: { namespace: this.hostNs, netnsPrefix: netnsPrefix(''), stateDir: '/nonexistent' },
    } as unknown as Executors;
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

  /** Applies changes; resolves with the state-changing operations sent. */
  apply(changes: readonly Change[]): Promise<number> {
    return applyForTest(
      { executors: this.executors, afterOvs: () => fakeVswitchd(this), commands: this.commands },
      changes,
    );
  }

  /** Every port row on the switch, name -> tag (a number, or [] when untagged). */
  tags(): Record<string, unknown> {
    const one = (v: unknown) => (Array.isArray(v) && v.length === 1 ? v[0] : v);
    return Object.fromEntries(this.ovsdb.rows('Port').map((r) => [r.name, one(r.tag)]));
  }

  /** The link of a namespace (null: the root), or undefined. */
  link(ns: string, name: string) {
    return this.kernel.ns(ns)?.link(name);
  }

  /** Owner mark of a request's port. */
  static mark(req: PlugRequest): string {
    return ownerMark(req.port.owner);
  }
}

export type { Mtu };
