// Ports as desired state, planned as OvsOps (the reconcile engine's currency) from an observation of
// an owner's rows: add what is missing, retag, merge external_ids, replace what cannot be corrected
// with the ops there are, remove what is no longer wanted. [] when converged. Neutron: the OVS
// agent's treat_devices_added/removed, ovsdbapp's may_exist/if_exists.
import type { ObservedPort, OvsObservation } from './observe.js';
import type { OvsOp } from './ovs-ops.js';
import { OWNER_KEY } from './ownership.js';
import { type PortSpec, wantedVlan } from './ports.js';
import { DEAD_VLAN_TAG } from './vlan.js';

/** An owner's port found in an observation, with the bridge it is on. */
export interface FoundPort {
  readonly bridge: string;
  readonly port: ObservedPort;
}

/** Every port of an observation, by name (the last bridge wins if a name is on two). Pure. */
export function portsByName(observed: OvsObservation | null): Map<string, FoundPort> {
  const out = new Map<string, FoundPort>();
  for (const b of observed?.bridges ?? [])
    for (const p of b.ports) out.set(p.name, { bridge: b.name, port: p });
  return out;
}

/**
 * The ops that put each spec's port on `bridge`, marked with `owner`, from an observation of the
 * owner's rows (null: nothing observed, e.g. no switch yet):
 * - missing: `port.add`;
 * - on another bridge, with interfaces that do not fit, of another type, options or MTU, or named in
 *   `replace` (the caller knows its device is gone): `port.del` then `port.add` (one transaction);
 * - otherwise `port.tag` when the tag (or dead-VLAN shape) differs, and `iface.external_ids` for keys
 *   the interface lacks (keys others added stay).
 * Pure; specs must be validated.
 */
export function planPortOps(
  bridge: string,
  specs: readonly PortSpec[],
  observed: OvsObservation | null,
  owner: string,
  replace: ReadonlySet<string> = new Set(),
): OvsOp[] {
  const found = portsByName(observed);
  const dels: OvsOp[] = [];
  const adds: OvsOp[] = [];
  const fixes: OvsOp[] = [];
  for (const s of specs) {
    const f = found.get(s.name);
    if (!f) {
      adds.push({ op: 'port.add', bridge, spec: s, owner });
      continue;
    }
    if (f.bridge !== bridge || !fits(f.port, s) || replace.has(s.name)) {
      dels.push({ op: 'port.del', bridge: f.bridge, name: s.name, uuid: f.port.uuid });
      adds.push({ op: 'port.add', bridge, spec: s, owner });
      continue;
    }
    const want = wantedVlan(s);
    if (want.tag !== undefined && (f.port.tag !== want.tag || !sameVlanShape(f.port, want))) {
      fixes.push({ op: 'port.tag', name: s.name, tag: want.tag });
    }
    const iface = f.port.interfaces[0]!;
    const missing = Object.entries({ ...s.externalIds, [OWNER_KEY]: owner }).filter(
      ([k, v]) => iface.externalIds[k] !== v,
    );
    if (missing.length > 0) {
      fixes.push({ op: 'iface.external_ids', name: s.name, externalIds: Object.fromEntries(missing) });
    }
  }
  // Deletions first: a replaced port's new rows take the old name within the same transaction.
  return [...dels, ...adds, ...fixes];
}

/** The `port.del` of each named port the observation holds (on whichever bridge). Pure. */
export function planPortRemovalOps(names: readonly string[], observed: OvsObservation | null): OvsOp[] {
  const found = portsByName(observed);
  return names.flatMap((n): OvsOp[] => {
    const f = found.get(n);
    return f ? [{ op: 'port.del', bridge: f.bridge, name: n, uuid: f.port.uuid }] : [];
  });
}

// Correctable in place with OvsOps: one interface of its own name carrying the mark, of the type,
// options and MTU the spec asks for (OvsOps can retag and merge external_ids, nothing else), and
// VLAN mode and trunks that a retag can bring to what the spec wants.
function fits(p: ObservedPort, s: PortSpec): boolean {
  if (p.interfaceUuids.length !== 1 || p.interfaces.length !== 1) return false;
  const i = p.interfaces[0]!;
  if (i.name !== s.name) return false;
  const type = s.type === undefined || s.type === 'system' ? '' : s.type;
  if (s.type !== undefined && i.type !== type) return false;
  if (s.options !== undefined && !sameRecord(i.options, s.options)) return false;
  if (s.mtuRequest !== undefined && i.mtuRequest !== s.mtuRequest) return false;
  // The VLAN shape must be what the spec wants once `port.tag` has run (it can only retag, and
  // move between Neutron's dead-VLAN trunk and an access port).
  const want = wantedVlan(s);
  return sameVlanShape(want.tag === undefined ? p : afterTag(p, want.tag), want);
}

type VlanShape = Pick<ObservedPort, 'vlanMode' | 'trunks'>;

// What `port.tag` (setPortTagOps) leaves of a port's VLAN mode and trunks.
function afterTag(p: VlanShape, tag: number): VlanShape {
  if (tag === DEAD_VLAN_TAG) return { vlanMode: 'trunk', trunks: [DEAD_VLAN_TAG] };
  if (p.vlanMode === 'trunk' && sameNumbers([DEAD_VLAN_TAG], p.trunks)) return { vlanMode: null, trunks: [] };
  return p;
}

// The fields the spec states (mode, trunks) hold.
function sameVlanShape(p: VlanShape, want: ReturnType<typeof wantedVlan>): boolean {
  return (
    (want.vlanMode === undefined || p.vlanMode === want.vlanMode) &&
    (want.trunks === undefined || sameNumbers(want.trunks, p.trunks))
  );
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  const x = [...new Set(a)].sort((m, n) => m - n);
  return x.length === b.length && x.every((v, i) => v === b[i]);
}
