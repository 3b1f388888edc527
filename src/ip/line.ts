// The one pure renderer of an IpOp as an `ip -batch` line, re-checking every word at run time (Neutron: ip_lib's argv building).
import { InvalidInputError } from '../errors.js';
import {
  cidr,
  deviceName,
  familyOf,
  type IpFamily,
  intIn,
  ipAddress,
  ipv4Broadcast,
  type LinkGroup,
  linkGroup,
  type Mac,
  type Mtu,
  mac,
  mtu,
  namespaceName,
  routeScope,
  tableId,
} from '../net/types.js';
import type { IpOp, LinkChanges, RouteSpec, RuleSpec } from './ops.js';

/** Words of one line, each re-checked as it is added: a forged op can never reach `ip` malformed. */
class Line {
  private readonly w: string[] = [];
  /** @param op the operation's name, for the error's `where` */
  constructor(private readonly op: string) {}
  private at(field: string): string {
    return `${this.op} ${field}`;
  }
  /** Fixed keywords, written as given. */
  kw(...words: string[]): this {
    this.w.push(...words);
    return this;
  }
  dev(field: string, v: unknown): this {
    this.w.push(deviceName(v as string, this.at(field)));
    return this;
  }
  ns(field: string, v: unknown): this {
    this.w.push(namespaceName(v as string, this.at(field)));
    return this;
  }
  addr(field: string, v: unknown): this {
    this.w.push(ipAddress(v as string, this.at(field)));
    return this;
  }
  cidr(field: string, v: unknown): this {
    this.w.push(cidr(v as string, this.at(field)));
    return this;
  }
  int(field: string, v: unknown, min: number, max: number): this {
    this.w.push(String(intIn(v as number, min, max, this.at(field))));
    return this;
  }
  table(field: string, v: unknown): this {
    this.w.push(String(tableId(v as number | string, this.at(field))));
    return this;
  }
  text(field: string, v: unknown, re: RegExp, what: string): this {
    if (typeof v !== 'string' || !re.test(v)) {
      throw new InvalidInputError(
        `${this.at(field)}: ${JSON.stringify(v) ?? String(v)} is not ${what}`,
        this.at(field),
      );
    }
    this.w.push(v);
    return this;
  }
  family(field: string, v: unknown): IpFamily | undefined {
    if (v === undefined || v === 4 || v === 6) return v;
    throw new InvalidInputError(
      `${this.at(field)}: ${JSON.stringify(v) ?? String(v)} is not 4 or 6`,
      this.at(field),
    );
  }
  join(): string {
    return this.w.join(' ');
  }
}

/** An ifalias the kernel keeps (at most 255 bytes), in the characters tenantnet's marks use. */
const ALIAS = /^[A-Za-z0-9_.:-]{1,255}$/;
/** A sysctl key (no leading `-`: it would be read as an option) and a simple value. */
const SYSCTL_KEY = /^[a-z0-9_][a-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;
const SYSCTL_VALUE = /^[A-Za-z0-9_.:-]{1,64}$/;
const SYSCTL_SETTING = /^[a-z0-9_][a-z0-9_-]*(\.[A-Za-z0-9_-]+)+=[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Validates one sysctl setting: a dotted key that cannot be taken for an option (it starts with a
 * lower-case letter, digit or `_`) and a simple value (1-64 of `A-Z a-z 0-9 _ . : -`).
 *
 * @returns `key=value`, the word `sysctl -w` takes
 * @throws {InvalidInputError} naming the key
 */
export function sysctlSetting(key: string, value: string | number): string {
  if (typeof key !== 'string' || !SYSCTL_KEY.test(key)) {
    throw new InvalidInputError(
      `sysctl key: ${JSON.stringify(key)} is not a dotted sysctl key`,
      'sysctl key',
    );
  }
  const v = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof v !== 'string' || !SYSCTL_VALUE.test(v)) {
    throw new InvalidInputError(`sysctl ${key}: ${JSON.stringify(value)} is not a simple value`, key);
  }
  return `${key}=${v}`;
}

function routeWords(l: Line, r: RouteSpec): Line {
  if (r.to === 'default') l.kw('default');
  else l.cidr('to', r.to);
  if (r.via !== undefined) l.kw('via').addr('via', r.via);
  if (r.dev !== undefined) l.kw('dev').dev('dev', r.dev);
  if (r.src !== undefined) l.kw('src').addr('src', r.src);
  if (r.metric !== undefined) l.kw('metric').int('metric', r.metric, 0, 0xffffffff);
  if (r.table !== undefined) l.kw('table').table('table', r.table);
  if (r.scope !== undefined) l.kw('scope', routeScope(r.scope, 'route scope'));
  if (r.onlink) l.kw('onlink');
  return l;
}

function ruleWords(l: Line, r: RuleSpec): Line {
  if (r.from !== undefined) l.kw('from').cidr('from', r.from);
  if (r.to !== undefined) l.kw('to').cidr('to', r.to);
  if (r.iif !== undefined) l.kw('iif').dev('iif', r.iif);
  if (r.priority !== undefined) l.kw('priority').int('priority', r.priority, 0, 0xffffffff);
  return l.kw('table').table('table', r.table ?? 'default');
}

function linkCommon(l: Line, group?: LinkGroup, m?: Mtu, address?: Mac, field = 'mac'): Line {
  if (group !== undefined) l.kw('group', String(linkGroup(group, 'op group')));
  if (m !== undefined) l.kw('mtu', String(mtu(m, 'op mtu')));
  if (address !== undefined) l.kw('address', mac(address, `op ${field}`));
  return l;
}

function setWords(l: Line, s: LinkChanges): Line {
  if (typeof s !== 'object' || s === null) throw new InvalidInputError('link.set set: not an object', 'set');
  linkCommon(l, undefined, s.mtu, s.mac);
  if (s.newName !== undefined) l.kw('name').dev('newName', s.newName);
  if (s.alias !== undefined)
    l.kw('alias').text('alias', s.alias, ALIAS, 'an alias (1-255 of A-Z a-z 0-9 _ . : -)');
  if (s.allmulticast !== undefined) l.kw('allmulticast', s.allmulticast ? 'on' : 'off');
  if (s.master === null) l.kw('nomaster');
  else if (s.master !== undefined) l.kw('master').dev('master', s.master);
  if (s.group !== undefined) l.kw('group', String(linkGroup(s.group, 'link.set group')));
  if (s.namespace !== undefined) l.kw('netns').ns('namespace', s.namespace);
  if (s.up !== undefined) l.kw(s.up ? 'up' : 'down');
  return l;
}

// Characters that could end a line, start a comment or open a quote in ip's batch parser.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029"'\\#]/;

/**
 * The `ip -batch` line for one operation (without the trailing newline). Pure: no I/O. Every word
 * is re-checked here, at run time, with the same validators the verbs use (a device name, a CIDR
 * with a prefix length in range, a number in range…): the types are only compile-time promises, and
 * a forged op (a newline in a name, `/33`) would otherwise run an extra command or end the `ip`
 * process. A device name always follows a keyword (`name`, `dev`, `master`…): bare, `ip` takes a
 * valid name such as `up`, `mtu` or `help` (or any prefix of a keyword, like `h`) for that keyword,
 * and `help` ends the process.
 *
 * @throws {InvalidInputError} naming the op and field, for any word that is not what its type says
 */
export function batchLine(o: IpOp): string {
  if (typeof o !== 'object' || o === null) throw new InvalidInputError('op: not an operation', 'op');
  const line = render(o);
  if (UNSAFE.test(line)) {
    throw new InvalidInputError(
      `op ${o.op}: the line ${JSON.stringify(line)} carries an unsafe character`,
      'op',
    );
  }
  return line;
}

function render(o: IpOp): string {
  const l = new Line(String(o.op));
  switch (o.op) {
    case 'netns.add':
      return l.kw('netns', 'add').ns('name', o.name).join();
    case 'netns.del':
      return l.kw('netns', 'del').ns('name', o.name).join();
    case 'veth.add': {
      l.kw('link', 'add', 'name').dev('name', o.name);
      linkCommon(l, o.group, o.mtu, o.mac).kw('type', 'veth', 'peer', 'name').dev('peer', o.peer);
      linkCommon(l, o.group, o.mtu, o.peerMac, 'peerMac');
      if (o.peerNamespace !== undefined) l.kw('netns').ns('peerNamespace', o.peerNamespace);
      return l.join();
    }
    case 'bridge.add':
      return linkCommon(l.kw('link', 'add', 'name').dev('name', o.name), o.group, o.mtu)
        .kw('type', 'bridge')
        .join();
    case 'vxlan.add': {
      const v = o.vxlan;
      if (typeof v !== 'object' || v === null)
        throw new InvalidInputError('vxlan.add vxlan: not an object', 'vxlan');
      linkCommon(l.kw('link', 'add', 'name').dev('name', o.name), o.group, o.mtu);
      l.kw('type', 'vxlan', 'id').int('vni', v.vni, 0, 0xffffff);
      if (v.local !== undefined) l.kw('local').addr('local', v.local);
      if (v.remote !== undefined) l.kw('remote').addr('remote', v.remote);
      if (v.group !== undefined) l.kw('group').addr('group', v.group);
      if (v.dev !== undefined) l.kw('dev').dev('dev', v.dev);
      l.kw('dstport').int('dstport', v.dstport ?? 4789, 1, 65535);
      if (v.learning === false) l.kw('nolearning');
      if (v.proxy === true) l.kw('proxy');
      return l.join();
    }
    case 'link.del':
      return l.kw('link', 'del', 'dev').dev('name', o.name).join();
    case 'link.del.group':
      return l.kw('link', 'del', 'group', String(linkGroup(o.group, 'link.del.group group'))).join();
    case 'link.set':
      return setWords(l.kw('link', 'set', 'dev').dev('name', o.name), o.set).join();
    case 'link.show':
      // `addr show`, never `link show`: in iproute2 6.1 batch mode a `link show` makes every later
      // `addr show` lose its addresses. `addr show` carries the link attributes too.
      l.kw('addr', 'show');
      if (o.name !== undefined) return l.kw('dev').dev('name', o.name).join();
      if (o.group !== undefined) l.kw('group', String(linkGroup(o.group, 'link.show group')));
      return l.join();
    case 'addr.add': {
      l.kw('addr', 'add').cidr('cidr', o.cidr);
      const c = cidr(o.cidr, 'addr.add cidr');
      if (familyOf(c) === 4) l.kw('brd', ipv4Broadcast(c));
      if (o.scope !== undefined) l.kw('scope', routeScope(o.scope, 'addr.add scope'));
      return l.kw('dev').dev('dev', o.dev).join();
    }
    case 'addr.del':
      return l.kw('addr', 'del').cidr('cidr', o.cidr).kw('dev').dev('dev', o.dev).join();
    case 'addr.flush': {
      // `to 0.0.0.0/0` (or `::/0`) narrows the flush to one family without the global -4/-6.
      l.kw('addr', 'flush', 'dev').dev('dev', o.dev);
      const f = l.family('family', o.family);
      return (f ? l.kw('to', f === 4 ? '0.0.0.0/0' : '::/0') : l).join();
    }
    case 'route.add':
    case 'route.replace':
    case 'route.del':
      l.family('family', o.family);
      return routeWords(l.kw('route', o.op.slice(6)), o.route).join();
    case 'route.show':
      // Under -6 a full dump is IPv6 only; without it, `root 0.0.0.0/0` keeps the dump to IPv4.
      return l.family('family', o.family) === 6
        ? 'route show table all'
        : 'route show table all root 0.0.0.0/0';
    case 'route.flush':
      l.family('family', o.family);
      return l.kw('route', 'flush', 'table').table('table', o.table).join();
    case 'rule.add':
    case 'rule.del':
      l.family('family', o.family);
      return ruleWords(l.kw('rule', o.op.slice(5)), o.rule).join();
    case 'rule.show':
      l.family('family', o.family);
      return 'rule show';
    case 'neigh.replace':
      l.kw('neigh', 'replace').addr('address', o.address).kw('lladdr', mac(o.mac, 'neigh.replace mac'));
      return l
        .kw('dev')
        .dev('dev', o.dev)
        .kw('nud', o.permanent ? 'permanent' : 'reachable')
        .join();
    case 'neigh.del':
      // Not `neigh del`: in iproute2 6.1 a failed `neigh del` (entry absent) exits the whole batch
      // process. A flush of exactly this entry removes it too, and an absent entry is not an error.
      return l
        .kw('neigh', 'flush', 'to')
        .addr('address', o.address)
        .kw('dev')
        .dev('dev', o.dev)
        .kw('nud', 'all')
        .join();
    case 'neigh.show':
      l.kw('neigh', 'show');
      if (o.address !== undefined) l.kw('to').addr('address', o.address);
      if (o.dev !== undefined) l.kw('dev').dev('dev', o.dev);
      return l.join();
    case 'neigh.flush':
      // Without `nud`, `ip neigh flush` leaves permanent and noarp entries alone, as Neutron wants.
      l.family('family', o.family);
      return l.kw('neigh', 'flush', 'dev').dev('dev', o.dev).join();
    case 'sysctl': {
      // ip forks and waits for `sysctl` in the namespace; its error lines arrive before ip's own
      // `Command failed` line, so the usual framing holds. `-q`: nothing is printed on success.
      l.kw('netns', 'exec').ns('namespace', o.namespace).kw('sysctl', '-q', '-w');
      if (!Array.isArray(o.settings) || o.settings.length === 0) {
        throw new InvalidInputError('sysctl settings: must be a non-empty list', 'sysctl settings');
      }
      for (const s of o.settings) l.text('settings', s, SYSCTL_SETTING, 'a sysctl key=value setting');
      return l.join();
    }
    case 'sysctl.show': {
      // `-e`: a key the kernel lacks is left out of the output instead of failing the line. Each
      // key is printed as `key = value`, on stdout, before ip's own marker line.
      l.kw('netns', 'exec').ns('namespace', o.namespace).kw('sysctl', '-e');
      if (!Array.isArray(o.keys) || o.keys.length === 0) {
        throw new InvalidInputError('sysctl keys: must be a non-empty list', 'sysctl keys');
      }
      for (const k of o.keys) l.text('keys', k, SYSCTL_KEY, 'a dotted sysctl key');
      return l.join();
    }
    default:
      throw new InvalidInputError(
        `op: ${JSON.stringify((o as { op: unknown }).op)} is not an ip operation`,
        'op',
      );
  }
}
