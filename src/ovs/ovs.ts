// The switch as a whole (Neutron's ovs_lib.BaseOVS): bridges, generic column access, committing and
// reading transactions through one OvsdbTransport, observing and cleaning up an owner's rows.
import { InvalidInputError } from '../errors.js';
import { addBridgeOps, type DatapathType, deleteBridgeOps } from './bridge-ops.js';
import { ovsdbIdentifier, ovsName } from './names.js';
import { type OvsObservation, type OwnerFilter, observeOps } from './observe.js';
import { OvsdbTimedOutError, OvsdbVswitchdTimeoutError } from './ovsdb/errors.js';
import {
  byName,
  type Condition,
  mergeMapOps,
  type OperationResult,
  Transaction,
} from './ovsdb/operations.js';
import type { OvsdbTransport } from './ovsdb/transport.js';
import {
  type OvsdbAtom,
  type OvsdbRow,
  type OvsdbValue,
  optional,
  ovsMap,
  ovsSet,
  setItems,
  Uuid,
} from './ovsdb/values.js';
import { curCfgWait, nextCfgOps } from './ovsdb/vswitchd.js';
import { ownerValue } from './ownership.js';
import { stringMap } from './text.js';
import { type VswitchdWait, vswitchdWaitPolicy, vswitchdWork, waitTimeoutMs } from './vswitchd-wait.js';

export type { DatapathType } from './bridge-ops.js';

/** Options shared by {@link Ovs} and its bridges. */
export interface OvsOptions {
  /** Value of the owner mark (`external_ids:tenantnet-owner`) on rows made here; default `tenantnet`. */
  readonly owner?: string;
  /** Default datapath for new bridges; default `auto`. */
  readonly datapathType?: DatapathType;
  /**
   * How long each change waits for ovs-vswitchd to apply it, so that ofports and devices exist when a
   * call returns: `{ baseMs, perPortMs }` (default 10 s plus 50 ms per port created or deleted), a
   * number (a fixed timeout in ms), or `false` (return once the database committed).
   */
  readonly waitForVswitchd?: number | false | Partial<VswitchdWait>;
}

/** What {@link Ovs.cleanup} removed. */
export interface CleanupReport {
  /** Owned bridges deleted (with all their ports). */
  readonly bridges: string[];
  /** Owned ports deleted from bridges that are not owned. */
  readonly ports: string[];
}

/** Options for {@link Ovs.commit}. */
export interface CommitOptions {
  /** False: return once committed, even when the {@link Ovs} waits for vswitchd. */
  readonly wait?: boolean;
  /**
   * Ports vswitchd must open or close for this change, when the operations do not show them
   * (deleting a whole bridge); added to the count read from the operations.
   */
  readonly work?: number;
}

/**
 * The switch as a whole (Neutron's BaseOVS): bridges, generic column access, owned-row observe and
 * cleanup. Every call is one transaction through its {@link OvsdbTransport} (reads are one round trip).
 */
export class Ovs {
  /** The owner mark written on rows made here. */
  readonly owner: string;
  /** Default datapath for new bridges. */
  readonly datapathType: DatapathType;
  /** How long changes wait for ovs-vswitchd, or false. */
  readonly wait: VswitchdWait | false;
  private detected: Promise<'system' | 'netdev'> | undefined;

  /**
   * @param transport a connected {@link OvsdbClient}, or a fake standing in for one
   * @throws {InvalidInputError} for a bad owner, datapath type or wait
   */
  constructor(
    readonly transport: OvsdbTransport,
    opts: OvsOptions = {},
  ) {
    this.owner = ownerValue(opts.owner ?? 'tenantnet', 'owner');
    const dp = opts.datapathType ?? 'auto';
    if (!['system', 'netdev', 'auto'].includes(dp)) {
      throw new InvalidInputError(
        `datapathType: ${JSON.stringify(dp)} is not system, netdev or auto`,
        'datapathType',
      );
    }
    this.datapathType = dp;
    this.wait = vswitchdWaitPolicy(opts.waitForVswitchd);
  }

  /**
   * Commits a transaction and waits for vswitchd as configured; the wait's timeout scales with the
   * ports the transaction creates or deletes (see {@link OvsOptions.waitForVswitchd}).
   *
   * @throws {InvalidInputError} for a string OVSDB cannot carry; {@link OvsdbError} subclasses from the server
   */
  async commit(tx: Transaction, opts: CommitOptions = {}): Promise<OperationResult[]> {
    const waitMs =
      opts.wait === false || this.wait === false
        ? false
        : waitTimeoutMs(this.wait, vswitchdWork(tx.ops) + (opts.work ?? 0));
    return this.transport.transact(tx, { waitForVswitchd: waitMs });
  }

  /**
   * Commits a transaction now and hands back the vswitchd wait to run later: the same `next_cfg`
   * handshake as {@link commit}, split in two, so a caller can go on with work that does not need
   * vswitchd (the reconcile engine deletes namespaces while vswitchd closes the deleted ports'
   * devices). The wait scales with the ports as in {@link commit}; it does nothing when this `Ovs`
   * does not wait, or the transaction changes nothing.
   *
   * @returns the operations' results, and the wait (throws {@link OvsdbVswitchdTimeoutError} when it runs out)
   * @throws as {@link commit}, for the commit itself
   */
  async commitDeferred(
    tx: Transaction,
    opts: Pick<CommitOptions, 'work'> = {},
  ): Promise<{ results: OperationResult[]; wait: () => Promise<void> }> {
    if (this.wait === false || tx.readOnly) {
      return { results: await this.transport.transact(tx), wait: async () => {} };
    }
    const ms = waitTimeoutMs(this.wait, vswitchdWork(tx.ops) + (opts.work ?? 0));
    const results = await this.transport.transact([...tx.ops, ...nextCfgOps()]);
    const cfg = results[results.length - 1]?.rows?.[0]?.next_cfg;
    const transport = this.transport as OvsdbTransport & {
      waitForCurCfg?: (c: number, t: number) => Promise<void>;
    };
    const wait = async () => {
      if (typeof cfg !== 'number') return;
      try {
        // The real client gives the request as long as the wait; a fake takes the wait op itself.
        if (transport.waitForCurCfg) await transport.waitForCurCfg(cfg, ms);
        else await transport.transact([curCfgWait(cfg, ms)]);
      } catch (e) {
        if (e instanceof OvsdbTimedOutError && !(e instanceof OvsdbVswitchdTimeoutError)) {
          throw new OvsdbVswitchdTimeoutError(cfg, ms);
        }
        throw e;
      }
    };
    return { results: results.slice(0, tx.ops.length), wait };
  }

  /**
   * Runs a read-only transaction (selects, waits, comments) in one round trip.
   *
   * @throws {InvalidInputError} when the transaction would change something
   */
  async read(tx: Transaction): Promise<OperationResult[]> {
    if (!tx.readOnly) {
      throw new InvalidInputError(
        'transaction: read() takes only selects, waits and comments',
        'transaction',
      );
    }
    return this.transport.transact(tx);
  }

  /** Rows of a table matching `where`, with the given columns (plus `_uuid`). */
  async select(table: string, where: readonly Condition[], columns?: readonly string[]): Promise<OvsdbRow[]> {
    ovsdbIdentifier(table, 'table');
    for (const c of columns ?? []) ovsdbIdentifier(c, 'column');
    const tx = new Transaction();
    tx.select(table, where, columns ? ['_uuid', ...columns] : undefined);
    return (await this.read(tx))[0]?.rows ?? [];
  }

  /**
   * Every Bridge/Port/Interface row carrying an owner mark that matches `filter` (default: this
   * owner), as typed data, in ONE read-only transaction.
   *
   * @throws {InvalidInputError} for a bad filter
   */
  async observe(filter: OwnerFilter = { owner: this.owner }): Promise<OvsObservation> {
    const tx = new Transaction();
    const parse = observeOps(tx, filter);
    return parse(await this.read(tx));
  }

  /** Names of all bridges, sorted. */
  async listBridges(): Promise<string[]> {
    return (await this.select('Bridge', [], ['name'])).map((r) => String(r.name)).sort();
  }

  /** True when a bridge of that name exists. */
  async bridgeExists(name: string): Promise<boolean> {
    return (await this.select('Bridge', byName(ovsName(name, 'bridge name')), ['name'])).length > 0;
  }

  /** The bridge whose ports include the interface, or undefined. Equivalent to: `ovs-vsctl iface-to-br IFACE`. */
  async getBridgeForIface(iface: string): Promise<string | undefined> {
    ovsName(iface, 'interface name');
    const tx = new Transaction();
    tx.select('Interface', byName(iface), ['_uuid']);
    tx.select('Port', [], ['_uuid', 'interfaces']);
    tx.select('Bridge', [], ['name', 'ports']);
    const [i, p, b] = await this.read(tx);
    const ifUuid = (i?.rows?.[0]?._uuid as Uuid | undefined)?.value;
    if (!ifUuid) return undefined;
    const port = p?.rows?.find((r) => setItems(r.interfaces).some((x) => String(x) === ifUuid));
    const pu = (port?._uuid as Uuid | undefined)?.value;
    const br = b?.rows?.find((r) => setItems(r.ports).some((x) => String(x) === pu));
    return br ? String(br.name) : undefined;
  }

  /**
   * One column of the row named `name` (Bridge, Port, Interface), or undefined when the row does not
   * exist. Equivalent to: `ovs-vsctl get TABLE NAME COLUMN`.
   */
  async getColumn(table: string, name: string, column: string): Promise<OvsdbValue | undefined> {
    ovsdbIdentifier(column, 'column');
    return (await this.select(table, byName(ovsName(name, `${table} name`)), [column]))[0]?.[column];
  }

  /**
   * Sets columns of the row named `name`; returns false when no such row exists. Equivalent to:
   * `ovs-vsctl set TABLE NAME COL=VALUE…`.
   *
   * @throws {InvalidInputError} for a bad table, name or column, or a string OVSDB cannot carry
   */
  async setColumns(table: string, name: string, row: OvsdbRow): Promise<boolean> {
    ovsdbIdentifier(table, 'table');
    for (const c of Object.keys(row)) ovsdbIdentifier(c, 'column');
    const tx = new Transaction();
    tx.update(table, byName(ovsName(name, `${table} name`)), row);
    return ((await this.commit(tx))[0]?.count ?? 0) > 0;
  }

  /**
   * Merges keys into a map column (other keys stay). Equivalent to: `ovs-vsctl set T R col:k=v`.
   *
   * @throws {InvalidInputError} for a bad table, name, column, key or value
   */
  async setMapKeys(table: string, name: string, column: string, keys: Readonly<Record<string, string>>) {
    ovsdbIdentifier(table, 'table');
    ovsdbIdentifier(column, 'column');
    const checked = stringMap(keys, `${table}.${column}`);
    const tx = new Transaction();
    mergeMapOps(tx, table, byName(ovsName(name, `${table} name`)), column, checked);
    return ((await this.commit(tx))[0]?.count ?? 0) > 0;
  }

  /** Empties a set or map column (optional columns become unset). Equivalent to: `ovs-vsctl clear T R COL`. */
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
    const tx = new Transaction();
    addBridgeOps(tx, probe, 'system', {}, this.owner);
    await this.commit(tx);
    try {
      const ofport = optional(await this.getColumn('Interface', probe, 'ofport'));
      const error = optional(await this.getColumn('Interface', probe, 'error'));
      return typeof ofport === 'number' && ofport >= 0 && error === undefined ? 'system' : 'netdev';
    } finally {
      await this.deleteBridge(probe);
    }
  }

  /**
   * Deletes a bridge with all its ports; false when it did not exist (idempotent). Equivalent to:
   * `ovs-vsctl --if-exists del-br NAME`.
   */
  async deleteBridge(name: string): Promise<boolean> {
    const rows = await this.select('Bridge', byName(ovsName(name, 'bridge name')), ['ports']);
    if (rows.length === 0) return false;
    const tx = new Transaction();
    deleteBridgeOps(
      tx,
      rows.map((r) => r._uuid as Uuid),
    );
    await this.commit(tx, { work: rows.reduce((n, r) => n + setItems(r.ports).length, 0) });
    return true;
  }

  /**
   * Deletes only what this owner made: owned bridges (whole), and owned ports on bridges it does not
   * own. Foreign bridges and ports are never touched. One read ({@link observe}), one transaction.
   */
  async cleanup(): Promise<CleanupReport> {
    const seen = await this.observe();
    const bridges = seen.bridges.filter((b) => b.owner !== null);
    const ports = seen.bridges.filter((b) => b.owner === null).flatMap((b) => b.ports);
    if (bridges.length + ports.length === 0) return { bridges: [], ports: [] };
    const del = new Transaction();
    deleteBridgeOps(
      del,
      bridges.map((b) => uuidOf(b.uuid)),
    );
    if (ports.length > 0) {
      // Unlinked from their bridge, the Port and Interface rows are garbage-collected.
      del.mutate('Bridge', [], [['ports', 'delete', ovsSet(...ports.map((p) => uuidOf(p.uuid)))]]);
    }
    await this.commit(del, { work: bridges.reduce((n, b) => n + b.portCount, 0) });
    return {
      bridges: bridges.map((b) => b.name).sort(),
      ports: ports.map((p) => p.name).sort(),
    };
  }
}

function uuidOf(value: string): Uuid {
  return new Uuid(value);
}

function mapOrSet(v: OvsdbValue): OvsdbValue {
  return v instanceof Object && 'entries' in v ? ovsMap({}) : ovsSet(...([] as OvsdbAtom[]));
}
