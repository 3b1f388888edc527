// The firewall's desired state checked at the edge: a library user may build it by hand, so every
// name, address, MAC, device, rule field and reference is validated before anything runs (Neutron
// trusts the server's port dicts; tenantnet's input may come from anywhere).
import { InvalidInputError } from '../errors.js';
import type { SecurityGroupRule } from '../model/types.js';
import { parseAddress, parsePrefix } from '../net/cidr.js';
import {
  type Owner,
  parseOwnerMark,
  type ResourceName,
  resourceName,
  topologyName,
} from '../net/ownership.js';
import { requireString } from '../net/text.js';
import { type Cidr, deviceName, type IpAddress, type IpFamily, mac } from '../net/types.js';
import type { FirewallDesired, FirewallGroup, FirewallPort } from './desired.js';

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
