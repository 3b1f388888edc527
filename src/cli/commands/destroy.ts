// `tenantnet destroy FILE`: remove everything the topology made on this host (OVS rows before
// namespaces) and nothing else; running it twice is fine.
import { destroyDeployment } from '../../deploy/index.js';
import { topologyName } from '../../net/index.js';
import { loadTopology } from '../../topology/index.js';
import { defineCommand } from '../command.js';
import { DeploymentFailedError, progressTo, withExecutors } from '../deployment.js';
import { withStore, withStoreOptions } from '../store.js';
import { destroyWithStore } from '../store-verbs.js';

/** `tenantnet destroy`: exit 0 when everything of the topology is gone. */
export const command = defineCommand({
  name: 'destroy',
  summary: 'remove everything a topology made on this host',
  description:
    'Removes every namespace, port, bridge, firewall chain and set, dnsmasq and file the topology made ' +
    '(found by their marks and the recorded model; OVS rows before namespaces), and nothing else. ' +
    'Running it again does nothing. With --store URL: deletes the topology from the store in one ' +
    "revision-checked transaction; each host's agent tears down what it built.",
  order: 60,
  define: (c) => withStoreOptions(c.argument('<file>', 'topology file (only its name is needed)')),
  async run({ args: [file], options, globals }, out) {
    if (options.store !== undefined) {
      const store = options.store;
      return withStore({ store, storePrefix: options.storePrefix }, (s) => destroyWithStore(s, file, out));
    }
    const loaded = await loadTopology(file);
    const topology = topologyName(loaded.input.name);
    return withExecutors(globals, async (x) => {
      out.progress(`destroying ${topology}`);
      const result = await destroyDeployment(topology, x, {
        onProgress: progressTo(out),
        ovsdbSocket: globals.ovsdb,
      });
      if (!result.ok) throw new DeploymentFailedError(`destroy of ${topology}`, result);
      out.result({ topology, changes: result.changes, removed: result.planned.map((c) => c.summary) }, (r) =>
        r.changes === 0
          ? `${r.topology}: nothing to remove`
          : `${r.topology}: destroyed (${r.removed.length} change(s), ${r.changes} operation(s))`,
      );
      return 0;
    });
  },
});
