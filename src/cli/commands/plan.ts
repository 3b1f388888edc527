// `tenantnet plan FILE [--json] [--commands]`: what apply would do, changing nothing — grouped by
// resource, as JSON, or as the commands a person would type (rendered from the very operations apply
// runs, in apply order).
import { planDeployment } from '../../deploy/index.js';
import { planJson, planScript, type RenderedPlan, renderChanges } from '../../reconcile/index.js';
import { defineCommand } from '../command.js';
import { loadModel, withExecutors } from '../deployment.js';
import { withStore, withStoreOptions } from '../store.js';
import { planWithStore } from '../store-verbs.js';

/** Two rendered plans one after the other (the DHCP clients' round comes after the rest). */
function joined(a: RenderedPlan, b: RenderedPlan): RenderedPlan {
  return {
    changes: a.changes + b.changes,
    commands: [...a.commands, ...b.commands],
    summary: [...a.summary, ...b.summary],
  };
}

/** `tenantnet plan`: exit 0 (whether or not anything would change). */
export const command = defineCommand({
  name: 'plan',
  summary: 'show what apply would do to this host, changing nothing',
  description:
    'Observes the host and prints what `tenantnet apply FILE` would change, grouped by resource; ' +
    '--json prints {"changes": N, "operations": [...]}; --commands prints the plan as the commands a ' +
    'person would type (a bash script), in apply order. With --store URL: the keys an apply would write ' +
    'to the store, per host, and the revision they were computed at ({"revision": R, "changes": N, ' +
    '"hosts": {...}}); hosts without a live agent are warned about.',
  order: 10,
  define: (c) =>
    withStoreOptions(
      c
        .argument('<file>', 'topology file (YAML or JSON)')
        .option('--commands', 'print the plan as shell commands'),
    ),
  async run({ args: [file], options, globals }, out) {
    if (options.store !== undefined) {
      const store = options.store;
      return withStore({ store, storePrefix: options.storePrefix }, (s) => planWithStore(s, file, out));
    }
    return withExecutors(globals, async (x) => {
      const { model } = await loadModel(file, x);
      out.progress(`observing the host for ${model.topology}`);
      const plan = await planDeployment(model, x, { ovsdbSocket: globals.ovsdb });
      const rendered = joined(
        renderChanges(plan.changes, x.host, { datapath: 'netdev' }),
        renderChanges(plan.clients, x.host, { datapath: 'netdev' }),
      );
      if (options.commands && !globals.json) {
        out.result(rendered, (r) => planScript(r));
        return 0;
      }
      out.result(planJson(rendered), () =>
        rendered.summary.length === 0
          ? `${model.topology}: nothing to do (the host matches the file)`
          : [
              `${model.topology}: ${rendered.summary.length} change(s), ${rendered.changes} operation(s)`,
              ...rendered.summary.map((s) => `  ${s}`),
            ].join('\n'),
      );
      return 0;
    });
  },
});
