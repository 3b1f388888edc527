// Security groups and their rules, checked and normalised to one rule per address family with a
// canonical protocol, as Neutron's security-group API does (neutron/db/securitygroups_db.py:
// _validate_port_range, _validate_ethertype_and_protocol, _validate_ip_prefix; neutron-lib's
// sg_protocol names and numbers).
import { cidrFamily, parsePrefix } from '../net/cidr.js';
import { type ResourceName, userName } from '../net/ownership.js';
import type { Cidr, IpFamily } from '../net/types.js';
import {
  asObject,
  choiceField,
  listField,
  nameField,
  onlyKeys,
  type Path,
  type Problems,
  pathText,
  type Raw,
  show,
} from './problems.js';
import type { Range, SecurityGroupRule } from './types.js';

/** A checked security group, its rules not yet split by family. */
export interface GroupDraft {
  readonly name: ResourceName;
  readonly path: Path;
  readonly rules: readonly RuleDraft[];
}

/** A checked rule: everything canonical but the families, which depend on the whole topology. */
export interface RuleDraft {
  readonly index: number;
  readonly path: Path;
  /** The one family the rule says (by ethertype, remote IP or ICMP flavour), or null for "any". */
  readonly family: IpFamily | null;
  readonly rule: Omit<SecurityGroupRule, 'family' | 'index'>;
}

const GROUP_KEYS = ['name', 'rules'] as const;
const RULE_KEYS = [
  'direction',
  'ethertype',
  'protocol',
  'port',
  'sourcePort',
  'icmpType',
  'icmpCode',
  'remoteIp',
  'remoteGroup',
] as const;

/** Protocol names a rule may use, and the name each number has. */
const NAMED: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, dccp: 33, udp: 17, icmpv6: 58, sctp: 132 };
const BY_NUMBER = new Map(Object.entries(NAMED).map(([name, n]) => [n, name]));
const PORTED = new Set(['tcp', 'udp', 'sctp', 'dccp']);
const ICMP = new Set(['icmp', 'icmpv6']);

/**
 * The canonical protocol of a rule: a name (`tcp`, `udp`, `icmp`, `icmpv6`, `sctp`, `dccp`; numbers
 * with a name become it, `ipv6-icmp` becomes `icmpv6`), another number 1-255 as text, or null for
 * any (`any`, absent, or 0, which iptables also reads as "all"). Undefined when not a protocol.
 */
export function canonicalProtocol(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'any') return null;
    if (v === 'ipv6-icmp') return 'icmpv6';
    if (v in NAMED) return v;
    if (/^\d{1,3}$/.test(v)) n = Number(v);
  }
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 255) return undefined;
  if (n === 0) return null;
  return BY_NUMBER.get(n) ?? String(n);
}

/** A port or port range (`80`, `"8000-8100"`), or undefined with a problem. */
function portRange(p: Problems, value: unknown, path: Path): Range | undefined {
  let min: number;
  let max: number;
  if (typeof value === 'number') {
    min = value;
    max = value;
  } else if (typeof value === 'string' && /^\d{1,5}(-\d{1,5})?$/.test(value)) {
    const [a, b = a] = value.split('-');
    min = Number(a);
    max = Number(b);
  } else {
    p.add(path, `${show(value)} is not a port or range (as 80 or "8000-8100")`);
    return undefined;
  }
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
    p.add(path, `${show(value)} is not a port range: ports are 1-65535 and the first may not pass the last`);
    return undefined;
  }
  return { min, max };
}

function icmpField(p: Problems, obj: Raw, key: 'icmpType' | 'icmpCode', path: Path): number | null {
  const v = obj[key];
  if (v === undefined) return null;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255) return v;
  p.add([...path, key], `${show(v)} is not an ICMP ${key === 'icmpType' ? 'type' : 'code'} (0-255)`);
  return null;
}

function parseRule(p: Problems, raw: unknown, path: Path, index: number): RuleDraft | undefined {
  const obj = asObject(p, raw, path, 'a rule');
  if (!obj) return undefined;
  onlyKeys(p, obj, path, RULE_KEYS);
  const before = p.list.length;
  const direction = choiceField(p, obj, 'direction', path, ['ingress', 'egress'] as const);
  if (obj.direction === undefined)
    p.add([...path, 'direction'], 'a rule needs a direction: ingress or egress');
  const ethertype = choiceField(p, obj, 'ethertype', path, ['IPv4', 'IPv6'] as const);

  const protocol = canonicalProtocol(obj.protocol);
  if (protocol === undefined) {
    p.add(
      [...path, 'protocol'],
      `${show(obj.protocol)} is not a protocol (tcp, udp, icmp, icmpv6, sctp, dccp, any, or a number 0-255)`,
    );
  }
  const ported = typeof protocol === 'string' && PORTED.has(protocol);
  const port = obj.port === undefined ? undefined : portRange(p, obj.port, [...path, 'port']);
  const sourcePort =
    obj.sourcePort === undefined ? undefined : portRange(p, obj.sourcePort, [...path, 'sourcePort']);
  for (const key of ['port', 'sourcePort'] as const) {
    if (obj[key] !== undefined && protocol !== undefined && !ported) {
      p.add(
        [...path, key],
        `${key} needs protocol tcp, udp, sctp or dccp (the rule's is ${protocol ?? 'any'})`,
      );
    }
  }
  const icmpType = icmpField(p, obj, 'icmpType', path);
  const icmpCode = icmpField(p, obj, 'icmpCode', path);
  for (const key of ['icmpType', 'icmpCode'] as const) {
    if (obj[key] !== undefined && protocol !== undefined && !ICMP.has(protocol ?? '')) {
      p.add([...path, key], `${key} needs protocol icmp or icmpv6 (the rule's is ${protocol ?? 'any'})`);
    }
  }
  if (obj.icmpCode !== undefined && obj.icmpType === undefined) {
    p.add([...path, 'icmpCode'], 'icmpCode needs icmpType');
  }

  const remoteIp =
    obj.remoteIp === undefined
      ? null
      : (p.check([...path, 'remoteIp'], (w) => parsePrefix(obj.remoteIp, w)) ?? null);
  const remoteGroup =
    obj.remoteGroup === undefined
      ? null
      : (p.check([...path, 'remoteGroup'], (w) => userName(obj.remoteGroup as string, w)) ?? null);
  if (obj.remoteIp !== undefined && obj.remoteGroup !== undefined) {
    p.add([...path, 'remoteGroup'], 'give remoteIp or remoteGroup, not both');
  }

  // The family the rule says, from each field that says one; they must agree.
  const said: [IpFamily, string, string][] = [];
  if (ethertype) said.push([ethertype === 'IPv4' ? 4 : 6, 'ethertype', `ethertype ${ethertype}`]);
  if (remoteIp) said.push([cidrFamily(remoteIp), 'remoteIp', `remoteIp ${remoteIp}`]);
  if (protocol === 'icmp') said.push([4, 'protocol', 'protocol icmp (ICMP for IPv4; IPv6 uses icmpv6)']);
  if (protocol === 'icmpv6') said.push([6, 'protocol', 'protocol icmpv6 (ICMP for IPv6; IPv4 uses icmp)']);
  const first = said[0];
  for (const [family, key, what] of said.slice(1)) {
    if (first && family !== first[0])
      p.add([...path, key], `${what} is IPv${family}, but ${first[2]} is IPv${first[0]}`);
  }

  if (p.list.length > before || !direction || protocol === undefined) return undefined;
  return {
    index,
    path,
    family: first?.[0] ?? null,
    rule: {
      direction,
      protocol,
      port: port ?? null,
      sourcePort: sourcePort ?? null,
      icmpType,
      icmpCode,
      remoteIp: remoteIp as Cidr | null,
      remoteGroup,
    },
  };
}

/**
 * Checks the security groups of a topology input: names (unique) and every rule (direction,
 * ethertype, protocol, ports and ranges only with tcp/udp/sctp/dccp, ICMP type/code only with
 * icmp/icmpv6, remote IP or remote group, families that agree). Records every problem; returns the
 * groups by name, in input order. Remote groups are checked against the names by {@link resolveRules}.
 */
export function parseSecurityGroups(p: Problems, input: Raw): Map<ResourceName, GroupDraft> {
  const out = new Map<ResourceName, GroupDraft>();
  listField(p, input, 'securityGroups', []).forEach((raw, i) => {
    const path: Path = ['securityGroups', i];
    const obj = asObject(p, raw, path, 'a security group');
    if (!obj) return;
    onlyKeys(p, obj, path, GROUP_KEYS);
    const name = nameField(p, obj, 'name', path, 'a security group');
    const rules: RuleDraft[] = [];
    listField(p, obj, 'rules', path).forEach((r, k) => {
      const d = parseRule(p, r, [...path, 'rules', k], k);
      if (d) rules.push(d);
    });
    if (!name) return;
    const first = out.get(name);
    if (first) {
      p.add(
        [...path, 'name'],
        `security group name ${show(name)} is used twice (also ${pathText(first.path)})`,
      );
      return;
    }
    out.set(name, { name, path, rules });
  });
  return out;
}

/**
 * A group's rules, one per family, in the order given (`index`). A rule that names no family (no
 * ethertype, remote IP or ICMP flavour) is IPv4 and, when the topology has an IPv6 subnet, IPv6 too.
 * Records a problem for a remote group that does not exist.
 */
export function resolveRules(
  p: Problems,
  group: GroupDraft,
  groups: ReadonlySet<string>,
  hasIpv6: boolean,
): SecurityGroupRule[] {
  const out: SecurityGroupRule[] = [];
  for (const d of group.rules) {
    const remote = d.rule.remoteGroup;
    if (remote !== null && !groups.has(remote)) {
      p.add([...d.path, 'remoteGroup'], `there is no security group ${show(remote)}`);
      continue;
    }
    const families: IpFamily[] = d.family ? [d.family] : hasIpv6 ? [4, 6] : [4];
    for (const family of families) out.push({ ...d.rule, family, index: d.index });
  }
  return out;
}
