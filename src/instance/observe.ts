// Reading an instance through the apply's Observation: its namespace (one dump), what the interface
// driver reads for its plug (host place, namespace, switch: memoised, shared with every layer), the
// switch rows and host links its port's mark is on, and the DHCP client's script file.
// Neutron: what nova and os-vif look at before (re)plugging a VIF.
import type { InterfaceDriver, PlugObserved } from '../interface/driver.js';
import type { LinkInfo } from '../ip/links.js';
import type { NamespaceState } from '../ip/observe.js';
import type { NetnsPrefix } from '../net/naming.js';
import { type Owner, ownerMark, topologyName } from '../net/ownership.js';
import type { NamespaceName } from '../net/types.js';
import type { ObservedPort } from '../ovs/observe.js';
import type { Observation } from '../reconcile/observation.js';
import { type InstanceRef, type InstanceSpec, instanceNamespace } from './desired.js';
import { clientScriptPath } from './script.js';

/** The port owner of an instance (`<topology>.port.vm_<name>`): what its rows and host links carry. */
export function instancePortOwner(ref: InstanceRef): Owner {
  return { topology: topologyName(ref.topology), kind: 'port', name: `vm_${ref.name}` as Owner['name'] };
}

/** An instance as observed. */
export interface InstanceObserved {
  readonly owner: Owner;
  readonly namespace: NamespaceName;
  /** The namespace's links, addresses and routes; null when it does not exist. */
  readonly state: NamespaceState | null;
  /** What the driver read for the plug (null for a removal: not read). */
  readonly plug: PlugObserved | null;
  /** Switch rows carrying the port's mark, with their bridge. */
  readonly rows: readonly { readonly bridge: string; readonly port: ObservedPort }[];
  /** Host-place links carrying the port's mark. */
  readonly hostLinks: readonly LinkInfo[];
  /** The DHCP client's script (null: missing; not read when the instance is static). */
  readonly script: string | null;
}

/**
 * Reads what planning `spec` (or, given a ref, removing the instance) needs. Read-only; through
 * `obs`, so nothing is read twice in one apply.
 */
export async function observeInstance(
  spec: InstanceSpec | (InstanceRef & { readonly prefix?: NetnsPrefix }),
  obs: Observation,
  driver: InterfaceDriver,
): Promise<InstanceObserved> {
  const full = 'request' in spec ? spec : null;
  const ref: InstanceRef = full
    ? { topology: full.owner.topology, name: full.owner.name }
    : (spec as InstanceRef);
  const namespace = full ? full.namespace : instanceNamespace(ref, (spec as { prefix?: NetnsPrefix }).prefix);
  const mark = ownerMark(instancePortOwner(ref));
  const scriptPath = clientScriptPath(obs.executors.host.stateDir);
  const [state, plug, rows, host, script] = await Promise.all([
    obs.namespace(namespace),
    full ? driver.observePlug(obs, full.request) : Promise.resolve(null),
    driver.kind === 'ovs' ? obs.ovs({ ownerPrefix: '' }) : Promise.resolve(null),
    obs.namespace('host'),
    full?.address === 'dhcp' ? obs.file(scriptPath) : Promise.resolve(null),
  ]);
  const owned: { bridge: string; port: ObservedPort }[] = [];
  for (const b of rows?.bridges ?? []) {
    for (const p of b.ports) if (p.owner === mark) owned.push({ bridge: b.name, port: p });
  }
  return {
    owner: { topology: topologyName(ref.topology), kind: 'instance', name: ref.name as Owner['name'] },
    namespace,
    state,
    plug,
    rows: owned,
    hostLinks: (host?.links ?? []).filter((l) => l.owner === mark),
    script,
  };
}
