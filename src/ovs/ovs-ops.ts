// Open vSwitch changes as data (the OVS twin of ip's IpOp): what a planner asks of the switch, folded
// by the reconcile engine into ONE OVSDB transaction per phase, and printed as the `ovs-vsctl`
// commands a person would type (`tenantnet plan --commands`). Neutron: ovsdbapp commands.
import { InvalidInputError } from '../errors.js';
import {
  addBridgeOps,
  type BridgeOptions,
  type BridgeSettings,
  bridgeSettingsOps,
  deleteBridgeOps,
  requireBridgeOp,
  validateBridgeOptions,
} from './bridge-ops.js';
import { ovsName } from './names.js';
import { byName, mergeMapOps, type Transaction } from './ovsdb/operations.js';
import { Uuid } from './ovsdb/values.js';
import { OWNER_KEY, ownerValue } from './ownership.js';
import {
  addPortOps,
  deletePortOps,
  type PortSpec,
  setPortTagOps,
  validatePortSpec,
  wantedVlan,
} from './ports.js';
import { stringMap } from './text.js';
import { DEAD_VLAN_TAG, vlanTag } from './vlan.js';

/**
 * One change to the switch. Ports are created with their interface in the same operation (the
 * owner mark goes on both rows); deletions carry the row uuids the planner observed, because OVSDB
 * deletes a port by removing its uuid from its bridge.
 */
export type OvsOp =
  /**
   * Create the bridge with these settings, or correct the settings of an existing one. `observed`
   * is what the planner saw (null: no such bridge); without it the engine reads the bridge first.
   * `owner` marks a new bridge's rows (default: the switch's owner).
   */
  | {
      readonly op: 'bridge.ensure';
      readonly name: string;
      readonly options?: BridgeOptions;
      readonly owner?: string;
      readonly observed?: BridgeSettings | null;
    }
  /** Delete a bridge (and with it its ports); `uuid` as observed, `ports` as observed (scales the vswitchd wait). */
  | { readonly op: 'bridge.del'; readonly name: string; readonly uuid: string; readonly ports?: number }
  /** Add a port (and its interface) to a bridge, marked with `owner`. */
  | { readonly op: 'port.add'; readonly bridge: string; readonly spec: PortSpec; readonly owner: string }
  /** Set a port's local VLAN (4095: the dead VLAN, with trunk settings that pass nothing). */
  | { readonly op: 'port.tag'; readonly name: string; readonly tag: number }
  /** Merge keys into an interface's external_ids (e.g. `iface-status`). */
  | {
      readonly op: 'iface.external_ids';
      readonly name: string;
      readonly externalIds: Readonly<Record<string, string>>;
    }
  /** Delete a port of a bridge; `uuid` as observed. */
  | { readonly op: 'port.del'; readonly bridge: string; readonly name: string; readonly uuid: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function rowUuid(value: unknown, where: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new InvalidInputError(`${where}: ${JSON.stringify(value)} is not a row uuid`, where);
  }
  return value;
}

/**
 * Checks every operation before anything is built or sent: names (device names, no leading `-`),
 * port specs, tags, uuids, owners and maps.
 *
 * @throws {InvalidInputError} naming the operation (`ops[2].spec.name`) and field
 */
export function validateOvsOps(ops: readonly OvsOp[], where = 'ovs ops'): void {
  ops.forEach((o, i) => {
    const at = `${where}[${i}]`;
    if (o === null || typeof o !== 'object') throw new InvalidInputError(`${at}: not an operation`, at);
    switch (o.op) {
      case 'bridge.ensure':
        ovsName(o.name, `${at}.name`);
        validateBridgeOptions(o.options ?? {}, `${at}.options`);
        if (o.owner !== undefined) ownerValue(o.owner, `${at}.owner`);
        return;
      case 'bridge.del':
        ovsName(o.name, `${at}.name`);
        rowUuid(o.uuid, `${at}.uuid`);
        if (o.ports !== undefined && (!Number.isInteger(o.ports) || o.ports < 0)) {
          throw new InvalidInputError(`${at}.ports: ${o.ports} is not a count`, `${at}.ports`);
        }
        return;
      case 'port.add':
        ovsName(o.bridge, `${at}.bridge`);
        validatePortSpec(o.spec, `${at}.spec`);
        ownerValue(o.owner, `${at}.owner`);
        return;
      case 'port.tag':
        ovsName(o.name, `${at}.name`);
        vlanTag(o.tag, `${at}.tag`);
        return;
      case 'iface.external_ids':
        ovsName(o.name, `${at}.name`);
        stringMap(o.externalIds, `${at}.externalIds`);
        return;
      case 'port.del':
        ovsName(o.bridge, `${at}.bridge`);
        ovsName(o.name, `${at}.name`);
        rowUuid(o.uuid, `${at}.uuid`);
        return;
      default:
        throw new InvalidInputError(
          `${at}: ${JSON.stringify((o as { op: unknown }).op)} is not an OVS operation`,
          at,
        );
    }
  });
}

/** What {@link ovsOpsTransaction} needs besides the operations. */
export interface OvsOpsContext {
  /** The owner mark of new bridges whose op names none (the switch's owner). */
  readonly owner: string;
  /** The datapath a new bridge gets when its options say `auto` or nothing. */
  readonly datapath: 'system' | 'netdev';
  /** Bridge settings read for `bridge.ensure` ops that carry no observation (null: no such bridge). */
  readonly bridges?: ReadonlyMap<string, BridgeSettings | null>;
}

/** What {@link ovsOpsTransaction} appended. */
export interface OvsOpsAppended {
  /** Per op, how many OVSDB operations it became (0: it asked for nothing that is not already so). */
  readonly perOp: readonly number[];
  /** Ports vswitchd must close that the operations do not show (those of deleted bridges). */
  readonly work: number;
}

/**
 * Appends the OVSDB operations of `ops` to a caller's transaction, in order, using the builders
 * the verbs use (`addBridgeOps`, `bridgeSettingsOps`, `addPortOps` behind a bridge guard,
 * `setPortTagOps`, `mergeMapOps`, `deletePortOps`, `deleteBridgeOps`). Pure: runs nothing.
 *
 * @returns how many operations each op became, and the vswitchd work the ops do not show
 * @throws {InvalidInputError} for a bad op (see {@link validateOvsOps}), or a `bridge.ensure` whose
 *   bridge was neither observed nor read
 */
export function ovsOpsTransaction(
  tx: Transaction,
  ops: readonly OvsOp[],
  ctx: OvsOpsContext,
): OvsOpsAppended {
  validateOvsOps(ops);
  const perOp: number[] = [];
  let work = 0;
  for (const o of ops) {
    const before = tx.ops.length;
    switch (o.op) {
      case 'bridge.ensure': {
        const have = o.observed !== undefined ? o.observed : ctx.bridges?.get(o.name);
        if (have === undefined) {
          throw new InvalidInputError(
            `bridge.ensure ${o.name}: its settings were neither observed nor read`,
            'observed',
          );
        }
        const want = o.options ?? {};
        if (have === null) addBridgeOps(tx, o.name, datapathOf(want, ctx), want, o.owner ?? ctx.owner);
        else bridgeSettingsOps(tx, o.name, want, have);
        break;
      }
      case 'bridge.del':
        deleteBridgeOps(tx, [new Uuid(o.uuid)]);
        work += o.ports ?? 0;
        break;
      case 'port.add':
        // Without the guard, ports for a missing bridge would be garbage-collected and the commit
        // would "succeed".
        requireBridgeOp(tx, o.bridge);
        addPortOps(tx, byName(o.bridge), o.spec, o.owner);
        break;
      case 'port.tag':
        setPortTagOps(tx, o.name, o.tag);
        break;
      case 'iface.external_ids':
        mergeMapOps(tx, 'Interface', byName(o.name), 'external_ids', o.externalIds);
        break;
      case 'port.del':
        deletePortOps(tx, [new Uuid(o.uuid)]);
        break;
    }
    perOp.push(tx.ops.length - before);
  }
  return { perOp, work };
}

function datapathOf(o: BridgeOptions, ctx: Pick<OvsOpsContext, 'datapath'>): 'system' | 'netdev' {
  return o.datapathType === 'system' || o.datapathType === 'netdev' ? o.datapathType : ctx.datapath;
}

/** What {@link ovsOpCommands} needs to print exactly what the engine sends. */
export interface OvsCommandContext {
  /** The owner mark of new bridges whose op names none. */
  readonly owner: string;
  /** The datapath a new bridge gets when its options say `auto` or nothing. */
  readonly datapath: 'system' | 'netdev';
  /**
   * Ports known to sit on the dead VLAN before these ops (ports added by earlier ops of the same
   * plan are tracked here as the ops are printed): binding such a port to a real tag also clears
   * its trunk settings, as `setPortTagOps` does. Updated in place.
   */
  readonly deadPorts?: Set<string>;
}

/** A word as ovs-vsctl reads an atom: bare when plain, else a double-quoted string. */
function atom(v: string): string {
  return /^[A-Za-z0-9_.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
}

function mapWords(column: string, m: Readonly<Record<string, string>>): string[] {
  return Object.entries(m).map(([k, v]) => `${column}:${atom(k)}=${atom(v)}`);
}

/**
 * The `ovs-vsctl` commands a person would type for the same change, one argv per op (an op that
 * changes nothing prints nothing): `--may-exist add-br` with the bridge's settings and marks,
 * `--if-exists del-br`, `add-port … -- set Interface … -- set Port …`, `set Port … tag=…`,
 * `set Interface … external_ids:…`, `--if-exists del-port`. Each waits for ovs-vswitchd, as the
 * engine's transaction does. Pure.
 *
 * @throws {InvalidInputError} for a bad op (see {@link validateOvsOps})
 */
export function ovsOpCommands(ops: readonly OvsOp[], ctx: OvsCommandContext): string[][] {
  validateOvsOps(ops);
  const dead = ctx.deadPorts ?? new Set<string>();
  const out: string[][] = [];
  for (const o of ops) {
    switch (o.op) {
      case 'bridge.ensure': {
        const want = o.options ?? {};
        const have = o.observed;
        if (have) {
          const words = settingsWords(want, have);
          if (words.length > 0) out.push(['ovs-vsctl', 'set', 'Bridge', o.name, ...words]);
          break;
        }
        const mark = [`external_ids:${OWNER_KEY}=${atom(o.owner ?? ctx.owner)}`];
        out.push([
          'ovs-vsctl',
          '--may-exist',
          'add-br',
          o.name,
          '--',
          'set',
          'Bridge',
          o.name,
          `datapath_type=${datapathOf(want, ctx)}`,
          ...settingsWords(want, null),
          ...mark,
          '--',
          'set',
          'Port',
          o.name,
          ...mark,
          '--',
          'set',
          'Interface',
          o.name,
          ...mark,
        ]);
        break;
      }
      case 'bridge.del':
        out.push(['ovs-vsctl', '--if-exists', 'del-br', o.name]);
        break;
      case 'port.add': {
        const s = o.spec;
        const iface = [
          ...(s.type && s.type !== 'system' ? [`type=${s.type}`] : []),
          ...mapWords('options', s.options ?? {}),
          ...(s.mtuRequest !== undefined ? [`mtu_request=${s.mtuRequest}`] : []),
          ...mapWords('external_ids', { ...s.externalIds, [OWNER_KEY]: o.owner }),
        ];
        const vlan = wantedVlan(s);
        const port = [
          ...(vlan.tag !== undefined ? [`tag=${vlan.tag}`] : []),
          ...(vlan.vlanMode ? [`vlan_mode=${vlan.vlanMode}`] : []),
          ...(vlan.trunks && vlan.trunks.length > 0 ? [`trunks=${vlan.trunks.join(',')}`] : []),
          ...mapWords('external_ids', { ...s.portExternalIds, [OWNER_KEY]: o.owner }),
        ];
        out.push([
          'ovs-vsctl',
          'add-port',
          o.bridge,
          s.name,
          '--',
          'set',
          'Interface',
          s.name,
          ...iface,
          '--',
          'set',
          'Port',
          s.name,
          ...port,
        ]);
        if (vlan.vlanMode === 'trunk' && sameList(vlan.trunks, [DEAD_VLAN_TAG])) dead.add(s.name);
        else dead.delete(s.name);
        break;
      }
      case 'port.tag':
        if (o.tag === DEAD_VLAN_TAG) {
          out.push(['ovs-vsctl', 'set', 'Port', o.name, `tag=${o.tag}`, 'vlan_mode=trunk', 'trunks=4095']);
          dead.add(o.name);
        } else if (dead.has(o.name)) {
          out.push([
            'ovs-vsctl',
            'set',
            'Port',
            o.name,
            `tag=${o.tag}`,
            '--',
            'clear',
            'Port',
            o.name,
            'vlan_mode',
            'trunks',
          ]);
          dead.delete(o.name);
        } else {
          out.push(['ovs-vsctl', 'set', 'Port', o.name, `tag=${o.tag}`]);
        }
        break;
      case 'iface.external_ids':
        out.push(['ovs-vsctl', 'set', 'Interface', o.name, ...mapWords('external_ids', o.externalIds)]);
        break;
      case 'port.del':
        out.push(['ovs-vsctl', '--if-exists', 'del-port', o.name]);
        dead.delete(o.name);
        break;
    }
  }
  return out;
}

// The `set Bridge` words for the settings of `want` that differ from `have` (all of them for a new
// bridge): what bridgeSettingsOps writes.
function settingsWords(want: BridgeOptions, have: BridgeSettings | null): string[] {
  const words: string[] = [];
  if (want.failMode && have?.failMode !== want.failMode) words.push(`fail_mode=${want.failMode}`);
  if (want.protocols) {
    const w = [...new Set(want.protocols)].sort();
    if (!have || !sameList(w, have.protocols)) words.push(`protocols=${w.join(',')}`);
  }
  const other = Object.entries(want.otherConfig ?? {}).filter(([k, v]) => have?.otherConfig[k] !== v);
  words.push(...mapWords('other_config', Object.fromEntries(other)));
  return words;
}

function sameList<T>(a: readonly T[] | undefined, b: readonly T[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
