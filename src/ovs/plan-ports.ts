// Ports as desired state: the pure diff from observed ports to wanted ones, written into a caller's
// Transaction. An unchanged set of ports plans nothing. Neutron: the OVS agent's treat_devices_added
// (retag, fix external_ids) and ovsdbapp's may_exist; CNI's ensure-style plugins.
import type { ObservedBridge, ObservedPort, OvsObservation } from './observe.js';
import { byName, byUuid, mergeMapOps, type Transaction } from './ovsdb/operations.js';
import { type OvsdbRow, ovsMap, ovsSet, Uuid } from './ovsdb/values.js';
import { OWNER_KEY } from './ownership.js';
import { addPortOps, deletePortOps, type PortSpec, wantedVlan } from './ports.js';

/** What a ports plan does, by port name (each sorted). Empty lists everywhere: converged. */
export interface PortsPlan {
  /** Ports to create. */
  readonly added: string[];
  /** Ports whose columns are corrected in place. */
  readonly updated: string[];
  /** Ports deleted and created again (on another bridge, or with interfaces that do not fit). */
  readonly replaced: string[];
  /** Owned ports of this bridge that are not wanted (only with `prune`). */
  readonly deleted: string[];
}

/** True when the plan changes nothing. */
export function planIsEmpty(p: PortsPlan): boolean {
  return p.added.length + p.updated.length + p.replaced.length + p.deleted.length === 0;
}

/**
 * Plans `bridge`'s ports towards `desired` from an observation of the owner's rows, appending the
 * operations to `tx` (nothing when converged). Only what the spec says is compared: a tag, mode,
 * trunks, type, options or MTU it leaves out is not touched, and external_ids are merged (keys
 * others added stay). A port of the same name owned by this owner on another bridge is moved
 * here; with `prune`, owned ports of this bridge that are not desired are deleted (the bridge's
 * own local port never is). Pure; specs must be validated.
 */
export function planPorts(
  tx: Transaction,
  bridge: string,
  desired: readonly PortSpec[],
  observed: OvsObservation,
  owner: string,
  opts: { readonly prune?: boolean } = {},
): PortsPlan {
  const here = observed.bridges.find((b) => b.name === bridge);
  const elsewhere = new Map<string, ObservedPort>();
  for (const b of observed.bridges) {
    if (b.name !== bridge) for (const p of b.ports) elsewhere.set(p.name, p);
  }
  const mine = new Map((here?.ports ?? []).map((p) => [p.name, p]));
  const plan: PortsPlan = { added: [], updated: [], replaced: [], deleted: [] };
  const toDelete: Uuid[] = [];
  const toAdd: PortSpec[] = [];
  for (const s of desired) {
    const have = mine.get(s.name);
    const moved = elsewhere.get(s.name);
    if (!have && !moved) {
      plan.added.push(s.name);
      toAdd.push(s);
    } else if (!have || !fits(have, s)) {
      const old = (have ?? moved)!;
      plan.replaced.push(s.name);
      toDelete.push(new Uuid(old.uuid));
      toAdd.push(s);
    } else if (updatePortOps(tx, have, s)) plan.updated.push(s.name);
  }
  if (opts.prune) {
    const wanted = new Set(desired.map((s) => s.name));
    for (const p of here?.ports ?? []) {
      if (p.name === bridge || wanted.has(p.name)) continue;
      plan.deleted.push(p.name);
      toDelete.push(new Uuid(p.uuid));
    }
  }
  // Deletions first: a replaced port's new rows take the old name within the same transaction.
  deletePortOps(tx, toDelete);
  for (const s of toAdd) addPortOps(tx, byName(bridge), s, owner);
  for (const list of Object.values(plan)) list.sort();
  return plan;
}

/** The observed bridge named `name`, if the observation has it. */
export function observedBridge(o: OvsObservation, name: string): ObservedBridge | undefined {
  return o.bridges.find((b) => b.name === name);
}

// A port can be corrected in place when it has exactly one interface, of its own name, that
// carries the owner's mark (the observation only shows such interfaces).
function fits(p: ObservedPort, s: PortSpec): boolean {
  return p.interfaceUuids.length === 1 && p.interfaces.length === 1 && p.interfaces[0]!.name === s.name;
}

// Appends the updates that bring one existing port to its spec; false when it already matches.
function updatePortOps(tx: Transaction, p: ObservedPort, s: PortSpec): boolean {
  const iface = p.interfaces[0]!;
  let changed = false;
  const port: OvsdbRow = {};
  const want = wantedVlan(s);
  if (want.tag !== undefined && p.tag !== want.tag) port.tag = want.tag;
  if (want.vlanMode !== undefined && want.vlanMode !== p.vlanMode) port.vlan_mode = want.vlanMode ?? ovsSet();
  if (want.trunks !== undefined && !sameNumbers(want.trunks, p.trunks)) port.trunks = ovsSet(...want.trunks);
  if (Object.keys(port).length > 0) {
    tx.update('Port', [byUuid(p.uuid)], port);
    changed = true;
  }
  const portIds = missingKeys(p.externalIds, { ...s.portExternalIds, [OWNER_KEY]: p.owner });
  if (portIds) {
    mergeMapOps(tx, 'Port', [byUuid(p.uuid)], 'external_ids', portIds);
    changed = true;
  }
  const row: OvsdbRow = {};
  const type = s.type === undefined || s.type === 'system' ? '' : s.type;
  if (s.type !== undefined && iface.type !== type) row.type = type;
  if (s.options !== undefined && !sameRecord(iface.options, s.options)) row.options = ovsMap(s.options);
  if (s.mtuRequest !== undefined && iface.mtuRequest !== s.mtuRequest) row.mtu_request = s.mtuRequest;
  if (Object.keys(row).length > 0) {
    tx.update('Interface', [byUuid(iface.uuid)], row);
    changed = true;
  }
  const ids = missingKeys(iface.externalIds, { ...s.externalIds, [OWNER_KEY]: p.owner });
  if (ids) {
    mergeMapOps(tx, 'Interface', [byUuid(iface.uuid)], 'external_ids', ids);
    changed = true;
  }
  return changed;
}

// The desired pairs whose key is absent or has another value, or null when all are there.
function missingKeys(
  have: Readonly<Record<string, string>>,
  want: Readonly<Record<string, string>>,
): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) if (have[k] !== v) out[k] = v;
  return Object.keys(out).length > 0 ? out : null;
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  const x = [...new Set(a)].sort((m, n) => m - n);
  return x.length === b.length && x.every((v, i) => v === b[i]);
}
