// What interface planners read, through one apply's Observation: the host place, the target
// namespace and the integration bridge (every tenantnet row, so local VLANs are host-wide). The
// bridge view (with its VLAN table) is made once per Observation and shared by every consumer.
// Neutron: what interface.py and the OVS agent read through ip_lib and ovs_lib.
import type { ObservedPort, OvsObservation } from '../ovs/observe.js';
import type { Observation } from '../reconcile/observation.js';
import type { IntegrationBridgeView, PlugObserved, PlugTarget } from './driver.js';
import { LocalVlans, observedVlans } from './local-vlan.js';

// Keyed by the Observation's memoised OVSDB read: after `forget()` the read (and so the view) is new.
const views = new WeakMap<
  Promise<OvsObservation | null>,
  Map<string, Promise<IntegrationBridgeView | null>>
>();

/**
 * The integration bridge as an OVS observation shows it, or null when it does not exist. Pure.
 *
 * @param seen `Observation.ovs({ ownerPrefix: '' })`: every tenantnet row (null: no Open vSwitch)
 */
export function integrationBridgeView(
  name: string,
  seen: OvsObservation | null,
): IntegrationBridgeView | null {
  if (!seen) return null;
  const here = seen.bridges.find((b) => b.name === name);
  const other = seen.otherBridges.find((b) => b.name === name);
  const settings = here?.settings ?? other?.settings;
  if (!settings) return null;
  const ports = new Map<string, ObservedPort>((here?.ports ?? []).map((p) => [p.name, p]));
  const elsewhere = new Map<string, { bridge: string; port: ObservedPort }>();
  for (const b of seen.bridges) {
    if (b.name === name) continue;
    for (const p of b.ports) if (p.name !== b.name) elsewhere.set(p.name, { bridge: b.name, port: p });
  }
  return {
    name,
    datapath: settings.datapathType === 'netdev' ? 'netdev' : 'system',
    ports,
    elsewhere,
    vlans: new LocalVlans(name, observedVlans(ports.values())),
  };
}

/**
 * The integration bridge as this apply sees it: one OVSDB select of every tenantnet row (shared
 * with every layer through the Observation), turned into a view once per Observation, so every plan
 * of the apply shares one local VLAN table. Null when the bridge or Open vSwitch is missing.
 */
export function observeIntegrationBridge(
  obs: Observation,
  name: string,
): Promise<IntegrationBridgeView | null> {
  const read = obs.ovs({ ownerPrefix: '' });
  const byName = views.get(read) ?? new Map<string, Promise<IntegrationBridgeView | null>>();
  views.set(read, byName);
  let view = byName.get(name);
  if (!view) {
    view = read.then((seen) => integrationBridgeView(name, seen));
    byName.set(name, view);
    view.catch(() => byName.delete(name));
  }
  return view;
}

/**
 * The host place and the target namespace of a plug (and the integration bridge when `bridge` is
 * given), read through the Observation in parallel.
 */
export async function observePlugState(
  obs: Observation,
  target: Pick<PlugTarget, 'namespace'>,
  bridge?: string,
): Promise<PlugObserved> {
  const [host, ns, br] = await Promise.all([
    obs.namespace('host'),
    obs.namespace(target.namespace),
    bridge === undefined ? Promise.resolve(undefined) : observeIntegrationBridge(obs, bridge),
  ]);
  return bridge === undefined ? { host, target: ns } : { host, target: ns, bridge: br ?? null };
}
