// The in-memory kernel state behind FakeIpKernel, and its reads in `ip -d -j` shape (what the real parsers take).
import type { RouteSpec, RuleSpec, VxlanSpec } from '../../src/ip/index.js';
import { type IpFamily, type TableId, tableId } from '../../src/net/index.js';

/** The kernel's answer to one op: an `ip` error text, thrown inside the fake and mapped like the real one. */
export class KernelSays extends Error {}

/** What `ip` prints for an object that is already there. */
export const EXISTS = 'RTNETLINK answers: File exists';
const ESRCH = 'RTNETLINK answers: No such process';
const ENOENT = 'RTNETLINK answers: No such file or directory';

/** An address on a fake link. */
export interface FakeAddress {
  /** As written (`10.0.0.1/24`, `fd00::1/64`). */
  cidr: string;
  family: IpFamily;
  scope: string;
}

/** A fake link. Veth ends point at each other; a link knows the namespace it is in. */
export interface FakeLink {
  name: string;
  index: number;
  kind: 'loopback' | 'veth' | 'bridge' | 'vxlan';
  mtu: number;
  mac: string;
  up: boolean;
  alias: string | null;
  group: number;
  master: string | null;
  allmulticast: boolean;
  addresses: FakeAddress[];
  peer?: FakeLink;
  vxlan?: VxlanSpec;
  home: FakeNamespace;
}

/** A fake route (what `ip route` keys on: family, table, destination, metric). */
export interface FakeRoute {
  family: IpFamily;
  to: string;
  via?: string;
  dev?: string;
  metric: number | null;
  table: TableId;
  scope?: string;
  onlink: boolean;
  src?: string;
}

/** A fake policy rule. */
export interface FakeRule {
  family: IpFamily;
  priority: number;
  from?: string;
  to?: string;
  iif?: string;
  table: TableId;
}

/** A fake neighbour entry. */
export interface FakeNeighbour {
  address: string;
  mac: string;
  dev: string;
  permanent: boolean;
}

/** One fake network namespace (name null: the root namespace). */
export class FakeNamespace {
  readonly links: FakeLink[] = [];
  routes: FakeRoute[] = [];
  readonly rules: FakeRule[] = [
    { family: 4, priority: 0, table: 'local' as TableId },
    { family: 4, priority: 32766, table: 'main' as TableId },
    { family: 4, priority: 32767, table: 'default' as TableId },
    { family: 6, priority: 0, table: 'local' as TableId },
    { family: 6, priority: 32766, table: 'main' as TableId },
  ];
  neighbours: FakeNeighbour[] = [];
  readonly sysctl = new Map<string, string>();
  private nextIndex = 1;

  constructor(readonly name: string | null) {
    this.addLink({ name: 'lo', kind: 'loopback', mtu: 65536, mac: '00:00:00:00:00:00' });
  }

  /** Adds a link here with the next ifindex. */
  addLink(l: Pick<FakeLink, 'name' | 'kind'> & Partial<FakeLink>): FakeLink {
    const link: FakeLink = {
      index: this.nextIndex++,
      mtu: 1500,
      mac: '02:00:00:00:00:00',
      up: false,
      alias: null,
      group: 0,
      master: null,
      allmulticast: false,
      addresses: [],
      ...l,
      home: this,
    };
    this.links.push(link);
    return link;
  }

  /** Takes in a link moved from elsewhere (a new ifindex, as the kernel may give). */
  adopt(link: FakeLink): void {
    link.home = this;
    link.index = this.nextIndex++;
    this.links.push(link);
  }

  link(name: string): FakeLink | undefined {
    return this.links.find((l) => l.name === name);
  }

  private needLink(name: string): FakeLink {
    const l = this.link(name);
    if (!l) throw new KernelSays(`Cannot find device "${name}"`);
    return l;
  }

  /** Executes a route add/replace/del here, as the kernel keys routes. */
  route(op: 'route.add' | 'route.replace' | 'route.del', r: RouteSpec, family: IpFamily): void {
    if (r.dev !== undefined && op !== 'route.del') this.needLink(r.dev);
    const table = r.table ?? ('main' as TableId);
    const to = r.to === 'default' ? 'default' : cidrKey(r.to);
    const metric = r.metric ?? (family === 6 ? 1024 : null);
    const sameKey = (x: FakeRoute) =>
      x.family === family && x.table === table && x.to === to && x.metric === metric;
    if (op === 'route.del') {
      const i = this.routes.findIndex(
        (x) =>
          x.family === family &&
          x.table === table &&
          x.to === to &&
          (r.metric === undefined || x.metric === metric) &&
          (r.via === undefined || x.via === addressKey(r.via)) &&
          (r.dev === undefined || x.dev === r.dev),
      );
      if (i < 0) throw new KernelSays(ESRCH);
      this.routes.splice(i, 1);
      return;
    }
    const route: FakeRoute = {
      family,
      to,
      metric,
      table,
      onlink: r.onlink === true,
      ...(r.via !== undefined ? { via: addressKey(r.via) } : {}),
      ...(r.dev !== undefined ? { dev: r.dev } : {}),
      ...(r.scope !== undefined ? { scope: r.scope } : {}),
      ...(r.src !== undefined ? { src: addressKey(r.src) } : {}),
    };
    const i = this.routes.findIndex(sameKey);
    if (i >= 0 && op === 'route.add') throw new KernelSays(EXISTS);
    if (i >= 0) this.routes[i] = route;
    else this.routes.push(route);
  }

  /** Executes a rule add/del here, as the kernel matches rules. */
  rule(op: 'rule.add' | 'rule.del', r: RuleSpec, family: IpFamily): void {
    const table = tableId(r.table ?? 'default');
    const from = r.from === undefined ? undefined : cidrKey(r.from);
    const to = r.to === undefined ? undefined : cidrKey(r.to);
    const matches = (x: FakeRule) =>
      x.family === family &&
      x.table === table &&
      x.from === from &&
      x.to === to &&
      x.iif === r.iif &&
      (r.priority === undefined || x.priority === r.priority);
    const i = this.rules.findIndex(matches);
    if (op === 'rule.del') {
      if (i < 0) throw new KernelSays(ENOENT);
      this.rules.splice(i, 1);
      return;
    }
    if (i >= 0) throw new KernelSays(EXISTS);
    // Without a priority the kernel takes one below the lowest non-zero one there.
    const lowest = Math.min(
      ...this.rules.filter((x) => x.family === family && x.priority > 0).map((x) => x.priority),
    );
    const priority = r.priority ?? (Number.isFinite(lowest) ? lowest - 1 : 0);
    this.rules.push({
      family,
      priority,
      table,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(r.iif !== undefined ? { iif: r.iif } : {}),
    });
  }

  /** Removes a link and what hangs on it here (routes and neighbours through it, bridge ports). */
  drop(link: FakeLink): void {
    const i = this.links.indexOf(link);
    if (i >= 0) this.links.splice(i, 1);
    this.routes = this.routes.filter((r) => r.dev !== link.name);
    this.neighbours = this.neighbours.filter((n) => n.dev !== link.name);
    for (const l of this.links) if (l.master === link.name) l.master = null;
  }
}

/** A link in `ip -d -j addr show` shape. */
export function linkJson(l: FakeLink): Record<string, unknown> {
  const flags = l.kind === 'loopback' ? ['LOOPBACK'] : ['BROADCAST', 'MULTICAST'];
  if (l.allmulticast) flags.push('ALLMULTI');
  if (l.up) flags.push('UP', 'LOWER_UP');
  const addresses: FakeAddress[] =
    l.kind === 'loopback' && l.up
      ? [
          { cidr: '127.0.0.1/8', family: 4, scope: 'host' },
          { cidr: '::1/128', family: 6, scope: 'host' },
          ...l.addresses,
        ]
      : l.addresses;
  return {
    ifindex: l.index,
    ifname: l.name,
    flags,
    mtu: l.mtu,
    qdisc: 'noqueue',
    operstate: l.up ? 'UP' : 'DOWN',
    group: l.group === 0 ? 'default' : String(l.group),
    address: l.mac,
    ...(l.alias !== null ? { ifalias: l.alias } : {}),
    ...(l.master !== null ? { master: l.master } : {}),
    ...(l.kind !== 'loopback' ? { linkinfo: { info_kind: l.kind } } : {}),
    addr_info: addresses.map((a) => {
      const [local, len] = a.cidr.split('/') as [string, string];
      return {
        family: a.family === 4 ? 'inet' : 'inet6',
        local,
        prefixlen: Number(len),
        scope: a.scope,
        valid_life_time: 4294967295,
        preferred_life_time: 4294967295,
      };
    }),
  };
}

/** A route in `ip -j route show` shape (the main table and unicast type are left out, as ip does). */
export function routeJson(r: FakeRoute): Record<string, unknown> {
  // A host route prints without its prefix length, as ip does.
  const dst =
    /\/(32|128)$/.test(r.to) && (r.to.endsWith('/128') || !r.to.includes(':')) ? r.to.split('/')[0] : r.to;
  return {
    dst,
    ...(r.via !== undefined ? { gateway: r.via } : {}),
    ...(r.dev !== undefined ? { dev: r.dev } : {}),
    ...(r.table !== 'main' ? { table: String(r.table) } : {}),
    ...(r.metric !== null ? { metric: r.metric } : {}),
    ...(r.scope !== undefined && r.scope !== 'global' ? { scope: r.scope } : {}),
    ...(r.src !== undefined ? { prefsrc: r.src } : {}),
    flags: r.onlink ? ['onlink'] : [],
  };
}

/** A rule in `ip -j rule show` shape. */
export function ruleJson(r: FakeRule): Record<string, unknown> {
  const side = (c: string | undefined, addr: string, len: string) => {
    if (c === undefined) return {};
    const [a, l] = c.split('/') as [string, string];
    return { [addr]: a, [len]: Number(l) };
  };
  return {
    priority: r.priority,
    ...(r.from === undefined ? { src: 'all' } : side(r.from, 'src', 'srclen')),
    ...side(r.to, 'dst', 'dstlen'),
    ...(r.iif !== undefined ? { iif: r.iif } : {}),
    table: String(r.table),
  };
}

/** A neighbour in `ip -j neigh show` shape (`dev` left out when the command named it, as ip does). */
export function neighbourJson(n: FakeNeighbour, devGiven: boolean): Record<string, unknown> {
  return {
    dst: n.address,
    ...(devGiven ? {} : { dev: n.dev }),
    lladdr: n.mac,
    state: [n.permanent ? 'PERMANENT' : 'REACHABLE'],
  };
}

/** One spelling per address (IPv6 compressed, lower case), so `fd00:0::1` and `fd00::1` match. */
export function addressKey(address: string): string {
  return address.includes(':') ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

/** {@link addressKey} for an `address/prefix`. */
export function cidrKey(c: string): string {
  const [a, l] = c.split('/') as [string, string];
  return `${addressKey(a)}/${l}`;
}
