// `tenantnet cleanup [--dry-run]`: remove everything any tenantnet topology left on this host that no
// applied topology wants (leftovers of crashed runs included), and nothing else.
// Neutron: neutron-netns-cleanup and neutron-ovs-cleanup.
import { cleanupHost } from '../../deploy/index.js';
import { defineCommand } from '../command.js';
import { DeploymentFailedError, progressTo, withExecutors } from '../deployment.js';

/** `tenantnet cleanup`: exit 0 when everything found was removed (or, with --dry-run, listed). */
export const command = defineCommand({
  name: 'cleanup',
  summary: 'remove what tenantnet left on this host that no applied topology wants',
  description:
    'Finds every topology whose marks are on this host (namespaces, OVS rows, links, dnsmasq state, ' +
    'records) but that is not recorded as applied, and removes all of it; foreign namespaces, ports ' +
    'and rules are never touched. --dry-run lists what would go.',
  order: 70,
  define: (c) => c.option('--dry-run', 'list what would be removed, change nothing'),
  async run({ options, globals }, out) {
    return withExecutors(globals, async (x) => {
      const dryRun = options.dryRun ?? false;
      const r = await cleanupHost(x, { dryRun, onProgress: progressTo(out), ovsdbSocket: globals.ovsdb });
      if (!r.ok) {
        throw new DeploymentFailedError('cleanup', {
          changes: r.changes,
          planned: [],
          ok: false,
          results: [],
        });
      }
      out.result(r, (v) =>
        v.removed.length === 0
          ? 'nothing to clean up'
          : [
              `${v.dryRun ? 'would remove' : 'removed'} (${v.topologies.join(', ') || 'state files'}):`,
              ...v.removed.map((s) => `  ${s}`),
            ].join('\n'),
      );
      return 0;
    });
  },
});
