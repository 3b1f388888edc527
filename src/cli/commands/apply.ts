// `tenantnet apply FILE [--json]`: converge this host to the topology file — observe, apply only the
// difference in dependency order (progress on stderr), remove what the previous apply of the
// topology had and the file no longer has, and record the applied model.
import { applyDeployment } from '../../deploy/index.js';
import { defineCommand } from '../command.js';
import { DeploymentFailedError, loadModel, progressTo, withExecutors } from '../deployment.js';
import { withStore, withStoreOptions } from '../store.js';
import { applyWithStore, expectRevision, waitSeconds } from '../store-verbs.js';

/** `tenantnet apply`: exit 0 when every change is done; 1 (naming the failed resource) otherwise. */
export const command = defineCommand({
  name: 'apply',
  summary: 'converge this host to a topology file',
  description:
    'Observes what exists, applies only the difference in dependency order, removes what the previous ' +
    'apply of the topology had and the file no longer has, and records the applied model. --json prints ' +
    '{"changes": N} (0 when the host already matched). With --store URL: writes the topology to the ' +
    "store in one revision-checked transaction (an unchanged file writes nothing); each host's agent " +
    'converges its slice; --wait waits for them.',
  order: 20,
  define: (c) =>
    withStoreOptions(c.argument('<file>', 'topology file (YAML or JSON)'))
      .option(
        '--expect-revision <revision>',
        'with --store: apply only if the topology is still at this revision',
      )
      .option(
        '--wait [seconds]',
        'with --store: wait until every host reports the new generation (default 30 s)',
      ),
  async run({ args: [file], options, globals }, out) {
    if (options.store !== undefined) {
      const store = options.store;
      const expect = expectRevision(options.expectRevision);
      const wait = waitSeconds(options.wait);
      return withStore({ store, storePrefix: options.storePrefix }, (s) =>
        applyWithStore(
          s,
          file,
          {
            ...(expect !== undefined ? { expectRevision: expect } : {}),
            ...(wait !== undefined ? { waitSeconds: wait } : {}),
          },
          out,
        ),
      );
    }
    return withExecutors(globals, async (x) => {
      const { model } = await loadModel(file, x);
      out.progress(`applying ${model.topology}`);
      const result = await applyDeployment(model, x, {
        onProgress: progressTo(out),
        ovsdbSocket: globals.ovsdb,
      });
      if (!result.ok) throw new DeploymentFailedError(`apply of ${model.topology}`, result);
      out.result(
        { topology: model.topology, changes: result.changes, planned: result.planned.length },
        (r) =>
          r.changes === 0
            ? `${r.topology}: nothing to do (the host matches the file)`
            : `${r.topology}: applied, ${r.planned} change(s), ${r.changes} operation(s)`,
      );
      return 0;
    });
  },
});
