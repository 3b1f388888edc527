// The status of one host's deployment: every resource of the model with its kernel names and health,
// from the same plan apply would make (what apply would change is drift), so status and apply can
// never disagree. Neutron: `openstack network agent list` / port status, for one host, from the kernel.
import { networkBridge } from '../interface/layout.js';
import { OvsInterfaceDriver } from '../interface/ovs.js';
import type { Model } from '../model/types.js';
import type { Executors } from '../reconcile/executors.js';
import type { Change } from '../reconcile/step.js';
import { type DeploymentOptions, planDeployment } from './plan.js';

/** Health shared by every resource's status. */
export interface Health {
  /** True when `problems` is empty. */
  readonly healthy: boolean;
  /** What is wrong, one line each (a missing namespace, a dead dnsmasq, a missing port, drift…). */
  readonly problems: readonly string[];
}

/** A network's status. */
export interface NetworkStatus extends Health {
  readonly name: string;
  readonly cidrs: readonly string[];
  /** The network's bridge: `brq<id>` (Linux bridge) or the integration bridge (OVS). */
  readonly bridge: string | null;
  /** The DHCP server: its namespace, dnsmasq's PID (null: not running) and health. */
  readonly dhcp: {
    readonly namespace: string;
    readonly pid: number | null;
    readonly healthy: boolean;
  } | null;
}

/** A router's status. */
export interface RouterStatus extends Health {
  readonly name: string;
  readonly namespace: string;
  /** Its ports: device, role, network, addresses (as found on the host; wanted when missing). */
  readonly ports: readonly {
    readonly device: string;
    readonly role: 'internal' | 'gateway';
    readonly network: string;
    readonly addresses: readonly string[];
  }[];
  readonly gatewayIp: string | null;
  readonly floatingIps: readonly { readonly address: string; readonly instance: string }[];
}

/** An instance's status. */
export interface InstanceStatus extends Health {
  readonly name: string;
  readonly namespace: string;
  readonly device: string;
  readonly network: string;
  /** The model's fixed IPs. */
  readonly ips: readonly string[];
  /** The addresses the device holds now. */
  readonly addresses: readonly string[];
  readonly mac: string;
  readonly floatingIp: string | null;
  readonly address: 'static' | 'dhcp';
}

/** A deployment's status on this host. */
export interface DeploymentStatus extends Health {
  readonly topology: string;
  readonly backend: Model['backend'];
  readonly networks: readonly NetworkStatus[];
  readonly routers: readonly RouterStatus[];
  readonly instances: readonly InstanceStatus[];
  /** The topology's security groups on the host (the firewall as one resource). */
  readonly firewall: Health & { readonly groups: readonly string[] };
  /** What the topology left on the host that the model does not want (apply removes it). */
  readonly leftovers: readonly string[];
  /** State-changing changes apply would make now (0: the host matches the file). */
  readonly drift: number;
}

/** Which resource of the status a change is about: `instance/web1`, `router/r1`, `network/web`, … */
function statusKey(c: Change, model: Model): string {
  const r = c.resource;
  const name = r.name;
  if (r.kind === 'port') {
    if (name.startsWith('vm_')) return `instance/${name.slice(3)}`;
    if (name.startsWith('dhcp_')) return `network/${name.slice(5)}`;
    if (name.startsWith('qg_')) return `router/${name.slice(3)}`;
    if (name.startsWith('qr_')) return `router/${name.slice(3).split('_')[0]}`;
  }
  if (r.kind === 'dhcp' || r.kind === 'network') return `network/${name}`;
  if (r.kind === 'router' || r.kind === 'instance') return `${r.kind}/${name}`;
  if (r.kind === 'host' && name === 'firewall') return 'firewall';
  void model;
  return `host/${name}`;
}

/**
 * Every resource of `model` on this host, with its kernel names and health: routers with their
 * namespace and ports, networks with their bridge and DHCP namespace and dnsmasq PID, instances with
 * namespace, device, addresses, MAC and floating IP, the firewall, and what apply would change
 * (drift, each change listed as a problem of its resource) or remove (leftovers). Read-only: it is
 * the plan `apply` would make, not applied.
 */
export async function deploymentStatus(
  model: Model,
  executors: Executors,
  opts: DeploymentOptions = {},
): Promise<DeploymentStatus> {
  const plan = await planDeployment(model, executors, opts);
  const problems = new Map<string, string[]>();
  const add = (key: string, p: string) => {
    const list = problems.get(key) ?? [];
    if (!list.includes(p)) list.push(p);
    problems.set(key, list);
  };
  const wanted = new Set<string>([
    ...model.networks.map((n) => `network/${n.name}`),
    ...model.routers.map((r) => `router/${r.name}`),
    ...model.instances.map((i) => `instance/${i.name}`),
    'firewall',
  ]);
  const leftovers: string[] = [];
  for (const c of [...plan.changes, ...plan.clients]) {
    const key = statusKey(c, model);
    if (c.action === 'delete' && !wanted.has(key)) leftovers.push(c.summary);
    else add(wanted.has(key) ? key : 'host', `apply would: ${c.summary.replace(/^[-+~] /, '')}`);
  }

  const fips = new Map<string, string>();
  for (const r of model.routers) for (const f of r.floatingIps) fips.set(f.instance, f.address);
  const health = (key: string, first: readonly string[] = []): Health => {
    const list = [...first, ...(problems.get(key) ?? [])];
    return { healthy: list.length === 0, problems: list };
  };

  const networks = model.networks.map((n): NetworkStatus => {
    const d = plan.observed.dhcp.get(n.name);
    const own: string[] = [];
    let dhcp: NetworkStatus['dhcp'] = null;
    if (d) {
      if (d.namespace === null) own.push(`DHCP namespace ${d.layout.namespace} is missing`);
      if (d.process === null)
        own.push(d.pidfile === null ? 'dnsmasq is not running' : `dnsmasq (pid ${d.pidfile}) is dead`);
      dhcp = {
        namespace: d.layout.namespace,
        pid: d.process?.pid ?? null,
        healthy: d.namespace !== null && d.process !== null,
      };
    }
    const layout =
      plan.driver instanceof OvsInterfaceDriver
        ? plan.driver.bridge
        : plan.driver.kind === 'linuxbridge'
          ? (networkBridge(n) as string)
          : null;
    return {
      name: n.name,
      cidrs: n.subnets.map((s) => s.cidr),
      bridge: layout,
      dhcp,
      ...health(`network/${n.name}`, own),
    };
  });

  const routers = model.routers.map((r): RouterStatus => {
    const seen = plan.observed.routers.get(r.name);
    const own: string[] = [];
    const links = seen?.observed.state?.links ?? [];
    if (seen && seen.observed.state === null) own.push(`namespace ${seen.spec.namespace} is missing`);
    const ports = [
      ...(seen?.spec.interfaces ?? []),
      ...(seen?.spec.gateway ? [seen.spec.gateway.port] : []),
    ].map((p) => {
      const link = links.find((l) => l.name === p.request.device);
      if (seen?.observed.state && !link) own.push(`port ${p.request.device} is missing`);
      return {
        device: p.request.device as string,
        role: p.role,
        network: p.request.network.owner.name as string,
        addresses: link
          ? link.addresses.filter((a) => a.scope === 'global').map((a) => a.cidr as string)
          : [...p.cidrs],
      };
    });
    return {
      name: r.name,
      namespace: seen?.spec.namespace ?? '',
      ports,
      gatewayIp: r.gateway?.ip ?? null,
      floatingIps: r.floatingIps.map((f) => ({ address: f.address, instance: f.instance })),
      ...health(`router/${r.name}`, own),
    };
  });

  const instances = model.instances.map((i): InstanceStatus => {
    const seen = plan.observed.instances.get(i.name);
    const own: string[] = [];
    const state = seen?.observed.state ?? null;
    const device = seen?.spec.request.device ?? 'eth0';
    const link = state?.links.find((l) => l.name === device);
    if (seen && state === null) own.push(`namespace ${seen.spec.namespace} is missing`);
    else if (!link) own.push(`device ${device} is missing`);
    else if (!link.up) own.push(`device ${device} is down`);
    const addresses = link
      ? link.addresses.filter((a) => a.scope === 'global').map((a) => a.cidr as string)
      : [];
    for (const f of i.port.fixedIps) {
      if (link && !addresses.some((a) => a.split('/')[0] === f.address))
        own.push(`device ${device} does not hold ${f.address}`);
    }
    return {
      name: i.name,
      namespace: seen?.spec.namespace ?? '',
      device,
      network: i.network,
      ips: i.port.fixedIps.map((f) => f.address),
      addresses,
      mac: i.port.mac,
      floatingIp: fips.get(i.name) ?? null,
      address: i.address,
      ...health(`instance/${i.name}`, own),
    };
  });

  const firewall = { groups: model.securityGroups.map((g) => g.name as string), ...health('firewall') };
  const host = health('host');
  const all = [...networks, ...routers, ...instances, firewall, host];
  const top = [...host.problems, ...leftovers.map((l) => `left over: ${l.replace(/^- /, '')}`)];
  return {
    topology: model.topology,
    backend: model.backend,
    networks,
    routers,
    instances,
    firewall,
    leftovers,
    drift: plan.changes.length + plan.clients.length,
    healthy: all.every((r) => r.healthy) && leftovers.length === 0,
    problems: top,
  };
}
