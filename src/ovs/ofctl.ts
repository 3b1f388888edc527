// The one seam between OpenFlow and the system: run `ovs-ofctl ARGS` with a batch on stdin.
// Neutron: ovs_lib's run_ofctl (utils.execute with process_input).
import { run } from '../exec/run.js';

/** How one `ovs-ofctl` call runs. */
export interface OfctlRunOptions {
  /** Written to its stdin (a batch of flows for `… -`). */
  readonly input?: string;
  /** Environment (e.g. `OVS_RUNDIR` of a private vswitchd, where it finds `BR.mgmt`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Timeout in ms. */
  readonly timeoutMs?: number;
}

/** Runs ovs-ofctl; {@link ofctlExecutor} is the real one, unit tests pass a fake. */
export interface OfctlExecutor {
  /**
   * Runs `ovs-ofctl ARGS`; resolves with its stdout.
   *
   * @throws {ProcessError} when it exits non-zero (its stderr says why)
   */
  run(args: readonly string[], opts?: OfctlRunOptions): Promise<string>;
}

/** The real executor: one `ovs-ofctl` process per call (argv only, no shell). */
export const ofctlExecutor: OfctlExecutor = {
  async run(args, opts = {}) {
    const r = await run(['ovs-ofctl', ...args], {
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.input !== undefined ? { input: opts.input } : {}),
    });
    return r.stdout;
  },
};
