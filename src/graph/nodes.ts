// The nodes and links of one resource each: a network (its subnets, DHCP and dnsmasq), a router (its
// namespace, SNAT, extra routes; its interface and gateway links), an instance (namespace, addresses,
// MAC, floating IP, security groups; its port link). Kernel names come from net/naming.ts, so the
// picture names what `ip netns` lists. Horizon's topology view draws the same boxes from the API.
import type { FloatingIp, Instance, Network, Router } from '../model/types.js';
import { deviceFor, type NetnsPrefix, namespaceFor } from '../net/naming.js';
import { ownerMark } from '../net/ownership.js';
import type { Overlay } from './overlay.js';
import type { GraphEdge, GraphNode } from './types.js';

/** Extra routes drawn on a router's box; the rest are counted. */
const ROUTES_DRAWN = 6;

/** What every builder needs: the topology's namespace prefix and the overlay (null: plan only). */
export interface BuildContext {
  readonly prefix: NetnsPrefix;
  readonly overlay: Overlay | null;
}

/** The node of a network (or external network). Pure. */
export function networkNode(net: Network, ctx: BuildContext): GraphNode {
  const topology = net.owner.topology;
  const mixedDhcp = net.subnets.some((s) => s.dhcp) && net.subnets.some((s) => !s.dhcp);
  const label: string[] = [net.external ? `${net.name} (external)` : net.name];
  for (const s of net.subnets) {
    const gw = s.gateway ? `gateway ${s.gateway}` : 'no gateway';
    label.push(`${s.cidr}, ${gw}${mixedDhcp && !s.dhcp ? ', no DHCP' : ''}`);
  }
  const dhcpNamespace = net.dhcp ? namespaceFor('dhcp', topology, net.name, ctx.prefix) : null;
  const dhcpAddresses = net.dhcpPort?.fixedIps.map((f) => f.address) ?? [];
  label.push(net.dhcp ? `DHCP on: ${dhcpNamespace} ${dhcpAddresses.join(' ')}` : 'DHCP off');
  const extras: string[] = [];
  if (net.mtu !== 1500) extras.push(`MTU ${net.mtu}`);
  if (net.vni !== null) extras.push(`VNI ${net.vni}`);
  if (extras.length > 0) label.push(extras.join(', '));

  const dnsmasq = net.dhcp ? ctx.overlay?.dhcp(net.name) : undefined;
  const dhcpProblems: string[] = [];
  if (dnsmasq?.alive) label.push(`dnsmasq alive, pid ${dnsmasq.pid}`);
  else if (dnsmasq) {
    dhcpProblems.push(
      dnsmasq.pid === null
        ? 'dnsmasq not running (no pidfile)'
        : `dnsmasq not running (pid ${dnsmasq.pid} is gone)`,
    );
  }
  const health = ctx.overlay?.health(
    [
      { mark: ownerMark(net.owner) },
      { mark: `${topology}.dhcp.${net.name}`, what: 'DHCP' },
      ...(net.dhcpPort ? [{ mark: ownerMark(net.dhcpPort.owner), what: 'DHCP port' }] : []),
    ],
    dhcpProblems,
  );
  return {
    id: ownerMark(net.owner),
    kind: net.external ? 'external-network' : 'network',
    name: net.name,
    label,
    attrs: {
      cidrs: net.subnets.map((s) => s.cidr),
      gateways: net.subnets.flatMap((s) => (s.gateway ? [s.gateway] : [])),
      external: net.external,
      dhcp: net.dhcp,
      dhcpNamespace,
      dhcpAddresses,
      dnsmasq: dnsmasq ? (dnsmasq.alive ? 'alive' : 'dead') : null,
      dnsmasqPid: dnsmasq?.pid ?? null,
      mtu: net.mtu,
      vni: net.vni,
    },
    ...(health ? { health } : {}),
  };
}

/** The node of a router. Pure. */
export function routerNode(router: Router, ctx: BuildContext): GraphNode {
  const namespace = namespaceFor('router', router.owner.topology, router.name, ctx.prefix);
  const routes = router.routes.map((r) => `${r.destination} via ${r.nexthop}`);
  const label: string[] = [router.name, namespace];
  label.push(router.gateway ? (router.gateway.snat ? 'SNAT on' : 'SNAT off') : 'no gateway');
  for (const r of routes.slice(0, ROUTES_DRAWN)) label.push(`route ${r}`);
  if (routes.length > ROUTES_DRAWN) label.push(`and ${routes.length - ROUTES_DRAWN} more routes`);
  if (router.host) label.push(`host ${router.host}`);
  const health = ctx.overlay?.health([{ mark: ownerMark(router.owner) }]);
  return {
    id: ownerMark(router.owner),
    kind: 'router',
    name: router.name,
    label,
    attrs: {
      namespace,
      snat: router.gateway ? router.gateway.snat : null,
      routes,
      floatingIps: router.floatingIps.map((f) => f.address),
      host: router.host,
    },
    ...(health ? { health } : {}),
  };
}

/** The links of a router: one per interface (`qr-`), and its gateway (`qg-`). Pure. */
export function routerEdges(router: Router, ctx: BuildContext): GraphEdge[] {
  const topology = router.owner.topology;
  const from = ownerMark(router.owner);
  const edges: GraphEdge[] = router.interfaces.map((iface) => {
    const device = deviceFor('qr-', iface.port.owner);
    const health = ctx.overlay?.health([{ mark: ownerMark(iface.port.owner) }]);
    return {
      id: ownerMark(iface.port.owner),
      kind: 'router-interface',
      from,
      to: ownerMark({ topology, kind: 'network', name: iface.network }),
      label: [device, ...iface.cidrs],
      attrs: { device, cidrs: iface.cidrs, mac: iface.port.mac },
      ...(health ? { health } : {}),
    };
  });
  const gw = router.gateway;
  if (gw) {
    const device = deviceFor('qg-', gw.port.owner);
    const health = ctx.overlay?.health([{ mark: ownerMark(gw.port.owner) }]);
    edges.push({
      id: ownerMark(gw.port.owner),
      kind: 'gateway',
      from,
      to: ownerMark({ topology, kind: 'network', name: gw.network }),
      label: [device, gw.ip],
      attrs: { device, ip: gw.ip, nexthop: gw.nexthop, snat: gw.snat, mac: gw.port.mac },
      ...(health ? { health } : {}),
    });
  }
  return edges;
}

/** The node of an instance, with its floating IP (if any). Pure. */
export function instanceNode(inst: Instance, fip: FloatingIp | undefined, ctx: BuildContext): GraphNode {
  const topology = inst.owner.topology;
  const namespace = namespaceFor('instance', topology, inst.name, ctx.prefix);
  const addresses = inst.port.fixedIps.map((f) => f.address);
  const label: string[] = [inst.name, namespace, `${addresses.join(', ')} (${inst.address})`, inst.port.mac];
  if (fip) label.push(`floating IP ${fip.address}`);
  if (!inst.portSecurity) label.push('port security off');
  else label.push(inst.securityGroups.length > 0 ? `groups: ${inst.securityGroups.join(', ')}` : 'no groups');
  if (inst.host) label.push(`host ${inst.host}`);
  const health = ctx.overlay?.health([
    { mark: ownerMark(inst.owner) },
    ...(fip ? [{ mark: ownerMark(fip.owner), what: `floating IP ${fip.address}` }] : []),
    ...inst.securityGroups.map((g) => ({
      mark: ownerMark({ topology, kind: 'secgroup', name: g }),
      what: `security group ${g}`,
    })),
  ]);
  return {
    id: ownerMark(inst.owner),
    kind: 'instance',
    name: inst.name,
    label,
    attrs: {
      network: inst.network,
      namespace,
      addresses,
      address: inst.address,
      mac: inst.port.mac,
      floatingIp: fip?.address ?? null,
      securityGroups: inst.securityGroups,
      portSecurity: inst.portSecurity,
      host: inst.host,
    },
    ...(health ? { health } : {}),
  };
}

/** The link of an instance's port to its network. Pure. */
export function instanceEdge(inst: Instance, ctx: BuildContext): GraphEdge {
  const health = ctx.overlay?.health([{ mark: ownerMark(inst.port.owner) }]);
  return {
    id: ownerMark(inst.port.owner),
    kind: 'instance-port',
    from: ownerMark(inst.owner),
    to: ownerMark({ topology: inst.owner.topology, kind: 'network', name: inst.network }),
    label: [],
    attrs: { addresses: inst.port.fixedIps.map((f) => f.address), mac: inst.port.mac },
    ...(health ? { health } : {}),
  };
}
