// What planning a topology's firewall reads in the host place, through the apply's shared
// Observation: the tables of both families (its chains, every tenantnet manager's conntrack zones),
// its ipsets, and whether bridged traffic passes iptables at all. Neutron reads the same at agent
// start (iptables-save for zones, ipset list) and assumes br_netfilter.
import type { ObservedSet } from '../iptables/ipset.js';
import type { TopologyName } from '../net/ownership.js';
import type { IpFamily } from '../net/types.js';
import type { Observation } from '../reconcile/observation.js';
import { firewallPrefix } from './names.js';

/** The sysctl keys that make bridged IPv4 / IPv6 traffic pass iptables / ip6tables. */
export const BRIDGE_NF_KEYS: Readonly<Record<IpFamily, string>> = {
  4: 'net.bridge.bridge-nf-call-iptables',
  6: 'net.bridge.bridge-nf-call-ip6tables',
};

/** What {@link planFirewall} reads. */
export interface FirewallObserved {
  /** The topology whose firewall was observed. */
  readonly topology: TopologyName;
  /** `iptables-save` / `ip6tables-save` of the host place; null when the host namespace is missing. */
  readonly iptables: Readonly<Record<IpFamily, string>> | null;
  /** The topology's ipsets in the host place (by name), null when the host namespace is missing. */
  readonly sets: ReadonlyMap<string, ObservedSet> | null;
  /**
   * The bridge-netfilter sysctls of the host place per family (`1`, `0`, or null when absent: no
   * br_netfilter); not read (null) when nothing is to be filtered.
   */
  readonly bridgeNetfilter: Readonly<Record<IpFamily, string | null>> | null;
}

/**
 * Reads what planning the firewall of `topology` needs: both families' tables (one memoised
 * `iptables-save` each), the topology's ipsets (one `ipset save`), and — only when ports are to be
 * filtered — the bridge-netfilter sysctls (one `sysctl -n`). Read-only.
 *
 * @param filtering true when the desired state has ports to filter
 */
export async function observeFirewall(
  topology: TopologyName,
  obs: Observation,
  filtering: boolean,
): Promise<FirewallObserved> {
  const prefix = firewallPrefix(topology);
  const [v4, v6, sets, bridgeNetfilter] = await Promise.all([
    obs.iptables('host', 4),
    obs.iptables('host', 6),
    obs.ipsets('host', prefix),
    filtering ? readBridgeNetfilter(obs) : Promise.resolve(null),
  ]);
  return {
    topology,
    iptables: v4 === null || v6 === null ? null : { 4: v4, 6: v6 },
    sets,
    bridgeNetfilter,
  };
}

/**
 * Both keys in one process (br_netfilter makes them together). Equivalent to:
 * `sysctl -n net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables`.
 */
async function readBridgeNetfilter(obs: Observation): Promise<Record<IpFamily, string | null>> {
  const ns = obs.resolve('host');
  const r = await obs.executors.processes.run(['sysctl', '-n', BRIDGE_NF_KEYS[4], BRIDGE_NF_KEYS[6]], {
    ...(ns ? { namespace: ns } : {}),
    check: false,
  });
  if (r.exitCode !== 0) return { 4: null, 6: null };
  const [a, b] = r.stdout.split('\n').map((l) => l.trim());
  return { 4: a ?? null, 6: b ?? null };
}
