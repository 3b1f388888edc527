// `tenantnet apply FILE [--json]`: converge this host to the topology file — observe, apply only the
// difference in dependency order (progress on stderr), remove what the previous apply of the
// topology had and the file no longer has, and record the applied model.
import { applyDeployment } from '../../deploy/index.js';
import { defineCommand } from '../command.js';
import { DeploymentFailedError, loadModel, progressTo, withExecutors } from '../deployment.js';

/** `tenantnet apply`: exit 0 when every change is done; 1 (naming the failed resource) otherwise. */
export const command = defineCommand({
  name: 'apply',
  summary: 'converge this host to a topology file',
  description:
    'Observes what exists, applies only the difference in dependency order, removes what the previous ' +
    'apply of the topology had and the file no longer has, and records the applied model. --json prints ' +
    '{"changes": N} (0 when the host already matched).',
  order: 20,
  define: (c) => c.argument('<file>', 'topology file (YAML or JSON)'),
  async run({ args: [file], globals }, out) {
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
