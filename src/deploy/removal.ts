// What a topology left on this host that its model no longer wants, found by marks and names alone
// (no journal): namespaces of its name scheme, dnsmasq config directories under the state directory,
// switch rows and host links carrying its marks. Routers go through the L3 planner, instances through
// the instance planner, DHCP servers and network bridges as below. Neutron: the agents' resync
// removing what the server no longer lists, and netns-cleanup / ovs-cleanup for one topology.
import { posix } from 'node:path';
import { dhcpPaths } from '../dhcp/config.js';
import { observeInstance } from '../instance/observe.js';
import { planInstance } from '../instance/plan.js';
import type { InterfaceDriver } from '../interface/driver.js';
import type { IpOp } from '../ip/ops.js';
import { observeRouter } from '../l3/observe.js';
import { planRouter } from '../l3/plan.js';
import type { Model } from '../model/types.js';
import { type NamespaceKind, namespaceFor, parseNamespace } from '../net/naming.js';
import {
  type Owner,
  ownerMark,
  parseOwnerMark,
  type ResourceName,
  type TopologyName,
} from '../net/ownership.js';
import { deviceName, type NamespaceName, namespaceName } from '../net/types.js';
import type { OvsOp } from '../ovs/ovs-ops.js';
import type { Observation } from '../reconcile/observation.js';
import type { Change, Step } from '../reconcile/step.js';

/** A namespace-holding resource of a topology, as its namespace name says. */
export interface FoundResource {
  readonly kind: NamespaceKind;
  readonly name: ResourceName;
  readonly namespace: NamespaceName;
}

/** What of a topology a model wants, by namespace name and by network. */
export interface Wanted {
  readonly namespaces: ReadonlySet<string>;
  readonly networks: ReadonlySet<string>;
}

/** The namespaces and networks `model` wants on this host (namespaces carry `prefix`). Pure. */
export function wantedOf(model: Model, prefix: Observation['executors']['host']['netnsPrefix']): Wanted {
  const t = model.topology;
  const ns = new Set<string>();
  for (const r of model.routers) ns.add(namespaceFor('router', t, r.name, prefix));
  for (const i of model.instances) ns.add(namespaceFor('instance', t, i.name, prefix));
  for (const n of model.networks) if (n.dhcpPort) ns.add(namespaceFor('dhcp', t, n.name, prefix));
  return { namespaces: ns, networks: new Set(model.networks.map((n) => n.name)) };
}

/**
 * The namespace-holding resources of `topology` found on the host: namespaces of its name scheme
 * and dnsmasq config directories (a DHCP server whose namespace went, or never came), sorted.
 */
export async function foundResources(obs: Observation, topology: TopologyName): Promise<FoundResource[]> {
  const x = obs.executors;
  const prefix = x.host.netnsPrefix;
  const found = new Map<string, FoundResource>();
  const add = (name: string) => {
    const p = parseNamespace(name, prefix);
    if (p && p.topology === topology)
      found.set(name, { kind: p.kind, name: p.name, namespace: namespaceName(name) });
  };
  for (const ns of await obs.namespaces()) add(ns);
  for (const dir of await x.files.list(posix.join(x.host.stateDir, 'dhcp'))) add(dir);
  return [...found.values()].sort((a, b) => a.namespace.localeCompare(b.namespace));
}

/**
 * Is a namespace of the topology's name scheme tenantnet's? Its `lo` carries a mark of the topology,
 * or it holds nothing but an unmarked `lo` (made, then the apply was cut short). A namespace of the
 * scheme marked otherwise, or holding devices without a mark on `lo`, is someone else's.
 */
export async function isOurs(obs: Observation, f: FoundResource, topology: TopologyName): Promise<boolean> {
  const links = await obs.links(f.namespace);
  if (links === null) return true; // only its state directory is left: that is ours
  const lo = links.find((l) => l.name === 'lo');
  if (lo?.alias) return lo.alias.startsWith(`tenantnet:${topology}.`);
  return links.every((l) => l.name === 'lo');
}

/** The owner of a DHCP server's port: `<topology>.port.dhcp_<network>`. */
function dhcpPortOwner(topology: TopologyName, network: string): Owner {
  return { topology, kind: 'port', name: `dhcp_${network}` as ResourceName };
}

/**
 * The removal of a network's DHCP server found by name only: dnsmasq stopped by its pidfile (it
 * carries the namespace's name, the marker), its config files and directory, the port's switch rows
 * and host links, the namespace (unless its `lo` carries another owner's mark). Read-only here.
 */
export async function planDhcpServerRemoval(
  obs: Observation,
  found: FoundResource,
  topology: TopologyName,
): Promise<Change[]> {
  const x = obs.executors;
  const paths = dhcpPaths(x.host.stateDir, found.namespace);
  const mark = ownerMark(dhcpPortOwner(topology, found.name));
  const owner: Owner = { topology, kind: 'dhcp', name: found.name };
  const [pid, files, rows, host, links] = await Promise.all([
    obs.file(paths.pid),
    x.files.list(paths.dir),
    obs.ovs({ ownerPrefix: '' }),
    obs.namespace('host'),
    obs.links(found.namespace),
  ]);
  const steps: Step[] = [];
  if (pid !== null) {
    steps.push({
      via: 'process',
      phase: 'service',
      action: 'disable',
      service: {
        uuid: found.namespace,
        service: 'dnsmasq',
        place: 'host',
        pidfile: paths.pid,
        argv: ['dnsmasq'],
        mode: 'daemonizes',
      },
    });
  }
  for (const f of files)
    if (!(f === 'pid' && pid !== null))
      steps.push({ via: 'file', phase: 'service', path: `${paths.dir}/${f}`, content: null });
  if (files.length > 0)
    steps.push({ via: 'command', phase: 'service', place: 'host', argv: ['rmdir', paths.dir], okCodes: [1] });
  const ovs: OvsOp[] = [];
  for (const b of rows?.bridges ?? []) {
    for (const p of b.ports)
      if (p.owner === mark) ovs.push({ op: 'port.del', bridge: b.name, name: p.name, uuid: p.uuid });
  }
  if (ovs.length > 0) steps.push({ via: 'ovs', phase: 'port', ops: ovs });
  const hostLinks = (host?.links ?? []).filter((l) => l.owner === mark);
  if (hostLinks.length > 0) {
    steps.push({
      via: 'ip',
      phase: 'bridge',
      place: 'host',
      ops: hostLinks.map((l): IpOp => ({ op: 'link.del', name: l.name })),
    });
  }
  if (links !== null) {
    const lo = links.find((l) => l.name === 'lo');
    const foreign = lo?.alias?.startsWith('tenantnet:') && lo.alias !== `tenantnet:${ownerMark(owner)}`;
    if (!foreign)
      steps.push({
        via: 'ip',
        phase: 'namespace',
        place: 'host',
        ops: [{ op: 'netns.del', name: found.namespace }],
      });
  }
  if (steps.length === 0) return [];
  return [
    {
      resource: { topology, kind: 'dhcp', name: found.name },
      action: 'delete',
      summary: `- dhcp ${found.name}: dnsmasq, files, namespace ${found.namespace}`,
      steps,
    },
  ];
}

/**
 * The namespace of the resource a port belongs to, from the port's name: `vm_X` (instance X),
 * `dhcp_N` (network N's DHCP server), `qr_R_N` and `qg_R` (router R); null for another name. Pure.
 */
export function portParent(
  port: string,
  topology: TopologyName,
  prefix: Observation['executors']['host']['netnsPrefix'],
): string | null {
  const at = port.indexOf('_');
  if (at < 0) return null;
  const lead = port.slice(0, at);
  const rest = port.slice(at + 1);
  const kind: NamespaceKind | null =
    lead === 'vm' ? 'instance' : lead === 'dhcp' ? 'dhcp' : lead === 'qr' || lead === 'qg' ? 'router' : null;
  if (kind === null || rest === '') return null;
  // `qr_<router>_<network>`, `qg_<router>`, `dhcp_<network>` and, on many hosts, `dhcp_<network>_<host>`:
  // names are `[a-z0-9-]`, so the owner's name ends at the next `_`.
  const name = kind === 'instance' ? rest : rest.split('_')[0]!;
  try {
    return namespaceFor(kind, topology, name as ResourceName, prefix);
  } catch {
    return null;
  }
}

/**
 * Plans the removal of every namespace-holding resource of `topology` that `wanted` does not list,
 * and of host-place network bridges (links marked by one of its networks) it does not want.
 */
export async function planLeftovers(
  obs: Observation,
  topology: TopologyName,
  wanted: Wanted,
  driver: InterfaceDriver,
): Promise<Change[]> {
  const x = obs.executors;
  const candidates = (await foundResources(obs, topology)).filter((f) => !wanted.namespaces.has(f.namespace));
  const ours = await Promise.all(candidates.map((f) => isOurs(obs, f, topology)));
  const found = candidates.filter((_, i) => ours[i]);
  const parts = await Promise.all(
    found.map(async (f): Promise<Change[]> => {
      const owner: Owner = { topology, kind: f.kind === 'instance' ? 'instance' : f.kind, name: f.name };
      if (f.kind === 'router') {
        const observed = await observeRouter({ owner, namespace: f.namespace }, obs, driver);
        return planRouter(null, observed, { driver, executors: x });
      }
      if (f.kind === 'instance') {
        const observed = await observeInstance(
          { topology, name: f.name, prefix: x.host.netnsPrefix },
          obs,
          driver,
        );
        return planInstance(null, observed, { driver });
      }
      return planDhcpServerRemoval(obs, f, topology);
    }),
  );
  const host = await obs.namespace('host');
  const existing = new Set<string>(await obs.namespaces());
  const bridges: IpOp[] = [];
  const dangling: IpOp[] = [];
  for (const l of host?.links ?? []) {
    const o = l.owner ? parseOwnerMark(l.owner) : null;
    if (!o || o.topology !== topology) continue;
    if (o.kind === 'network' && !wanted.networks.has(o.name))
      bridges.push({ op: 'link.del', name: deviceName(l.name) });
    if (o.kind === 'port') {
      const parent = portParent(o.name, topology, x.host.netnsPrefix);
      // A port of a resource whose namespace is gone (or still going: a socket of a process that
      // lived there can hold a deleted namespace for minutes) and not wanted: its host links dangle.
      if (parent && !wanted.namespaces.has(parent) && !existing.has(parent)) {
        dangling.push({ op: 'link.del', name: deviceName(l.name) });
      }
    }
  }
  const changes = parts.flat();
  if (bridges.length > 0) {
    changes.push({
      resource: { topology, kind: 'host', name: 'networks' },
      action: 'delete',
      summary: `- network bridges ${bridges.map((b) => (b.op === 'link.del' ? b.name : '')).join(' ')}`,
      steps: [{ via: 'ip', phase: 'bridge', place: 'host', ops: bridges }],
    });
  }
  if (dangling.length > 0) {
    changes.push({
      resource: { topology, kind: 'host', name: 'ports' },
      action: 'delete',
      summary: `- host links of ports whose namespace is gone: ${dangling.map((b) => (b.op === 'link.del' ? b.name : '')).join(' ')}`,
      steps: [{ via: 'ip', phase: 'bridge', place: 'host', ops: dangling }],
    });
  }
  return changes;
}
