// `tenantnet verify FILE [--json]`: every check of the topology file proved with real traffic (ICMP,
// TCP, UDP from the `from` instance's namespace; echo servers started for the checks and stopped
// afterwards), printed as a table; the results are kept in the state directory for `graph`.
import { verifyPath } from '../../deploy/index.js';
import { runChecks, type VerifyReport, verifyReport } from '../../verify/index.js';
import { defineCommand } from '../command.js';
import { loadModel, withExecutors } from '../deployment.js';
import type { Output } from '../output.js';
import { withStore, withStoreOptions } from '../store.js';
import { verifyWithStore } from '../store-verify.js';

/**
 * Prints a verify report (one host's or many hosts'): `{passed, failed, checks}` with `--json`, else
 * {@link verifyTable}. Returns the exit code: 0 when every check met its expectation, else 1.
 */
export function printVerifyReport(out: Output, report: VerifyReport): number {
  out.result(
    {
      passed: report.passed,
      failed: report.failed,
      checks: report.checks.map((c) => ({
        from: c.from,
        to: c.to,
        protocol: c.protocol,
        port: c.port,
        expect: c.expect,
        result: c.result,
        observed: c.observed,
        detail: c.detail,
      })),
    },
    () => verifyTable(report),
  );
  return report.failed === 0 ? 0 : 1;
}

/** The results as a table, one row per check. Pure. */
export function verifyTable(r: VerifyReport): string {
  const rows = r.checks.map((c) => [
    c.result === 'fail' ? 'FAIL' : 'ok',
    c.from,
    c.to,
    `${c.protocol}${c.port === null ? '' : `/${c.port}`}`,
    c.expect,
    c.observed,
    c.detail,
  ]);
  const head = ['', 'from', 'to', 'protocol', 'expect', 'seen', 'detail'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line), '', `${r.passed} passed, ${r.failed} failed`].join('\n');
}

/** `tenantnet verify`: exit 0 only if every check met its expectation. */
export const command = defineCommand({
  name: 'verify',
  summary: "prove a topology's checks with real packets",
  description:
    'Runs every check of the topology file with real traffic from the `from` namespace (ping, TCP and UDP ' +
    'probes against echo servers started for the check and stopped afterwards) and prints a table; --json ' +
    'prints {"passed": N, "failed": M, "checks": [...]}. Exit 0 only if every check met its expectation. ' +
    'With --store URL: the checks run across hosts (the agents owning each end start the probes there).',
  order: 30,
  define: (c) => withStoreOptions(c.argument('<file>', 'topology file (YAML or JSON)')),
  async run({ args: [file], options, globals }, out) {
    if (options.store !== undefined) {
      const store = options.store;
      return withStore({ store, storePrefix: options.storePrefix }, (s) => verifyWithStore(s, file, out));
    }
    return withExecutors(globals, async (x) => {
      const { model, checks } = await loadModel(file, x);
      out.progress(`verifying ${model.topology}: ${checks.length} check(s)`);
      const results = await runChecks(checks, {
        netnsPrefix: globals.netnsPrefix,
        onResult: (c) =>
          out.progress(`${c.result === 'fail' ? 'FAIL' : 'ok'} ${c.from} -> ${c.to} ${c.protocol}`),
      });
      const report = verifyReport(results);
      await x.files.write(
        verifyPath(x.host.stateDir, model.topology),
        `${JSON.stringify(report, null, 2)}\n`,
        0o644,
      );
      return printVerifyReport(out, report);
    });
  },
});
