// What planning a router reads, through the apply's shared Observation: its namespace (one batched
// dump), the namespace's sysctls (one line of the same batch), its saved nat/mangle tables (one
// iptables-save), and for each of its ports what the interface driver reads (the host place and the
// integration bridge, memoised). Ports of the router found but no longer wanted are recognised by
// their owner marks (links in the namespace and the host place, OVS rows), so nothing needs a journal.
// Neutron: what router_info.process reads (ip_lib devices, iptables_manager's save).
import type { InterfaceDriver, NetworkObserved, PlugObserved, PlugTarget } from '../interface/driver.js';
import { hostDevice } from '../interface/layout.js';
import { observeIntegrationBridge } from '../interface/observe.js';
import { OvsInterfaceDriver } from '../interface/ovs.js';
import type { LinkInfo } from '../ip/links.js';
import type { NamespaceState } from '../ip/observe.js';
import { type Owner, ownerMark, parseOwnerMark, resourceId } from '../net/ownership.js';
import { type DeviceName, mac, type NamespaceName } from '../net/types.js';
import type { Observation } from '../reconcile/observation.js';
import type { RouterPort, RouterSpec } from './desired.js';
import { ROUTER_SYSCTL_KEYS } from './namespace.js';

/** What {@link planRouter} reads. */
export interface RouterObserved {
  /** The router's owner and namespace (what was observed). */
  readonly owner: Owner;
  readonly namespace: NamespaceName;
  /** The router's namespace (for a removal, its links only); null when it is missing. */
  readonly state: NamespaceState | null;
  /** Its sysctls (`ROUTER_SYSCTL_KEYS`); null when the namespace is missing (or for a removal). */
  readonly sysctls: Readonly<Record<string, string>> | null;
  /** `iptables-save` (IPv4) inside it; null when the namespace is missing (or for a removal). */
  readonly iptables: string | null;
  /** What the interface driver read for each plug, wanted or stale, by device name. */
  readonly plugs: ReadonlyMap<string, PlugObserved>;
  /** What the interface driver read for each network of a wanted port, by the network's owner mark. */
  readonly networks: ReadonlyMap<string, NetworkObserved>;
  /** Ports of this router that exist (a link or an OVS row carries their mark) and are not wanted. */
  readonly stale: readonly PlugTarget[];
}

/** The owner marks of a router's ports: `qr_<router>_<network>` and `qg_<router>`. */
function isRouterPort(router: Owner, mark: string): Owner | null {
  const o = parseOwnerMark(mark);
  if (!o || o.topology !== router.topology || o.kind !== 'port') return null;
  return o.name.startsWith(`qr_${router.name}_`) || o.name === `qg_${router.name}` ? o : null;
}

/** The plug target of a port found by its mark (internal style: the OVS port is the device). */
function targetOf(port: Owner, namespace: NamespaceName, seenMac: string | null): PlugTarget {
  const id = resourceId(port);
  const lead = port.name.startsWith('qg_') ? 'qg-' : 'qr-';
  let m = mac('02:00:00:00:00:00');
  try {
    if (seenMac) m = mac(seenMac);
  } catch {
    // any MAC does for an unplug
  }
  return { port: { owner: port, id, mac: m }, device: hostDevice(lead, id), namespace, style: 'internal' };
}

/**
 * Reads what planning a router needs, in parallel and through `obs` (nothing is read twice in one
 * apply). With a spec, its ports are observed as the driver plans them; with only the owner and
 * namespace (a removal), every port of the router that is found is stale. Read-only.
 */
export async function observeRouter(
  router: RouterSpec | { readonly owner: Owner; readonly namespace: NamespaceName },
  obs: Observation,
  driver: InterfaceDriver,
): Promise<RouterObserved> {
  const spec = 'interfaces' in router ? router : null;
  const ports: RouterPort[] = spec ? [...spec.interfaces, ...(spec.gateway ? [spec.gateway.port] : [])] : [];
  const ns = router.namespace;
  const nets = new Map(ports.map((p) => [ownerMark(p.request.network.owner), p.request.network]));
  // A removal deletes the namespace: its settings and tables need no reading; nor do a missing
  // namespace's (one directory listing says, where iptables-save would be a process that fails).
  const settings = spec !== null && (await obs.namespaces()).includes(ns);
  const [state, sysctls, iptables, host, bridge, plugs, networks] = await Promise.all([
    // A removal needs only the namespace's links (one read): which ports are in it.
    spec ? obs.namespace(ns) : obs.links(ns).then((links) => (links ? linksOnly(links) : null)),
    settings ? obs.sysctls(ns, ROUTER_SYSCTL_KEYS) : null,
    settings ? obs.iptablesSave(ns, 4) : null,
    // Ports of a removal are found in the namespace (a veth's host end dies with it) and on the
    // switch; the host place is read for them only where the driver's unplug needs it.
    spec ? obs.namespace('host') : null,
    driver instanceof OvsInterfaceDriver ? observeIntegrationBridge(obs, driver.bridge) : null,
    Promise.all(
      ports.map(async (p) => [p.request.device, await driver.observePlug(obs, p.request)] as const),
    ),
    Promise.all([...nets].map(async ([k, n]) => [k, await driver.observeNetwork(obs, n)] as const)),
  ]);
  const wanted = new Set(ports.map((p) => ownerMark(p.request.port.owner)));
  const found = new Map<string, { owner: Owner; mac: string | null }>();
  const see = (mark: string | null, seenMac: string | null) => {
    if (!mark || wanted.has(mark)) return;
    const o = isRouterPort(router.owner, mark);
    if (o && !found.get(mark)?.mac) found.set(mark, { owner: o, mac: seenMac });
  };
  for (const l of state?.links ?? []) see(l.owner, l.mac);
  for (const l of host?.links ?? []) see(l.owner, null);
  for (const p of bridge?.ports.values() ?? []) see(p.owner, null);
  for (const e of bridge?.elsewhere.values() ?? []) see(e.port.owner, null);
  const stale = [...found.values()].map((f) => targetOf(f.owner, ns, f.mac));
  const plugMap = new Map<string, PlugObserved>(plugs);
  for (const t of stale) {
    if (!spec && goesWithNamespace(driver, t, state)) continue;
    plugMap.set(t.device, await driver.observePlug(obs, t));
  }
  return {
    owner: router.owner,
    namespace: ns,
    state,
    sysctls,
    iptables,
    plugs: plugMap,
    networks: new Map(networks),
    stale,
  };
}

function linksOnly(links: readonly LinkInfo[]): NamespaceState {
  return { links, routes: [], rules: [], neighbours: [] };
}

/**
 * True when deleting the router's namespace removes a plug whole: a veth (no OVS port) whose end is
 * in the namespace takes its other end with it. Its unplug is then the namespace's deletion.
 */
export function goesWithNamespace(
  driver: InterfaceDriver,
  target: PlugTarget,
  state: Pick<NamespaceState, 'links'> | null,
): boolean {
  const layout = driver.layout(target);
  return (
    layout.ovsPort === null &&
    layout.style === 'veth' &&
    (state?.links ?? []).some((l) => l.name === target.device)
  );
}

/** The device names of a router's ports in its namespace, for tests and status. */
export function routerDevices(spec: RouterSpec): DeviceName[] {
  return [...spec.interfaces, ...(spec.gateway ? [spec.gateway.port] : [])].map((p) => p.request.device);
}
