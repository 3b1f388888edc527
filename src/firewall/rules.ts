// One security-group rule as iptables match text: protocol, ports or port ranges, ICMP type/code,
// remote CIDR or remote group (an ipset, or one rule per member address). Neutron:
// iptables_firewall's _convert_sg_rule_to_iptables_args, _protocol_arg, _port_arg, _ip_prefix_arg.
import type { SecurityGroupRule } from '../model/types.js';
import type { IpAddress } from '../net/types.js';

/** iptables' name of a protocol (`icmpv6` is `ipv6-icmp` there). Pure. */
export function iptablesProtocol(protocol: string): string {
  return protocol === 'icmpv6' ? 'ipv6-icmp' : protocol;
}

// The match module that carries a protocol's options (`-p tcp -m tcp --dport 22`).
const MODULES: Readonly<Record<string, string>> = {
  tcp: 'tcp',
  udp: 'udp',
  sctp: 'sctp',
  dccp: 'dccp',
  icmp: 'icmp',
  icmpv6: 'icmp6',
};

/**
 * The protocol, port and ICMP part of a rule's match: `-p tcp -m tcp --dport 22`, a range through
 * multiport (`-m multiport --dports 8000:8100`), `-p icmp -m icmp --icmp-type 8/0`. Empty for "any
 * protocol". Pure.
 */
export function protocolMatch(rule: SecurityGroupRule): string[] {
  if (rule.protocol === null) return [];
  const out = ['-p', iptablesProtocol(rule.protocol)];
  const module = MODULES[rule.protocol];
  if (rule.icmpType !== null && module) {
    const flag = rule.protocol === 'icmpv6' ? '--icmpv6-type' : '--icmp-type';
    const value = rule.icmpCode === null ? `${rule.icmpType}` : `${rule.icmpType}/${rule.icmpCode}`;
    return [...out, '-m', module, flag, value];
  }
  const single: string[] = [];
  const multi: string[] = [];
  for (const [range, dir] of [
    [rule.sourcePort, 'sport'],
    [rule.port, 'dport'],
  ] as const) {
    if (range === null) continue;
    if (range.min === range.max) single.push(`--${dir}`, String(range.min));
    else multi.push('-m', 'multiport', `--${dir}s`, `${range.min}:${range.max}`);
  }
  if (single.length > 0 && module) out.push('-m', module, ...single);
  return [...out, ...multi];
}

/** How a rule's remote group is matched: an ipset by name, or its member addresses. */
export type RemoteGroupMatch = { readonly set: string } | { readonly members: readonly IpAddress[] };

/**
 * The iptables rules (`… -j RETURN`) one security-group rule becomes in a port's chain of its
 * direction: the remote side is `-s` for ingress and `-d` for egress; a remote group is one
 * `-m set --match-set NAME src|dst` rule, or one rule per member address (none for an empty group);
 * a `/0` remote matches anything and is left out. `own` are the port's own addresses, left out of
 * member expansion as Neutron does. Pure.
 */
export function ruleLines(
  rule: SecurityGroupRule,
  remote: RemoteGroupMatch | null,
  own: ReadonlySet<string> = new Set(),
): string[] {
  const proto = protocolMatch(rule).join(' ');
  const side = rule.direction === 'ingress' ? '-s' : '-d';
  const line = (match: string) => [match, proto, '-j RETURN'].filter((s) => s !== '').join(' ');
  if (rule.remoteGroup !== null && remote !== null) {
    if ('set' in remote) {
      return [line(`-m set --match-set ${remote.set} ${rule.direction === 'ingress' ? 'src' : 'dst'}`)];
    }
    return remote.members.filter((m) => !own.has(m)).map((m) => line(`${side} ${m}`));
  }
  if (rule.remoteIp !== null && !rule.remoteIp.endsWith('/0')) return [line(`${side} ${rule.remoteIp}`)];
  return [line('')];
}
