// A stateful fake kernel that implements IpExecutor: it executes the same IpOps the real batch runs, with the kernel's main errors (knftables' Fake).
import { mapIpError } from '../../src/ip/errors.js';
import { batchLine, type IpExecutor, type IpOp, type OpResult } from '../../src/ip/index.js';
import { isRead } from '../../src/ip/ops.js';
import { type IpFamily, type NamespaceName, NamespaceNotFoundError } from '../../src/net/index.js';
import {
  addressKey,
  cidrKey,
  EXISTS,
  type FakeLink,
  FakeNamespace,
  KernelSays,
  linkJson,
  neighbourJson,
  routeJson,
  ruleJson,
} from './ip-state.js';

export { FakeNamespace } from './ip-state.js';

const ENODEV = 'RTNETLINK answers: No such device';
const EADDRNOTAVAIL = 'RTNETLINK answers: Cannot assign requested address';
const EBUSY = 'RTNETLINK answers: Device or resource busy';
const EOPNOTSUPP = 'RTNETLINK answers: Operation not supported';
const nodev = (name: string) => `Cannot find device "${name}"`;

/**
 * An in-memory kernel: namespaces, links (veth pairs across namespaces, bridges with ports, VXLAN),
 * addresses, routes in tables, rules, neighbours, link groups, ifalias, sysctl values. It implements
 * {@link IpExecutor}: every op is rendered with the real `batchLine` (so forged ops are refused the
 * same way), then executed against the state, and a failure is the real `mapIpError` of the text
 * `ip` prints for it, so callers see the same typed errors as on a kernel. Reads answer in `ip -j`
 * shape, so `parseLinks`, `parseRoutes`, `parseRules` and `parseNeighbours` run unchanged.
 *
 * Not modelled: routes and addresses the kernel makes by itself (connected and local routes, IPv6
 * link-local addresses), carrier, gateway reachability, and MTU limits.
 */
export class FakeIpKernel implements IpExecutor {
  private readonly spaces = new Map<string, FakeNamespace>([['', new FakeNamespace(null)]]);
  /** Every state-changing op that succeeded, in order, with where it ran. */
  readonly applied: { namespace: NamespaceName | null; line: string }[] = [];
  /** Every executor call, reads included. */
  calls = 0;
  /** sysctl keys the fake kernel does not have (a setting of one fails as on a kernel). */
  readonly missingSysctlKeys = new Set<string>();
  private macs = 0;

  /** A namespace's state, for tests that look or meddle directly; undefined when it does not exist. */
  ns(name: string | null): FakeNamespace | undefined {
    return this.spaces.get(name ?? '');
  }

  /** Makes a namespace directly (as another tool would), with `lo` down. */
  addNamespace(name: string): FakeNamespace {
    const ns = new FakeNamespace(name);
    this.spaces.set(name, ns);
    return ns;
  }

  /** Names of the namespaces that exist (the root one left out). */
  namespaces(): string[] {
    return [...this.spaces.keys()].filter((k) => k !== '').sort();
  }

  /** {@link IpExecutor.listNamespaces}: the namespaces that exist, sorted. */
  async listNamespaces(): Promise<NamespaceName[]> {
    return this.namespaces() as NamespaceName[];
  }

  async apply(namespace: NamespaceName | null, ops: readonly IpOp[]): Promise<OpResult[]> {
    const settled = await this.settle(namespace, ops);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<OpResult>).value);
  }

  async settle(
    namespace: NamespaceName | null,
    ops: readonly IpOp[],
  ): Promise<PromiseSettledResult<OpResult>[]> {
    this.calls++;
    let lines: string[];
    try {
      // As the real executor: every line is rendered and every namespace checked before anything runs.
      lines = ops.map(batchLine);
      if (!this.spaces.has(namespace ?? '')) throw new NamespaceNotFoundError(namespace!);
      this.checkReferences(ops);
    } catch (e) {
      return ops.map(() => ({ status: 'rejected', reason: e }));
    }
    return ops.map((op, i): PromiseSettledResult<OpResult> => {
      const line = lines[i]!;
      const here = this.spaces.get(namespace ?? '');
      if (!here) return { status: 'rejected', reason: new NamespaceNotFoundError(namespace!, line) };
      try {
        const output = this.run(here, op);
        if (!isRead(op)) this.applied.push({ namespace, line });
        return { status: 'fulfilled', value: { op, line, output: isRead(op) ? output : undefined } };
      } catch (e) {
        if (!(e instanceof KernelSays)) throw e;
        return { status: 'rejected', reason: mapIpError(line, namespace, e.message) };
      }
    });
  }

  async release(): Promise<void> {}

  private checkReferences(ops: readonly IpOp[]): void {
    const made = new Set<string>();
    for (const o of ops) {
      if (o.op === 'netns.add') made.add(o.name);
      const ref = o.op === 'veth.add' ? o.peerNamespace : o.op === 'link.set' ? o.set.namespace : undefined;
      if (ref !== undefined && !made.has(ref) && !this.spaces.has(ref)) throw new NamespaceNotFoundError(ref);
    }
  }

  private newMac(): string {
    const n = ++this.macs;
    return `02:fa:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
  }

  private needLink(ns: FakeNamespace, name: string): FakeLink {
    const l = ns.link(name);
    if (!l) throw new KernelSays(nodev(name));
    return l;
  }

  private destroy(link: FakeLink): void {
    link.home.drop(link);
    if (link.peer) {
      const peer = link.peer;
      link.peer = undefined;
      peer.peer = undefined;
      peer.home.drop(peer);
    }
  }

  private run(ns: FakeNamespace, o: IpOp): unknown {
    switch (o.op) {
      case 'netns.add':
        if (this.spaces.has(o.name)) {
          throw new KernelSays(`Cannot create namespace file "/run/netns/${o.name}": File exists`);
        }
        this.addNamespace(o.name);
        return;
      case 'netns.del': {
        const gone = this.spaces.get(o.name);
        if (!gone)
          throw new KernelSays(
            `Cannot remove namespace file "/run/netns/${o.name}": No such file or directory`,
          );
        this.spaces.delete(o.name);
        for (const l of [...gone.links]) this.destroy(l);
        return;
      }
      case 'veth.add': {
        const there = o.peerNamespace !== undefined ? this.spaces.get(o.peerNamespace)! : ns;
        if (ns.link(o.name) || there.link(o.peer) || (there === ns && o.name === o.peer))
          throw new KernelSays(EXISTS);
        const common = { kind: 'veth' as const, mtu: o.mtu ?? 1500, group: o.group ?? 0 };
        const a = ns.addLink({ ...common, name: o.name, mac: o.mac ?? this.newMac() });
        const b = there.addLink({ ...common, name: o.peer, mac: o.peerMac ?? this.newMac() });
        a.peer = b;
        b.peer = a;
        return;
      }
      case 'bridge.add':
        if (ns.link(o.name)) throw new KernelSays(EXISTS);
        ns.addLink({
          name: o.name,
          kind: 'bridge',
          mtu: o.mtu ?? 1500,
          group: o.group ?? 0,
          mac: this.newMac(),
        });
        return;
      case 'vxlan.add':
        if (o.vxlan.dev !== undefined) this.needLink(ns, o.vxlan.dev);
        if (ns.link(o.name)) throw new KernelSays(EXISTS);
        ns.addLink({
          name: o.name,
          kind: 'vxlan',
          mtu: o.mtu ?? 1450,
          group: o.group ?? 0,
          mac: this.newMac(),
          vxlan: o.vxlan,
        });
        return;
      case 'link.del':
        this.destroy(this.needLink(ns, o.name));
        return;
      case 'link.del.group': {
        const members = ns.links.filter((l) => l.group === o.group);
        if (members.length === 0) throw new KernelSays(ENODEV);
        for (const l of members) if (l.home === ns) this.destroy(l);
        return;
      }
      case 'link.set':
        this.setLink(ns, this.needLink(ns, o.name), o.set);
        return;
      case 'link.show': {
        if (o.name !== undefined) {
          const l = ns.link(o.name);
          if (!l) throw new KernelSays(`Device "${o.name}" does not exist.`);
          return [linkJson(l)];
        }
        return ns.links.filter((l) => o.group === undefined || l.group === o.group).map(linkJson);
      }
      case 'addr.add': {
        const l = this.needLink(ns, o.dev);
        const fam: IpFamily = o.cidr.includes(':') ? 6 : 4;
        const same = (c: string) =>
          fam === 6
            ? addressKey(c.split('/')[0]!) === addressKey(o.cidr.split('/')[0]!)
            : cidrKey(c) === cidrKey(o.cidr);
        if (l.addresses.some((a) => same(a.cidr))) throw new KernelSays(EXISTS);
        l.addresses.push({ cidr: o.cidr, family: fam, scope: o.scope ?? 'global' });
        return;
      }
      case 'addr.del': {
        const l = this.needLink(ns, o.dev);
        const i = l.addresses.findIndex((a) => cidrKey(a.cidr) === cidrKey(o.cidr));
        if (i < 0) throw new KernelSays(EADDRNOTAVAIL);
        l.addresses.splice(i, 1);
        return;
      }
      case 'addr.flush': {
        const l = this.needLink(ns, o.dev);
        l.addresses = l.addresses.filter((a) => o.family !== undefined && a.family !== o.family);
        return;
      }
      case 'route.add':
      case 'route.replace':
      case 'route.del':
        ns.route(o.op, o.route, o.family ?? o.route.family ?? 4);
        return;
      case 'route.show':
        return ns.routes.filter((r) => r.family === (o.family ?? 4)).map(routeJson);
      case 'route.flush':
        ns.routes = ns.routes.filter((r) => !(r.family === (o.family ?? 4) && r.table === o.table));
        return;
      case 'rule.add':
      case 'rule.del':
        ns.rule(o.op, o.rule, o.family ?? o.rule.family ?? 4);
        return;
      case 'rule.show':
        return ns.rules
          .filter((r) => r.family === (o.family ?? 4))
          .sort((a, b) => a.priority - b.priority)
          .map(ruleJson);
      case 'neigh.replace': {
        this.needLink(ns, o.dev);
        const key = addressKey(o.address);
        ns.neighbours = ns.neighbours.filter((n) => !(n.dev === o.dev && addressKey(n.address) === key));
        ns.neighbours.push({ address: o.address, mac: o.mac, dev: o.dev, permanent: o.permanent });
        return;
      }
      case 'neigh.del': {
        this.needLink(ns, o.dev);
        const key = addressKey(o.address);
        ns.neighbours = ns.neighbours.filter((n) => !(n.dev === o.dev && addressKey(n.address) === key));
        return;
      }
      case 'neigh.show': {
        if (o.dev !== undefined) this.needLink(ns, o.dev);
        return ns.neighbours
          .filter(
            (n) =>
              (o.dev === undefined || n.dev === o.dev) &&
              (o.address === undefined || addressKey(n.address) === addressKey(o.address)),
          )
          .map((n) => neighbourJson(n, o.dev !== undefined));
      }
      case 'neigh.flush':
        this.needLink(ns, o.dev);
        ns.neighbours = ns.neighbours.filter((n) => n.dev !== o.dev || n.permanent);
        return;
      case 'sysctl': {
        const inside = this.spaces.get(o.namespace);
        if (!inside)
          throw new KernelSays(`Cannot open network namespace "${o.namespace}": No such file or directory`);
        const bad = o.settings.map((s) => s.split('=')[0]!).filter((k) => this.missingSysctlKeys.has(k));
        if (bad.length > 0) {
          throw new KernelSays(
            bad
              .map((k) => `sysctl: cannot stat /proc/sys/${k.replace(/\./g, '/')}: No such file or directory`)
              .join('\n'),
          );
        }
        for (const s of o.settings) {
          const [k, v] = s.split('=') as [string, string];
          inside.sysctl.set(k, v);
        }
        return;
      }
      case 'sysctl.show': {
        const inside = this.spaces.get(o.namespace);
        if (!inside)
          throw new KernelSays(`Cannot open network namespace "${o.namespace}": No such file or directory`);
        // A key never set reads as the kernel's default for the settings tenantnet reads: 0.
        const out: Record<string, string> = {};
        for (const k of o.keys) if (!this.missingSysctlKeys.has(k)) out[k] = inside.sysctl.get(k) ?? '0';
        return out;
      }
    }
  }

  private setLink(ns: FakeNamespace, l: FakeLink, s: Extract<IpOp, { op: 'link.set' }>['set']): void {
    if (s.master) {
      const br = this.needLink(ns, s.master);
      if (br.kind !== 'bridge') throw new KernelSays(EOPNOTSUPP);
    }
    if (s.newName !== undefined && s.newName !== l.name) {
      if (ns.link(s.newName)) throw new KernelSays(EXISTS);
      if (l.up) throw new KernelSays(EBUSY);
    }
    if (s.namespace !== undefined) {
      const to = this.spaces.get(s.namespace)!;
      if (to !== ns) {
        if (to.link(s.newName ?? l.name)) throw new KernelSays(EXISTS);
        ns.drop(l);
        l.addresses = [];
        l.master = null;
        to.adopt(l);
      }
    }
    if (s.newName !== undefined && s.newName !== l.name) {
      const old = l.name;
      l.name = s.newName;
      for (const r of l.home.routes) if (r.dev === old) r.dev = s.newName;
      for (const n of l.home.neighbours) if (n.dev === old) n.dev = s.newName;
      for (const x of l.home.links) if (x.master === old) x.master = s.newName;
    }
    if (s.mtu !== undefined) l.mtu = s.mtu;
    if (s.mac !== undefined) l.mac = s.mac;
    if (s.alias !== undefined) l.alias = s.alias;
    if (s.allmulticast !== undefined) l.allmulticast = s.allmulticast;
    if (s.master !== undefined) l.master = s.master;
    if (s.group !== undefined) l.group = s.group;
    if (s.up !== undefined) l.up = s.up;
  }
}
