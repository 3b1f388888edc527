// `tenantnet status [FILE] [--json]`: every resource with its kernel names and health — routers with
// namespace and ports, networks with their DHCP namespace and dnsmasq PID, instances with namespace,
// device, IP, MAC and floating IP — and drift between the file and the host. Without FILE: every
// topology recorded on this host, against its recorded model.
import {
  type DeploymentStatus,
  deploymentStatus,
  readRecordedModel,
  recordedTopologies,
} from '../../deploy/index.js';
import type { Model } from '../../model/index.js';
import { defineCommand } from '../command.js';
import { loadModel, withExecutors } from '../deployment.js';
import { withStore, withStoreOptions } from '../store.js';
import { statusWithStore } from '../store-verbs.js';

const mark = (healthy: boolean) => (healthy ? 'ok  ' : 'BAD ');

/** A deployment's status as text. Pure. */
export function statusText(s: DeploymentStatus): string {
  const out: string[] = [`topology ${s.topology} (${s.backend}): ${s.healthy ? 'healthy' : 'NOT healthy'}`];
  const problems = (p: readonly string[]) => {
    for (const x of p) out.push(`        ! ${x}`);
  };
  out.push('  networks');
  for (const n of s.networks) {
    const dhcp = n.dhcp ? `dhcp ${n.dhcp.namespace} pid ${n.dhcp.pid ?? '-'}` : 'no dhcp';
    out.push(`    ${mark(n.healthy)}${n.name} ${n.cidrs.join(' ')} bridge ${n.bridge ?? '-'} ${dhcp}`);
    problems(n.problems);
  }
  if (s.routers.length > 0) out.push('  routers');
  for (const r of s.routers) {
    out.push(`    ${mark(r.healthy)}${r.name} ${r.namespace}${r.gatewayIp ? ` gateway ${r.gatewayIp}` : ''}`);
    for (const p of r.ports)
      out.push(`          ${p.device} (${p.role}, ${p.network}) ${p.addresses.join(' ')}`);
    for (const f of r.floatingIps) out.push(`          floating ${f.address} -> ${f.instance}`);
    problems(r.problems);
  }
  if (s.instances.length > 0) out.push('  instances');
  for (const i of s.instances) {
    out.push(
      `    ${mark(i.healthy)}${i.name} ${i.namespace} ${i.device} ${i.ips.join(' ')} ${i.mac}${i.floatingIp ? ` floating ${i.floatingIp}` : ''} (${i.address})`,
    );
    problems(i.problems);
  }
  out.push(`  firewall ${mark(s.firewall.healthy).trim()} groups: ${s.firewall.groups.join(' ') || '-'}`);
  problems(s.firewall.problems);
  if (s.problems.length > 0) {
    out.push('  host');
    problems(s.problems);
  }
  return out.join('\n');
}

/** `tenantnet status`: exit 0 when the host matches the file(s) and everything is healthy, else 1. */
export const command = defineCommand({
  name: 'status',
  summary: 'show every resource of a topology on this host, with its health',
  description:
    'Shows routers (namespace, ports), networks (bridge, DHCP namespace, dnsmasq PID), instances ' +
    '(namespace, device, IP, MAC, floating IP) and the firewall, each with `healthy` and its `problems`, ' +
    'and flags drift between the file and the host. Without FILE: every topology applied on this host. ' +
    'Exit 0 when everything matches and is healthy, 1 otherwise. With --store URL: per host up or down ' +
    '(since when), generation applied, failures, dnsmasq PIDs, ports up; routers on a down host; drift.',
  order: 40,
  define: (c) => withStoreOptions(c.argument('[file]', 'topology file (default: every applied topology)')),
  async run({ args: [file], options, globals }, out) {
    if (options.store !== undefined) {
      const store = options.store;
      return withStore({ store, storePrefix: options.storePrefix }, (s) => statusWithStore(s, file, out));
    }
    return withExecutors(globals, async (x) => {
      const models: Model[] = [];
      if (file !== undefined) models.push((await loadModel(file, x)).model);
      else {
        for (const t of await recordedTopologies(x.files, x.host.stateDir)) {
          const m = await readRecordedModel(x.files, x.host.stateDir, t);
          if (m) models.push(m);
        }
      }
      const statuses: DeploymentStatus[] = [];
      for (const m of models) statuses.push(await deploymentStatus(m, x, { ovsdbSocket: globals.ovsdb }));
      const healthy = statuses.every((s) => s.healthy);
      if (file !== undefined) out.result(statuses[0]!, statusText);
      else
        out.result({ healthy, topologies: statuses }, (r) =>
          r.topologies.length === 0
            ? 'no topology is applied on this host'
            : r.topologies.map(statusText).join('\n\n'),
        );
      return healthy ? 0 : 1;
    });
  },
});
