// OpenFlow on one bridge through ovs-ofctl, many flows per process, scoped by the owner's cookie.
// Neutron: ovs_lib.OVSBridge add_flow/mod_flow/delete_flows/dump_flows and DeferredOVSBridge.
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import {
  addFlowLine,
  COOKIE_ANY,
  cookieText,
  dumpFilter,
  type FlowEntry,
  type FlowFilter,
  type FlowSpec,
  filterLine,
  modFlowLine,
  parseDumpFlows,
} from './flow-text.js';
import { ovsName } from './names.js';
import { type OfctlExecutor, ofctlExecutor } from './ofctl.js';

export {
  addFlowLine,
  COOKIE_ANY,
  type FlowEntry,
  type FlowFilter,
  type FlowMatch,
  type FlowSpec,
  filterLine,
  flowKeys,
  modFlowLine,
  parseDumpFlows,
} from './flow-text.js';

/** Options for {@link OfctlFlows}. */
export interface OfctlFlowsOptions {
  /** Cookie for flows added without one, and the default filter of deletes; default random (as Neutron). */
  readonly cookie?: bigint;
  /** Environment for ovs-ofctl (e.g. `OVS_RUNDIR` of a private vswitchd, where it finds `BR.mgmt`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Send each batch as one atomic OpenFlow 1.4 bundle (default true). */
  readonly bundle?: boolean;
  /** Per-call timeout; default 10 s. */
  readonly timeoutMs?: number;
  /** Runs ovs-ofctl; default the real {@link ofctlExecutor}. */
  readonly executor?: OfctlExecutor;
}

/**
 * OpenFlow on one bridge through `ovs-ofctl`, many flows per process: the batch is validated
 * completely first, then fed on stdin to ONE `ovs-ofctl [--bundle] add-flows|mod-flows|del-flows BR -`
 * call, so a bad flow changes nothing. Deletes and modifies are scoped to a cookie (this object's
 * by default); a match can never widen that scope.
 */
export class OfctlFlows {
  /** The bridge. */
  readonly bridge: string;
  /** This bridge object's default cookie. */
  readonly cookie: bigint;
  private readonly opts: OfctlFlowsOptions;
  private readonly executor: OfctlExecutor;

  /** @throws {InvalidInputError} for a bad bridge name (a device name, not starting with `-`) or cookie */
  constructor(bridge: string, opts: OfctlFlowsOptions = {}) {
    this.bridge = ovsName(bridge, 'bridge name');
    this.cookie = opts.cookie ?? BigInt(`0x${randomBytes(8).toString('hex')}`) & ((1n << 63n) - 1n);
    cookieText(this.cookie, 'cookie');
    this.opts = opts;
    this.executor = opts.executor ?? ofctlExecutor;
  }

  private ofctl(args: string[], input?: string): Promise<string> {
    return this.executor.run(args, {
      timeoutMs: this.opts.timeoutMs ?? 10_000,
      ...(this.opts.env ? { env: this.opts.env } : {}),
      ...(input !== undefined ? { input } : {}),
    });
  }

  private async batch(verb: string, lines: string[], strict = false): Promise<void> {
    if (lines.length === 0) return;
    const flags = [...(this.opts.bundle === false ? [] : ['--bundle']), ...(strict ? ['--strict'] : [])];
    await this.ofctl([...flags, verb, this.bridge, '-'], `${lines.join('\n')}\n`);
  }

  /**
   * Adds flows in one call. Equivalent to: `ovs-ofctl --bundle add-flows BR -`.
   *
   * @throws {InvalidInputError} before anything runs; {@link ProcessError} from ovs-ofctl
   */
  async addFlows(flows: readonly FlowSpec[]): Promise<void> {
    await this.batch(
      'add-flows',
      list(flows, 'flows').map((f, i) => addFlowLine(f, this.cookie, `flows[${i}]`)),
    );
  }

  /**
   * Modifies the actions of matching flows in one call (strict: exact match and priority).
   * Flows that match nothing are added, as OpenFlow's modify does. Equivalent to:
   * `ovs-ofctl --bundle [--strict] mod-flows BR -`.
   */
  async modFlows(
    flows: readonly (FlowFilter & Pick<FlowSpec, 'actions'>)[],
    opts: { strict?: boolean } = {},
  ): Promise<void> {
    const strict = opts.strict ?? false;
    await this.batch(
      'mod-flows',
      list(flows, 'flows').map((f, i) => modFlowLine(f, strict, this.cookie, `flows[${i}]`)),
      strict,
    );
  }

  /**
   * Deletes matching flows in one call. A filter without a cookie deletes only this object's flows
   * (its cookie); `cookie: COOKIE_ANY` deletes regardless of cookie (`[{ cookie: COOKIE_ANY }]` is
   * every flow of the bridge). Equivalent to: `ovs-ofctl --bundle [--strict] del-flows BR -`.
   */
  async deleteFlows(filters: readonly FlowFilter[], opts: { strict?: boolean } = {}): Promise<void> {
    const strict = opts.strict ?? false;
    await this.batch(
      'del-flows',
      list(filters, 'filters').map((f, i) => filterLine(f, strict, this.cookie, `filters[${i}]`)),
      strict,
    );
  }

  /** Deletes every flow carrying `cookie` (default this object's). */
  deleteFlowsByCookie(cookie: bigint = this.cookie): Promise<void> {
    return this.deleteFlows([{ cookie }]);
  }

  /** Deletes every flow of the bridge, whoever added it. Equivalent to: `ovs-ofctl del-flows BR`. */
  deleteAllFlows(): Promise<void> {
    return this.deleteFlows([{ cookie: COOKIE_ANY }]);
  }

  /** The bridge's flows, optionally only one table and/or one cookie. Equivalent to: `ovs-ofctl dump-flows BR`. */
  async dumpFlows(filter: { table?: number; cookie?: bigint } = {}): Promise<FlowEntry[]> {
    const sel = dumpFilter(filter);
    return parseDumpFlows(await this.ofctl(['dump-flows', this.bridge, ...(sel ? [sel] : [])]));
  }
}

function list<T>(value: readonly T[], where: string): readonly T[] {
  if (!Array.isArray(value)) throw new InvalidInputError(`${where}: must be an array`, where);
  return value;
}
