// `tenantnet demo`: the main job — applies examples/demo.yaml (two tenant networks behind a router with
// SNAT, an upstream instance on the external network, a floating IP, DHCP, two security groups),
// proves every check with real packets, prints the status, and destroys it again unless --keep.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyDeployment,
  type DeploymentStatus,
  deploymentStatus,
  destroyDeployment,
  firstFailure,
  tracesOnHost,
  verifyPath,
} from '../../deploy/index.js';
import { Observation } from '../../reconcile/index.js';
import { runChecks, type VerifyReport, verifyReport } from '../../verify/index.js';
import { defineCommand } from '../command.js';
import { loadModel, progressTo, withExecutors } from '../deployment.js';
import { statusText } from './status.js';
import { verifyTable } from './verify.js';

/** examples/demo.yaml of this package (found from src/ and from dist/src/). */
export function demoFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const f = join(dir, 'examples', 'demo.yaml');
    if (existsSync(f)) return f;
    dir = dirname(dir);
  }
  return join(process.cwd(), 'examples', 'demo.yaml');
}

/** What the demo did, printed as JSON with `--json`. */
export interface DemoResult {
  readonly topology: string;
  readonly file: string;
  readonly apply: { readonly changes: number; readonly ok: boolean; readonly error: string | null };
  readonly verify: VerifyReport | null;
  readonly status: DeploymentStatus | null;
  /** Destroyed at the end (false with --keep). */
  readonly destroyed: boolean;
  /** What of the topology is still on the host after the destroy (empty: nothing). */
  readonly leftovers: readonly string[];
  readonly ok: boolean;
}

/** `tenantnet demo`: exit 0 only if every check met its expectation and nothing is left behind. */
export const command = defineCommand({
  name: 'demo',
  summary: 'apply examples/demo.yaml, verify it with real packets, show its status, destroy it',
  description:
    'The main job: applies examples/demo.yaml (or --file), runs every check with real traffic, prints ' +
    'the status, then destroys the topology again unless --keep. Exit 0 only if every check met its ' +
    'expectation and (without --keep) nothing of it is left. Needs root and, for the OVS backend, a ' +
    'running Open vSwitch (bash scripts/setup.sh starts it).',
  order: 5,
  define: (c) =>
    c
      .option('--file <file>', 'the topology to demonstrate (default examples/demo.yaml)')
      .option('--keep', 'leave the topology applied (tenantnet destroy FILE removes it)'),
  async run({ options, globals }, out) {
    const file = options.file ?? demoFile();
    return withExecutors(globals, async (x) => {
      const { model, checks } = await loadModel(file, x);
      const topology = model.topology;
      let verify: VerifyReport | null = null;
      let status: DeploymentStatus | null = null;
      let destroyed = false;
      out.info(`demo: applying ${file} (topology ${topology}, backend ${model.backend})`);
      const applied = await applyDeployment(model, x, {
        onProgress: progressTo(out),
        ovsdbSocket: globals.ovsdb,
      });
      const apply = {
        changes: applied.changes,
        ok: applied.ok,
        error: applied.ok ? null : firstFailure(applied),
      };
      try {
        if (applied.ok) {
          out.info(
            `demo: applied (${applied.changes} operations); verifying ${checks.length} checks with real packets`,
          );
          verify = verifyReport(
            await runChecks(checks, {
              netnsPrefix: globals.netnsPrefix,
              onResult: (c) =>
                out.progress(`${c.result === 'fail' ? 'FAIL' : 'ok'} ${c.from} -> ${c.to} ${c.protocol}`),
            }),
          );
          await x.files.write(
            verifyPath(x.host.stateDir, topology),
            `${JSON.stringify(verify, null, 2)}\n`,
            0o644,
          );
          if (!globals.json) out.info(verifyTable(verify));
          status = await deploymentStatus(model, x, { ovsdbSocket: globals.ovsdb });
          if (!globals.json) out.info(statusText(status));
        } else {
          out.warn(`apply failed: ${apply.error}`);
        }
      } finally {
        if (!options.keep) {
          out.info(`demo: destroying ${topology}`);
          destroyed = (await destroyDeployment(topology, x, { onProgress: progressTo(out) })).ok;
        }
      }
      const leftovers = options.keep
        ? []
        : (await tracesOnHost(new Observation(x))).filter((t) => t.topology === topology).map((t) => t.what);
      const ok =
        applied.ok &&
        verify !== null &&
        verify.failed === 0 &&
        (status?.healthy ?? false) &&
        (options.keep || (destroyed && leftovers.length === 0));
      const result: DemoResult = { topology, file, apply, verify, status, destroyed, leftovers, ok };
      out.result(result, (r) =>
        r.ok
          ? `demo ok: ${r.verify?.passed} checks met their expectation${options.keep ? '; kept applied' : ', destroyed, nothing left behind'}`
          : `demo FAILED${r.apply.error ? `: ${r.apply.error}` : ''}${r.verify ? ` (${r.verify.failed} check(s) failed)` : ''}${r.leftovers.length > 0 ? ` (left on the host: ${r.leftovers.join(', ')})` : ''}`,
      );
      return ok ? 0 : 1;
    });
  },
});
