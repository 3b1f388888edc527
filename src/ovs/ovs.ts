import type { OvsdbClient } from './ovsdb/client.js';
import { type Condition, Transaction } from './ovsdb/operations.js';
import {
  mapRecord,
  type OvsdbAtom,
  type OvsdbRow,
  type OvsdbValue,
  optional,
  ovsMap,
  ovsSet,
  setItems,
  type Uuid,
} from './ovsdb/values.js';
import { OWNER_KEY, ovsName, stringMap } from './validate.js';

/** A bridge's datapath: `system` (kernel module), `netdev` (userspace), or `auto` (try system, fall back). */
export type DatapathType = 'system' | 'netdev' | 'auto';

/** Options shared by {@link Ovs} and its bridges. */
export interface OvsOptions {
  /** Value of the owner mark (`external_ids:tenantnet-owner`) on rows made here; default `tenantnet`. */
  readonly owner?: string;
  /** Default datapath for new bridges; default `auto`. */
  readonly datapathType?: DatapathType;
  /**
   * Wait for ovs-vswitchd to apply each change (ms; false = return once the database committed).
   * Default 10 s: ofports and devices exist when a call returns.
   */
  readonly waitForVswitchd?: number | false;
}

/** What {@link Ovs.cleanup} removed. */
export interface CleanupReport {
  /** Owned bridges deleted (with all their ports). */
  readonly bridges: string[];
  /** Owned ports deleted from bridges that are not owned. */
  readonly ports: string[];
}

/** `name == value`: rows of Bridge, Port and Interface are found by their unique name. */
export function byName(name: string): Condition[] {
  return [['name', '==', name]];
}

/**
 * The switch as a whole (Neutron's BaseOVS): bridges, generic column access, owned-row cleanup.
 * Holds an {@link OvsdbClient}; every call is one transaction (reads are one round trip).
 */
export class Ovs {
  /** The owner mark written on rows made here. */
  readonly owner: string;
  /** Default datapath for new bridges. */
  readonly datapathType: DatapathType;
  /** Whether and how long changes wait for ovs-vswitchd. */
  readonly wait: number | false;
  private detected: Promise<'system' | 'netdev'> | undefined;

  /** @param client a connected OVSDB client */
  constructor(
    readonly client: OvsdbClient,
    opts: OvsOptions = {},
  ) {
    this.owner = opts.owner ?? 'tenantnet';
    this.datapathType = opts.datapathType ?? 'auto';
    this.wait = opts.waitForVswitchd ?? 10_000;
  }

  /** Commits a transaction, waiting for vswitchd as configured. */
  async commit(tx: Transaction, opts: { wait?: boolean } = {}) {
    return this.client.transact(tx, {
      waitForVswitchd: opts.wait === false || this.wait === false ? false : this.wait,
    });
  }

  /** Rows of a table matching `where`, with the given columns (plus `_uuid`). */
  async select(table: string, where: readonly Condition[], columns?: readonly string[]): Promise<OvsdbRow[]> {
    const tx = new Transaction();
    tx.select(table, where, columns ? ['_uuid', ...columns] : undefined);
    return (await this.client.transact(tx))[0]?.rows ?? [];
  }

  /** Names of all bridges, sorted. */
  async listBridges(): Promise<string[]> {
    return (await this.select('Bridge', [], ['name'])).map((r) => String(r.name)).sort();
  }

  /** True when a bridge of that name exists. */
  async bridgeExists(name: string): Promise<boolean> {
    return (await this.select('Bridge', byName(ovsName(name, 'bridge name')), ['name'])).length > 0;
  }

  /** The bridge whose ports include the interface, or undefined. */
  async getBridgeForIface(iface: string): Promise<string | undefined> {
    ovsName(iface, 'interface name');
    const tx = new Transaction();
    tx.select('Interface', byName(iface), ['_uuid']);
    tx.select('Port', [], ['_uuid', 'interfaces']);
    tx.select('Bridge', [], ['name', 'ports']);
    const [i, p, b] = await this.client.transact(tx);
    const ifUuid = (i?.rows?.[0]?._uuid as Uuid | undefined)?.value;
    if (!ifUuid) return undefined;
    const port = p?.rows?.find((r) => setItems(r.interfaces).some((x) => String(x) === ifUuid));
    const pu = (port?._uuid as Uuid | undefined)?.value;
    const br = b?.rows?.find((r) => setItems(r.ports).some((x) => String(x) === pu));
    return br ? String(br.name) : undefined;
  }

  /**
   * One column of the row named `name` (Bridge, Port, Interface), or undefined when the row does not exist.
   */
  async getColumn(table: string, name: string, column: string): Promise<OvsdbValue | undefined> {
    return (await this.select(table, byName(ovsName(name, `${table} name`)), [column]))[0]?.[column];
  }

  /** Sets columns of the row named `name`; returns false when no such row exists. */
  async setColumns(table: string, name: string, row: OvsdbRow): Promise<boolean> {
    const tx = new Transaction();
    tx.update(table, byName(ovsName(name, `${table} name`)), row);
    return ((await this.commit(tx))[0]?.count ?? 0) > 0;
  }

  /** Merges keys into a map column (other keys stay), like `ovs-vsctl set T R col:k=v`. */
  async setMapKeys(table: string, name: string, column: string, keys: Readonly<Record<string, string>>) {
    stringMap(keys, `${table}.${column}`);
    const tx = new Transaction();
    tx.mutate(table, byName(ovsName(name, `${table} name`)), [
      [column, 'delete', ovsSet(...Object.keys(keys))],
      [column, 'insert', ovsMap(keys)],
    ]);
    return ((await this.commit(tx))[0]?.count ?? 0) > 0;
  }

  /** Empties a set or map column (optional columns become unset). */
  async clearColumn(table: string, name: string, column: string): Promise<boolean> {
    const current = await this.getColumn(table, name, column);
    if (current === undefined) return false;
    const empty = mapOrSet(current);
    return this.setColumns(table, name, { [column]: empty });
  }

  /**
   * The datapath `auto` resolves to: `system` when a kernel-datapath bridge comes up (its local
   * interface gets an ofport), else `netdev`. Probed once per {@link Ovs} with a throw-away bridge
   * (concurrent callers share the one probe; a failed probe is retried by the next call, and the
   * probe bridge is deleted whatever happens).
   */
  detectDatapathType(): Promise<'system' | 'netdev'> {
    this.detected ??= this.probeDatapath().catch((e: unknown) => {
      this.detected = undefined;
      throw e;
    });
    return this.detected;
  }

  private async probeDatapath(): Promise<'system' | 'netdev'> {
    const probe = `tnprobe${process.pid % 100000}`;
    await this.createBridgeRows(probe, 'system', {});
    try {
      const ofport = optional(await this.getColumn('Interface', probe, 'ofport'));
      const error = optional(await this.getColumn('Interface', probe, 'error'));
      return typeof ofport === 'number' && ofport >= 0 && error === undefined ? 'system' : 'netdev';
    } finally {
      await this.deleteBridge(probe);
    }
  }

  /** @internal the rows of a new bridge (bridge, its local port and internal interface) in one transaction */
  async createBridgeRows(name: string, datapath: 'system' | 'netdev', extra: OvsdbRow): Promise<void> {
    const tx = new Transaction();
    const mark = ovsMap({ [OWNER_KEY]: this.owner });
    const iface = tx.insert('Interface', { name, type: 'internal', external_ids: mark });
    const port = tx.insert('Port', { name, interfaces: ovsSet(iface), external_ids: mark });
    const br = tx.insert('Bridge', {
      name,
      ports: ovsSet(port),
      datapath_type: datapath,
      ...extra,
      external_ids: mark,
    });
    tx.mutate('Open_vSwitch', [], [['bridges', 'insert', ovsSet(br)]]);
    await this.commit(tx);
  }

  /** Deletes a bridge with all its ports; false when it did not exist (idempotent). */
  async deleteBridge(name: string): Promise<boolean> {
    const rows = await this.select('Bridge', byName(ovsName(name, 'bridge name')), []);
    if (rows.length === 0) return false;
    const tx = new Transaction();
    // Unlinking from the root table is enough: Bridge, Port and Interface rows are garbage-collected.
    tx.mutate('Open_vSwitch', [], [['bridges', 'delete', ovsSet(...rows.map((r) => r._uuid as Uuid))]]);
    await this.commit(tx);
    return true;
  }

  /**
   * Deletes only what this owner made: owned bridges (whole), and owned ports on bridges it does not
   * own. Foreign bridges and ports are never touched. One read, one transaction.
   */
  async cleanup(): Promise<CleanupReport> {
    const tx = new Transaction();
    tx.select('Bridge', [], ['_uuid', 'name', 'ports', 'external_ids']);
    tx.select('Port', [], ['_uuid', 'name', 'external_ids']);
    const [b, p] = await this.client.transact(tx);
    const owned = (r: OvsdbRow) => mapRecord(r.external_ids)[OWNER_KEY] === this.owner;
    const bridges = (b?.rows ?? []).filter(owned);
    const ownedBridgePorts = new Set(bridges.flatMap((r) => setItems(r.ports).map(String)));
    const ports = (p?.rows ?? []).filter((r) => owned(r) && !ownedBridgePorts.has(String(r._uuid)));
    if (bridges.length + ports.length === 0) return { bridges: [], ports: [] };
    const del = new Transaction();
    if (bridges.length > 0) {
      del.mutate('Open_vSwitch', [], [['bridges', 'delete', ovsSet(...bridges.map((r) => r._uuid as Uuid))]]);
    }
    if (ports.length > 0) {
      del.mutate('Bridge', [], [['ports', 'delete', ovsSet(...ports.map((r) => r._uuid as Uuid))]]);
    }
    await this.commit(del);
    return {
      bridges: bridges.map((r) => String(r.name)).sort(),
      ports: ports.map((r) => String(r.name)).sort(),
    };
  }
}

function mapOrSet(v: OvsdbValue): OvsdbValue {
  return v instanceof Object && 'entries' in v ? ovsMap({}) : ovsSet(...([] as OvsdbAtom[]));
}
