// Test scaffolding for the firewall's unit tests: a fake host (fakeExecutors with a process table that
// answers the bridge-netfilter sysctls) whose ipsets are "in use" while a rule matches them, as the
// kernel's are, applied through the reconcile engine; and a topology to start from.
import type { FirewallDesired } from '../../src/firewall/desired.js';
import { firewallFromModel } from '../../src/firewall/desired.js';
import { observeFirewall } from '../../src/firewall/observe.js';
import { planFirewall } from '../../src/firewall/plan.js';
import { countOps } from '../../src/iptables/diff.js';
import { buildModel, type Model, type TopologyInput } from '../../src/model/index.js';
import type { TopologyName } from '../../src/net/ownership.js';
import type { IpFamily } from '../../src/net/types.js';
import { applyChanges, assertApplied } from '../../src/reconcile/apply.js';
import { Observation } from '../../src/reconcile/observation.js';
import type { Change } from '../../src/reconcile/step.js';
import { fakeExecutors } from '../fakes/executors.js';
import { print } from '../fakes/iptables.js';

/** What one apply sent, read from the fakes. */
export interface Applied {
  /** State-changing operations the engine counted. */
  readonly operations: number;
  /** iptables-restore inputs per family, one after another. */
  readonly sent: Partial<Record<IpFamily, string>>;
  /** iptables-restore runs. */
  readonly restores: number;
  /** State-changing iptables lines. */
  readonly iptablesOps: number;
  /** ipset restore lines. */
  readonly ipsetOps: number;
  /** conntrack deletes. */
  readonly conntrack: number;
}

/** A fake host for firewall plans (fakeExecutors, host namespace `host`), applied by the engine. */
export class FwHost {
  readonly fakes = fakeExecutors({
    hostNamespace: 'host',
    onRun: (argv) => {
      if (argv[0] !== 'sysctl') return undefined;
      return this.sysctl === null
        ? { exitCode: 255, stderr: 'sysctl: cannot stat' }
        : { stdout: this.sysctl };
    },
  });
  readonly iptables = this.fakes.iptables;
  readonly ipset = this.fakes.ipset;
  readonly conntrack = this.fakes.conntrack;
  readonly executors = this.fakes.executors;
  /** What `sysctl -n` of the two bridge-netfilter keys prints; null: the keys are missing. */
  sysctl: string | null = '1\n1\n';
  /** Every iptables-restore, with its family. */
  readonly restores: { family: IpFamily; input: string }[] = [];

  constructor() {
    const restore = this.iptables.restore.bind(this.iptables);
    // A set an iptables rule matches cannot be destroyed (as in the kernel).
    this.iptables.restore = async (ns, family, input) => {
      this.restores.push({ family, input });
      await restore(ns, family, input);
      this.ipset.inUse.clear();
      for (const f of [4, 6] as const) {
        for (const m of this.save(f).matchAll(/--match-set (\S+)/g)) this.ipset.inUse.add(m[1] as string);
      }
    };
  }

  /** The host's iptables-save text of a family. */
  save(family: IpFamily): string {
    return print(this.iptables.states.get(`host/${family}`) ?? new Map());
  }

  /** Observes and plans (desired null: remove `topology`'s firewall). */
  async plan(desired: FirewallDesired | null, topology?: TopologyName): Promise<Change[]> {
    const t = (desired?.topology ?? topology) as TopologyName;
    const observed = await observeFirewall(
      t,
      new Observation(this.executors),
      (desired?.ports.length ?? 0) > 0,
    );
    return planFirewall(desired, observed, { executors: this.executors });
  }

  /** Plans and applies through the engine; throws when a change failed. */
  async apply(
    desired: FirewallDesired | null,
    topology?: TopologyName,
  ): Promise<{ changes: Change[]; applied: Applied }> {
    const changes = await this.plan(desired, topology);
    const r0 = this.restores.length;
    const i0 = this.ipset.restores.length;
    const c0 = this.conntrack.calls.length;
    const result = assertApplied(await applyChanges(changes, this.executors));
    const mine = this.restores.slice(r0);
    const sent: Partial<Record<IpFamily, string>> = {};
    for (const r of mine) sent[r.family] = (sent[r.family] ?? '') + r.input;
    return {
      changes,
      applied: {
        operations: result.changes,
        sent,
        restores: mine.length,
        iptablesOps: mine.reduce((n, r) => n + countOps(r.input), 0),
        ipsetOps: this.ipset.restores
          .slice(i0)
          .reduce((n, t) => n + t.split('\n').filter((l) => l !== '').length, 0),
        conntrack: this.conntrack.calls.slice(c0).filter((c) => c.op === 'delete').length,
      },
    };
  }
}

/**
 * A Linux bridge topology: network `web` (10.0.1.0/24, DHCP) and `db` (10.0.2.0/24); groups `web`
 * (ICMP from its members, TCP 80, TCP 8000-8100 from 10.0.0.0/8, all egress) and `ssh` (TCP 22);
 * instances a, b in `web` on network web, c (`ssh`, `web`) on db, d with no groups, e without port
 * security. `edit` changes the input first.
 */
export function topology(edit: (t: Record<string, unknown>) => void = () => {}): Model {
  const t = structuredClone({
    name: 'fw',
    backend: 'linuxbridge',
    networks: [
      { name: 'web', cidr: '10.0.1.0/24' },
      { name: 'db', cidr: '10.0.2.0/24', dhcp: false },
    ],
    securityGroups: [
      {
        name: 'web',
        rules: [
          { direction: 'ingress', protocol: 'icmp', remoteGroup: 'web' },
          { direction: 'ingress', protocol: 'tcp', port: 80 },
          { direction: 'ingress', protocol: 'tcp', port: '8000-8100', remoteIp: '10.0.0.0/8' },
          { direction: 'egress' },
        ],
      },
      { name: 'ssh', rules: [{ direction: 'ingress', protocol: 'tcp', port: 22 }] },
    ],
    instances: [
      { name: 'a', network: 'web', ip: '10.0.1.10', securityGroups: ['web'] },
      { name: 'b', network: 'web', ip: '10.0.1.11', securityGroups: ['web'] },
      { name: 'c', network: 'db', ip: '10.0.2.10', securityGroups: ['ssh', 'web'] },
      { name: 'd', network: 'web', ip: '10.0.1.12' },
      { name: 'e', network: 'web', ip: '10.0.1.13', portSecurity: false },
    ],
  }) as Record<string, unknown>;
  edit(t);
  return buildModel(t as unknown as TopologyInput);
}

/** The firewall of {@link topology}. */
export function desired(edit?: (t: Record<string, unknown>) => void, ipset?: boolean): FirewallDesired {
  return firewallFromModel(topology(edit), ipset === undefined ? {} : { ipset });
}
