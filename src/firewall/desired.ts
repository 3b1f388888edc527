// What the firewall is asked for on one host: the filtered ports (MAC, addresses, allowed address
// pairs, groups, network, the bridge-side device it hooks) and the security groups they use, checked
// at the edge; and how a resolved model becomes that. Neutron: the port dicts and security-group
// info the L2 agent hands to iptables_firewall (prepare_port_filter, update_security_group_*).
import { InvalidInputError } from '../errors.js';
import type { Instance, Model, Network, SecurityGroupRule } from '../model/types.js';
import { parseAddress, parsePrefix } from '../net/cidr.js';
import { deviceFor } from '../net/naming.js';
import {
  type Owner,
  parseOwnerMark,
  type ResourceName,
  resourceName,
  type TopologyName,
  topologyName,
} from '../net/ownership.js';
import { requireString } from '../net/text.js';
import {
  type Cidr,
  type DeviceName,
  deviceName,
  type IpAddress,
  type IpFamily,
  type Mac,
  mac,
} from '../net/types.js';

/** Where a port's traffic crosses a Linux bridge: the bridge and the port's device on it. */
export interface FirewallHook {
  /** The Linux bridge (`brq<network>` for the Linux bridge driver, `qbr<port>` for the OVS hybrid plug). */
  readonly bridge: DeviceName;
  /** The port's device on that bridge (`tap<port>`): physdev rules match it. */
  readonly device: DeviceName;
}

/** A filtered port (an instance's port with port security on). */
export interface FirewallPort {
  /** The port's owner: its short id (`resourceId(owner)`) names the port's chains. */
  readonly owner: Owner;
  /** The instance's MAC: the only source MAC allowed (with the pairs' MACs). */
  readonly mac: Mac;
  /** The port's fixed IPs: the only source addresses allowed (with the pairs). */
  readonly fixedIps: readonly IpAddress[];
  /** Further (address or CIDR, MAC) pairs the port may send from. */
  readonly allowedAddressPairs: readonly { readonly cidr: Cidr; readonly mac: Mac }[];
  /**
   * Security groups by name, in order (their rules are kept in this order). None: the port is not
   * filtered beyond anti-spoofing.
   */
  readonly securityGroups: readonly ResourceName[];
  /** The port's network: its conntrack zone is the network's. */
  readonly network: Owner;
  /** Where the port is hooked (from the interface driver's layout: `PlugLayout.filter`). */
  readonly hook: FirewallHook;
  /** The network's DHCP server (its replies are admitted), or null. */
  readonly dhcp: { readonly addresses: readonly IpAddress[]; readonly mac: Mac } | null;
}

/** A security group as the firewall needs it (a resolved `SecurityGroup` of the model fits). */
export interface FirewallGroup {
  readonly name: ResourceName;
  readonly owner: Owner;
  /** Rules in order (each of one family). */
  readonly rules: readonly SecurityGroupRule[];
  /** Addresses of the group's members per family (what a remote-group rule matches). */
  readonly members: { readonly 4: readonly IpAddress[]; readonly 6: readonly IpAddress[] };
}

/** Everything the firewall of one topology wants on one host. */
export interface FirewallDesired {
  readonly topology: TopologyName;
  /** The filtered ports on this host. */
  readonly ports: readonly FirewallPort[];
  /** Every group the ports use, and every group their rules name as remote group. */
  readonly securityGroups: readonly FirewallGroup[];
  /**
   * Remote-group members kept in ipsets (default true: one `-m set` rule per remote-group rule, and a
   * membership change is an ipset change); false: one rule per member address.
   */
  readonly ipset?: boolean;
}

/** Options for {@link firewallFromModel}. */
export interface FromModelOptions {
  /** Only instances placed on this host (default: every instance). */
  readonly host?: string | null;
  /** See {@link FirewallDesired.ipset}. */
  readonly ipset?: boolean;
}

/**
 * The firewall a resolved model asks for: its instances with port security (on `host`, when given),
 * hooked where the model's backend plugs them — `tap<port>` in `brq<network>` (Linux bridge) or in
 * `qbr<port>` (OVS: the hybrid plug the host orchestrator picks for port-security instances) — and
 * every security group. Pure.
 */
export function firewallFromModel(model: Model, opts: FromModelOptions = {}): FirewallDesired {
  const networks = new Map(model.networks.map((n) => [n.name, n]));
  const ports = model.instances
    .filter((i) => i.portSecurity && (opts.host === undefined || i.host === opts.host))
    .map((i) => portOf(i, networks.get(i.network) as Network, model.backend));
  return {
    topology: model.topology,
    ports,
    securityGroups: model.securityGroups,
    ...(opts.ipset === undefined ? {} : { ipset: opts.ipset }),
  };
}

function portOf(i: Instance, network: Network, backend: Model['backend']): FirewallPort {
  const dhcp = network.dhcpPort;
  return {
    owner: i.port.owner,
    mac: i.port.mac,
    fixedIps: i.port.fixedIps.map((f) => f.address),
    allowedAddressPairs: i.allowedAddressPairs,
    securityGroups: i.securityGroups,
    network: network.owner,
    hook: {
      bridge: backend === 'linuxbridge' ? deviceFor('brq', network.owner) : deviceFor('qbr', i.port.owner),
      device: deviceFor('tap', i.port.owner),
    },
    dhcp: dhcp ? { addresses: dhcp.fixedIps.map((f) => f.address), mac: dhcp.mac } : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Validation at the edge: a library user may build FirewallDesired by hand.
// ---------------------------------------------------------------------------------------------

const PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'icmpv6', 'sctp', 'dccp']);
const PORTED = new Set(['tcp', 'udp', 'sctp', 'dccp']);

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`${where}: not an object`, where);
  }
  return value as Record<string, unknown>;
}

function list(value: unknown, where: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidInputError(`${where}: not a list`, where);
  return value;
}

function owner(value: unknown, where: string, kind?: string): Owner {
  const o = object(value, where);
  const t = topologyName(o.topology as string, `${where}.topology`);
  const n = resourceName(o.name as string, `${where}.name`);
  const k = requireString(o.kind, `${where}.kind`);
  const parsed = parseOwnerMark(`${t}.${k}.${n}`);
  if (!parsed || (kind !== undefined && parsed.kind !== kind)) {
    throw new InvalidInputError(
      `${where}.kind: ${JSON.stringify(k)} is not ${kind ? `"${kind}"` : 'a resource kind'}`,
      `${where}.kind`,
    );
  }
  return parsed;
}

function address(value: unknown, where: string, family?: IpFamily): IpAddress {
  const a = parseAddress(value, where);
  if (family !== undefined && (a.includes(':') ? 6 : 4) !== family) {
    throw new InvalidInputError(`${where}: ${a} is not an IPv${family} address`, where);
  }
  return a;
}

function intIn(value: unknown, min: number, max: number, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${where}: ${JSON.stringify(value)} is not an integer ${min}-${max}`, where);
  }
  return value;
}

function range(value: unknown, max: number, where: string): { min: number; max: number } | null {
  if (value === null) return null;
  const r = object(value, where);
  const lo = intIn(r.min, 1, max, `${where}.min`);
  const hi = intIn(r.max, lo, max, `${where}.max`);
  return { min: lo, max: hi };
}

function rule(value: unknown, where: string, groups: ReadonlySet<string>): SecurityGroupRule {
  const r = object(value, where);
  if (r.direction !== 'ingress' && r.direction !== 'egress') {
    throw new InvalidInputError(`${where}.direction: not ingress or egress`, `${where}.direction`);
  }
  if (r.family !== 4 && r.family !== 6) {
    throw new InvalidInputError(`${where}.family: not 4 or 6`, `${where}.family`);
  }
  const family = r.family as IpFamily;
  let protocol: string | null = null;
  if (r.protocol !== null && r.protocol !== undefined) {
    const p = requireString(r.protocol, `${where}.protocol`);
    if (!PROTOCOLS.has(p) && !(/^\d{1,3}$/.test(p) && Number(p) <= 255)) {
      throw new InvalidInputError(
        `${where}.protocol: ${JSON.stringify(p)} is not tcp, udp, icmp, icmpv6, sctp, dccp or a number 0-255`,
        `${where}.protocol`,
      );
    }
    protocol = p;
  }
  const port = range(r.port ?? null, 65535, `${where}.port`);
  const sourcePort = range(r.sourcePort ?? null, 65535, `${where}.sourcePort`);
  if ((port || sourcePort) && !PORTED.has(protocol ?? '')) {
    throw new InvalidInputError(`${where}: ports need tcp, udp, sctp or dccp`, `${where}.port`);
  }
  const icmpType =
    r.icmpType === null || r.icmpType === undefined ? null : intIn(r.icmpType, 0, 255, `${where}.icmpType`);
  const icmpCode =
    r.icmpCode === null || r.icmpCode === undefined ? null : intIn(r.icmpCode, 0, 255, `${where}.icmpCode`);
  const icmp = family === 4 ? 'icmp' : 'icmpv6';
  if ((icmpType !== null || icmpCode !== null) && protocol !== icmp) {
    throw new InvalidInputError(`${where}: an ICMP type or code needs protocol ${icmp}`, `${where}.icmpType`);
  }
  if (icmpCode !== null && icmpType === null) {
    throw new InvalidInputError(`${where}.icmpCode: a code needs a type`, `${where}.icmpCode`);
  }
  if ((protocol === 'icmp' && family === 6) || (protocol === 'icmpv6' && family === 4)) {
    throw new InvalidInputError(`${where}.protocol: ${protocol} is not of IPv${family}`, `${where}.protocol`);
  }
  let remoteIp: Cidr | null = null;
  if (r.remoteIp !== null && r.remoteIp !== undefined) {
    remoteIp = parsePrefix(r.remoteIp, `${where}.remoteIp`);
    if ((remoteIp.includes(':') ? 6 : 4) !== family) {
      throw new InvalidInputError(
        `${where}.remoteIp: ${remoteIp} is not of IPv${family}`,
        `${where}.remoteIp`,
      );
    }
  }
  let remoteGroup: ResourceName | null = null;
  if (r.remoteGroup !== null && r.remoteGroup !== undefined) {
    remoteGroup = resourceName(r.remoteGroup as string, `${where}.remoteGroup`);
    if (remoteIp !== null) {
      throw new InvalidInputError(
        `${where}: remoteIp and remoteGroup exclude each other`,
        `${where}.remoteGroup`,
      );
    }
    if (!groups.has(remoteGroup)) {
      throw new InvalidInputError(
        `${where}.remoteGroup: no security group "${remoteGroup}"`,
        `${where}.remoteGroup`,
      );
    }
  }
  return {
    direction: r.direction,
    family,
    protocol,
    port,
    sourcePort,
    icmpType,
    icmpCode,
    remoteIp,
    remoteGroup,
    index: intIn(r.index ?? 0, 0, Number.MAX_SAFE_INTEGER, `${where}.index`),
  };
}

function group(value: unknown, where: string, names: ReadonlySet<string>): FirewallGroup {
  const g = object(value, where);
  const m = object(g.members, `${where}.members`);
  return {
    name: resourceName(g.name as string, `${where}.name`),
    owner: owner(g.owner, `${where}.owner`, 'secgroup'),
    rules: list(g.rules, `${where}.rules`).map((r, i) => rule(r, `${where}.rules[${i}]`, names)),
    members: {
      4: list(m[4], `${where}.members.4`).map((a, i) => address(a, `${where}.members.4[${i}]`, 4)),
      6: list(m[6], `${where}.members.6`).map((a, i) => address(a, `${where}.members.6[${i}]`, 6)),
    },
  };
}

function port(value: unknown, where: string, names: ReadonlySet<string>): FirewallPort {
  const p = object(value, where);
  const hook = object(p.hook, `${where}.hook`);
  const securityGroups = list(p.securityGroups, `${where}.securityGroups`).map((n, i) => {
    const name = resourceName(n as string, `${where}.securityGroups[${i}]`);
    if (!names.has(name)) {
      throw new InvalidInputError(
        `${where}.securityGroups[${i}]: no security group "${name}"`,
        `${where}.securityGroups[${i}]`,
      );
    }
    return name;
  });
  let dhcp: FirewallPort['dhcp'] = null;
  if (p.dhcp !== null && p.dhcp !== undefined) {
    const d = object(p.dhcp, `${where}.dhcp`);
    dhcp = {
      addresses: list(d.addresses, `${where}.dhcp.addresses`).map((a, i) =>
        address(a, `${where}.dhcp.addresses[${i}]`),
      ),
      mac: mac(d.mac as string, `${where}.dhcp.mac`),
    };
  }
  return {
    owner: owner(p.owner, `${where}.owner`),
    mac: mac(p.mac as string, `${where}.mac`),
    fixedIps: list(p.fixedIps, `${where}.fixedIps`).map((a, i) => address(a, `${where}.fixedIps[${i}]`)),
    allowedAddressPairs: list(p.allowedAddressPairs, `${where}.allowedAddressPairs`).map((v, i) => {
      const pair = object(v, `${where}.allowedAddressPairs[${i}]`);
      return {
        cidr: parsePrefix(pair.cidr, `${where}.allowedAddressPairs[${i}].cidr`),
        mac: mac(pair.mac as string, `${where}.allowedAddressPairs[${i}].mac`),
      };
    }),
    securityGroups,
    network: owner(p.network, `${where}.network`, 'network'),
    hook: {
      bridge: deviceName(hook.bridge as string, `${where}.hook.bridge`),
      device: deviceName(hook.device as string, `${where}.hook.device`),
    },
    dhcp,
  };
}

/**
 * Validates a firewall's desired state: every name, address, MAC, device, rule and reference, and
 * that no two ports share an owner or a hook device. Returns checked values only.
 *
 * @throws {InvalidInputError} naming the field (`firewall.ports[2].mac`), before anything runs
 */
export function firewallDesired(value: FirewallDesired, where = 'firewall'): FirewallDesired {
  const d = object(value, where);
  const topology = topologyName(d.topology as string, `${where}.topology`);
  const rawGroups = list(d.securityGroups, `${where}.securityGroups`);
  const names = new Set<string>();
  rawGroups.forEach((g, i) => {
    const n = resourceName(
      object(g, `${where}.securityGroups[${i}]`).name as string,
      `${where}.securityGroups[${i}].name`,
    );
    if (names.has(n)) {
      throw new InvalidInputError(
        `${where}.securityGroups[${i}].name: "${n}" twice`,
        `${where}.securityGroups[${i}].name`,
      );
    }
    names.add(n);
  });
  const securityGroups = rawGroups.map((g, i) => group(g, `${where}.securityGroups[${i}]`, names));
  const ports = list(d.ports, `${where}.ports`).map((p, i) => port(p, `${where}.ports[${i}]`, names));
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    for (const key of [`owner:${p.owner.kind}.${p.owner.name}`, `device:${p.hook.device}`]) {
      if (seen.has(key)) {
        throw new InvalidInputError(
          `${where}.ports[${i}]: ${key.replace(':', ' ')} twice`,
          `${where}.ports[${i}]`,
        );
      }
      seen.add(key);
    }
    if (p.owner.topology !== topology || p.network.topology !== topology) {
      throw new InvalidInputError(
        `${where}.ports[${i}].owner: not of topology "${topology}"`,
        `${where}.ports[${i}].owner`,
      );
    }
  });
  if (d.ipset !== undefined && typeof d.ipset !== 'boolean') {
    throw new InvalidInputError(`${where}.ipset: not a boolean`, `${where}.ipset`);
  }
  return { topology, ports, securityGroups, ...(d.ipset === undefined ? {} : { ipset: d.ipset as boolean }) };
}
