// One bridge (Neutron's ovs_lib.OVSBridge): its settings, its ports and VIF ports, each call one
// OVSDB transaction however many ports, built from the pure builders in bridge-ops/ports/plan-ports.
import { InvalidInputError } from '../errors.js';
import {
  addBridgeOps,
  BRIDGE_SETTINGS_COLUMNS,
  type BridgeOptions,
  bridgeColumns,
  bridgeSettings,
  bridgeSettingsOps,
  protocol,
  requireBridgeOp,
  validateBridgeOptions,
} from './bridge-ops.js';
import { BridgeNotFoundError } from './errors.js';
import { ovsName } from './names.js';
import type { ObservedBridge } from './observe.js';
import type { Ovs } from './ovs.js';
import {
  OvsdbConstraintViolationError,
  OvsdbTimedOutError,
  OvsdbVswitchdTimeoutError,
} from './ovsdb/errors.js';
import { byName, Transaction } from './ovsdb/operations.js';
import { mapRecord, type OvsdbRow, optional, ovsSet, setItems, type Uuid } from './ovsdb/values.js';
import { observedBridge, type PortsPlan, planIsEmpty, planPorts } from './plan-ports.js';
import {
  addPortOps,
  deletePortOps,
  type PortSpec,
  setPortTagOps,
  type VifPortSpec,
  validatePortSpec,
  vifPortSpec,
} from './ports.js';
import { DEAD_VLAN_TAG, vlanTag } from './vlan.js';

export type { BridgeOptions } from './bridge-ops.js';

/** A VIF port as found on a bridge. */
export interface VifPort {
  /** Port (and interface) name. */
  readonly name: string;
  /** OpenFlow port number, or null while vswitchd has not assigned one (or failed: -1). */
  readonly ofport: number | null;
  /** external_ids `iface-id`. */
  readonly ifaceId: string;
  /** external_ids `attached-mac`. */
  readonly mac: string;
  /** Local VLAN tag, if any. */
  readonly tag: number | null;
  /** The bridge holding it. */
  readonly bridge: string;
}

/** One port of a bridge with the columns tests and agents read most. */
export interface PortInfo {
  /** Port name. */
  readonly name: string;
  /** VLAN tag, or null. */
  readonly tag: number | null;
  /** Its interfaces' names. */
  readonly interfaces: string[];
}

/**
 * One bridge (Neutron's OVSBridge). Constructing it changes nothing; {@link create} makes it. Every
 * method is one transaction (plus, for idempotent writes, one read first), however many ports.
 */
export class OvsBridge {
  /** The bridge name. */
  readonly name: string;

  /**
   * @param ovs the switch
   * @param name bridge name (a device name)
   * @throws {InvalidInputError} for a bad name
   */
  constructor(
    readonly ovs: Ovs,
    name: string,
  ) {
    this.name = ovsName(name, 'bridge name');
  }

  /**
   * Creates the bridge with its settings in one transaction; when it exists, corrects the settings
   * given that differ (other_config keys are merged) and changes nothing else. Returns true when
   * the bridge was created. Equivalent to: `ovs-vsctl --may-exist add-br NAME -- set Bridge NAME …`.
   *
   * @throws {InvalidInputError} for bad options, before anything runs
   */
  async create(opts: BridgeOptions = {}): Promise<boolean> {
    validateBridgeOptions(opts);
    const [row] = await this.ovs.select('Bridge', byName(this.name), BRIDGE_SETTINGS_COLUMNS);
    if (row) {
      const tx = new Transaction();
      if (bridgeSettingsOps(tx, this.name, opts, bridgeSettings(row))) await this.ovs.commit(tx);
      return false;
    }
    const wanted = opts.datapathType ?? this.ovs.datapathType;
    const dp = wanted === 'auto' ? await this.ovs.detectDatapathType() : wanted;
    const tx = new Transaction();
    addBridgeOps(tx, this.name, dp, opts, this.ovs.owner);
    try {
      await this.ovs.commit(tx);
    } catch (e) {
      // Lost a race with another creator: the bridge exists, which is what was asked.
      if (e instanceof OvsdbConstraintViolationError && (await this.exists())) return false;
      throw e;
    }
    return true;
  }

  /** Deletes the bridge and its ports; false when it did not exist. */
  destroy(): Promise<boolean> {
    return this.ovs.deleteBridge(this.name);
  }

  /** True when the bridge exists. */
  exists(): Promise<boolean> {
    return this.ovs.bridgeExists(this.name);
  }

  /** The bridge's datapath type as stored (`system`, `netdev`, or '' for the default). */
  async datapathType(): Promise<string> {
    return String((await this.ovs.getColumn('Bridge', this.name, 'datapath_type')) ?? '');
  }

  /** Sets the fail mode. Equivalent to: `ovs-vsctl set-fail-mode BR MODE`. */
  async setFailMode(mode: 'secure' | 'standalone'): Promise<void> {
    validateBridgeOptions({ failMode: mode });
    await this.ovs.setColumns('Bridge', this.name, bridgeColumns({ failMode: mode }));
  }

  /** Adds OpenFlow versions the bridge does not have yet (never removes one). */
  async addProtocols(...protocols: string[]): Promise<void> {
    for (const p of protocols) protocol(p, 'protocols');
    const tx = new Transaction();
    tx.mutate('Bridge', byName(this.name), [['protocols', 'insert', ovsSet(...protocols)]]);
    await this.ovs.commit(tx);
  }

  /** Merges keys into the bridge's other_config. */
  async setOtherConfig(keys: Readonly<Record<string, string>>): Promise<void> {
    await this.ovs.setMapKeys('Bridge', this.name, 'other_config', keys);
  }

  /** Adds one port; see {@link addPorts}. */
  async addPort(spec: PortSpec): Promise<boolean> {
    return (await this.addPorts([spec])).length === 1;
  }

  /**
   * Adds ports in ONE transaction. Ports that already exist (on any bridge) are left as they are
   * unless `mayExist` is false, when they make the call fail before anything changes. Returns the
   * names added.
   *
   * @throws {InvalidInputError} for a bad spec, a name given twice, or an existing port with `mayExist: false`
   * @throws {OvsdbError} when the bridge does not exist or the server refuses
   */
  async addPorts(specs: readonly PortSpec[], opts: { mayExist?: boolean } = {}): Promise<string[]> {
    checkSpecs(specs);
    const existing = new Set((await this.ovs.select('Port', [], ['name'])).map((r) => String(r.name)));
    const fresh = specs.filter((s) => !existing.has(s.name));
    if (opts.mayExist === false && fresh.length < specs.length) {
      const dup = specs.find((s) => existing.has(s.name))?.name;
      throw new InvalidInputError(`port "${dup}" already exists`, 'port name');
    }
    if (fresh.length === 0) return [];
    const tx = new Transaction();
    // A wait on the bridge row makes a missing bridge fail the whole transaction instead of
    // silently garbage-collecting the unreferenced new ports.
    requireBridgeOp(tx, this.name);
    for (const s of fresh) addPortOps(tx, byName(this.name), s, this.ovs.owner);
    await this.commitRequiringBridge(tx);
    return fresh.map((s) => s.name);
  }

  /**
   * Converges this bridge's ports to `specs` in ONE transaction (none when nothing differs): adds
   * missing ports, corrects what a spec sets and a port lacks (tag, VLAN mode and trunks, type,
   * options, MTU, external_ids keys), re-creates ports that do not fit, and with `prune` deletes
   * this owner's other ports on the bridge. One read (the owner's rows), one write at most.
   *
   * @returns what was done, by port name; all lists empty when the ports were already as wanted
   * @throws {InvalidInputError} for a bad spec or a name given twice, before anything runs
   * @throws {BridgeNotFoundError} when the bridge does not exist
   */
  async ensurePorts(specs: readonly PortSpec[], opts: { prune?: boolean } = {}): Promise<PortsPlan> {
    checkSpecs(specs);
    const tx = new Transaction();
    const plan = planPorts(tx, this.name, specs, await this.ovs.observe(), this.ovs.owner, opts);
    if (planIsEmpty(plan)) return plan;
    const guarded = new Transaction();
    requireBridgeOp(guarded, this.name);
    for (const o of tx.ops) guarded.add(o);
    await this.commitRequiringBridge(guarded);
    return plan;
  }

  /** This owner's rows on this bridge, as typed data (one read); undefined when it has none. */
  async observe(): Promise<ObservedBridge | undefined> {
    return observedBridge(await this.ovs.observe(), this.name);
  }

  /**
   * Deletes the port of that name (wherever it is) and adds `spec` in one transaction. Equivalent
   * to: `ovs-vsctl --if-exists del-port NAME -- add-port BR NAME -- set …` (Neutron's replace_port).
   */
  async replacePort(spec: PortSpec): Promise<void> {
    validatePortSpec(spec);
    const old = await this.ovs.select('Port', byName(spec.name), []);
    const tx = new Transaction();
    requireBridgeOp(tx, this.name);
    deletePortOps(
      tx,
      old.map((r) => r._uuid as Uuid),
    );
    addPortOps(tx, byName(this.name), spec, this.ovs.owner);
    await this.commitRequiringBridge(tx);
  }

  /** Deletes one port; false when it did not exist. */
  async deletePort(name: string): Promise<boolean> {
    return (await this.deletePorts([name])) === 1;
  }

  /** Deletes the named ports of this bridge in ONE transaction; returns how many existed. */
  async deletePorts(names: readonly string[]): Promise<number> {
    for (const [i, n] of names.entries()) ovsName(n, `ports[${i}]`);
    const wanted = new Set(names);
    const uuids = (await this.portRows())
      .filter((r) => wanted.has(String(r.name)))
      .map((r) => r._uuid as Uuid);
    const tx = new Transaction();
    deletePortOps(tx, uuids);
    if (uuids.length > 0) await this.ovs.commit(tx);
    return uuids.length;
  }

  /** True when this bridge has a port of that name. */
  async portExists(name: string): Promise<boolean> {
    return (await this.listPorts()).includes(ovsName(name, 'port name'));
  }

  /** Names of this bridge's ports, without the bridge's own local port, sorted. */
  async listPorts(): Promise<string[]> {
    return (await this.portRows())
      .map((r) => String(r.name))
      .filter((n) => n !== this.name)
      .sort();
  }

  /** This bridge's ports with tag and interface names. */
  async portInfo(): Promise<PortInfo[]> {
    const tx = new Transaction();
    tx.select('Interface', [], ['_uuid', 'name']);
    const [i] = await this.ovs.read(tx);
    const names = new Map((i?.rows ?? []).map((r) => [String(r._uuid), String(r.name)]));
    return (await this.portRows()).map((r) => ({
      name: String(r.name),
      tag: numOrNull(optional(r.tag)),
      interfaces: setItems(r.interfaces).map((u) => names.get(String(u)) ?? String(u)),
    }));
  }

  /** The interface's OpenFlow port number, or null (unassigned, failed, or no such interface). */
  async ofport(name: string): Promise<number | null> {
    ovsName(name, 'interface name');
    const v = numOrNull(optional(await this.ovs.getColumn('Interface', name, 'ofport')));
    return v !== null && v >= 0 ? v : null;
  }

  /**
   * Puts a port on local VLAN `tag`; false when the port does not exist. The dead VLAN (4095) is
   * `tag=4095, vlan_mode=trunk, trunks=[4095]`; another tag makes a dead port an access port again
   * (see {@link setPortTagOps}). Equivalent to: `ovs-vsctl set Port NAME tag=T`.
   */
  async setPortTag(name: string, tag: number): Promise<boolean> {
    ovsName(name, 'port name');
    vlanTag(tag, 'tag');
    const tx = new Transaction();
    const at = setPortTagOps(tx, name, tag);
    return ((await this.ovs.commit(tx))[at]?.count ?? 0) > 0;
  }

  /** Puts a port on the dead VLAN: it passes no traffic until the network is bound ({@link setPortTag}). */
  markDead(name: string): Promise<boolean> {
    return this.setPortTag(name, DEAD_VLAN_TAG);
  }

  /** Adds VIF ports (iface-id, attached-mac; tag default the dead VLAN) in ONE transaction. */
  async addVifPorts(vifs: readonly VifPortSpec[]): Promise<string[]> {
    return this.addPorts(vifs.map((v, i) => vifPortSpec(v, `vifs[${i}]`)));
  }

  /** The VIF ports of this bridge (another bridge's never leak in), in port-name order. One round trip. */
  async listVifPorts(): Promise<VifPort[]> {
    const tx = new Transaction();
    tx.select('Bridge', byName(this.name), ['ports']);
    tx.select('Port', [], ['_uuid', 'name', 'interfaces', 'tag']);
    tx.select('Interface', [], ['_uuid', 'name', 'ofport', 'external_ids']);
    const [b, p, i] = await this.ovs.read(tx);
    const mine = new Set(setItems(b?.rows?.[0]?.ports).map(String));
    const ifaces = new Map((i?.rows ?? []).map((r) => [String(r._uuid), r]));
    const out: VifPort[] = [];
    for (const port of p?.rows ?? []) {
      if (!mine.has(String(port._uuid))) continue;
      // Bonds have several interfaces and a port may briefly have none: look at each.
      for (const iu of setItems(port.interfaces)) {
        const iface = ifaces.get(String(iu));
        const ids = mapRecord(iface?.external_ids);
        if (!iface || !ids['iface-id'] || !ids['attached-mac']) continue;
        const ofport = numOrNull(optional(iface.ofport));
        out.push({
          name: String(iface.name),
          ofport: ofport !== null && ofport >= 0 ? ofport : null,
          ifaceId: ids['iface-id'],
          mac: ids['attached-mac'],
          tag: numOrNull(optional(port.tag)),
          bridge: this.name,
        });
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The VIF port with that iface-id on this bridge, or undefined. */
  async getVifPortByIfaceId(ifaceId: string): Promise<VifPort | undefined> {
    return (await this.listVifPorts()).find((v) => v.ifaceId === ifaceId);
  }

  /** Deletes every VIF port of this bridge in ONE transaction; returns how many. */
  async deleteVifPorts(): Promise<number> {
    return this.deletePorts((await this.listVifPorts()).map((v) => v.name));
  }

  private async commitRequiringBridge(tx: Transaction): Promise<void> {
    try {
      await this.ovs.commit(tx);
    } catch (e) {
      // The guard is the first operation; a vswitchd wait that ran out is another matter.
      if (e instanceof OvsdbTimedOutError && !(e instanceof OvsdbVswitchdTimeoutError) && e.index === 0) {
        throw new BridgeNotFoundError(this.name);
      }
      throw e;
    }
  }

  private async portRows(): Promise<OvsdbRow[]> {
    const tx = new Transaction();
    tx.select('Bridge', byName(this.name), ['ports']);
    tx.select('Port', [], ['_uuid', 'name', 'tag', 'interfaces']);
    const [b, p] = await this.ovs.read(tx);
    const mine = new Set(setItems(b?.rows?.[0]?.ports).map(String));
    return (p?.rows ?? []).filter((r) => mine.has(String(r._uuid)));
  }
}

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

// Validates every spec and refuses a name given twice (two inserts of one name would fail the whole
// transaction on the server's unique index).
function checkSpecs(specs: readonly PortSpec[]): void {
  const names = new Set<string>();
  for (const [i, s] of specs.entries()) {
    validatePortSpec(s, `ports[${i}]`);
    if (names.has(s.name))
      throw new InvalidInputError(`ports[${i}]: port "${s.name}" is given twice`, `ports[${i}].name`);
    names.add(s.name);
  }
}
