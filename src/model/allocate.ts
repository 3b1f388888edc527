// Address, MAC and VNI allocation: explicit values are claimed first (and conflicts reported), then
// what the previous model held, then new values, each probing from a hash of its owner so the file's
// order moves nothing. Neutron's IPAM (neutron/ipam/drivers/neutrondb_ipam) and its MAC generator
// (base_mac fa:16:3e + random bytes) are the originals; here randomness is replaced by a hash.
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { eui64Address, hostIndex, hostsFrom, isHostOf } from '../net/cidr.js';
import type { ResourceName } from '../net/ownership.js';
import { type IpAddress, intIn, type Mac } from '../net/types.js';
import type { NetworkDraft, SubnetDraft } from './networks.js';
import { notAHost } from './networks.js';
import type { PreviousIndex } from './previous.js';
import { type Path, type Problems, pathText } from './problems.js';

/**
 * How a port or floating IP gets its address on a subnet: `explicit` (given), `router` (a router
 * interface's default, the subnet's gateway), `eui64` (IPv6 SLAAC: from the MAC), `dhcp` (the DHCP
 * port: the first free address after the gateway), `pool` (probed from a hash of the holder).
 */
export type WantHow = 'explicit' | 'router' | 'eui64' | 'dhcp' | 'pool';

/** One address a port or floating IP needs on one subnet. */
export interface Want {
  readonly network: NetworkDraft;
  readonly subnet: SubnetDraft;
  readonly how: WantHow;
  /** The address for `explicit` and `router`. */
  readonly address: IpAddress | null;
  /** Where a problem with this address is reported. */
  readonly path: Path;
  /** The holder for messages: `instance web1 (instances[0])`. */
  readonly label: string;
  /** The holder's owner mark: the probe's hash input. */
  readonly mark: string;
  /** The previous-model key of the holder (`<port>` or `fip:<instance>`). */
  readonly holder: string;
  /** The subnet's gateway address is this holder's to take (a router interface, an "upstream" instance). */
  readonly mayTakeGateway: boolean;
}

/** A port to allocate: its MAC and its addresses. */
export interface PortPlan {
  readonly name: ResourceName;
  readonly mark: string;
  readonly network: NetworkDraft;
  readonly deviceOwner: 'compute' | 'dhcp' | 'router_interface' | 'router_gateway';
  /** The MAC given, or null to derive one. */
  readonly mac: Mac | null;
  readonly macPath: Path;
  readonly label: string;
  readonly wants: readonly Want[];
}

/** What allocation decided. */
export interface Allocation {
  readonly addresses: ReadonlyMap<Want, IpAddress>;
  readonly macs: ReadonlyMap<ResourceName, Mac>;
}

/** 64 bits of a SHA-256: where a holder's probe starts. */
function hash64(text: string): bigint {
  return createHash('sha256').update(text).digest().readBigUInt64BE(0);
}

function macText(value: number): Mac {
  const hex = value.toString(16).padStart(6, '0');
  return `fa:16:3e:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4)}` as Mac;
}

/** The addresses in use on each network, and by whom. */
class Pools {
  private readonly used = new Map<ResourceName, Map<string, string>>();

  constructor(private readonly avoid: ReadonlyMap<ResourceName, ReadonlySet<string>>) {}

  private of(network: ResourceName): Map<string, string> {
    const m = this.used.get(network) ?? new Map<string, string>();
    this.used.set(network, m);
    return m;
  }

  /** Who holds the address on the network, if anyone. */
  holder(network: ResourceName, address: IpAddress): string | undefined {
    return this.of(network).get(address);
  }

  claim(network: ResourceName, address: IpAddress, label: string): void {
    this.of(network).set(address, label);
  }

  /** Free for a new allocation: unused, not the gateway, not an extra route's next hop. */
  free(w: Want, address: IpAddress): boolean {
    return (
      !this.of(w.network.name).has(address) &&
      address !== w.subnet.gateway &&
      !this.avoid.get(w.network.name)?.has(address)
    );
  }
}

/**
 * Allocates every port's MAC and every address, in this order: explicit addresses (conflicts are
 * problems: outside the subnet, network/broadcast, the gateway, used twice), explicit MACs (used
 * twice is a problem), MACs the previous model held, new MACs (`fa:16:3e:` + 3 bytes of a hash of
 * the port's owner mark, re-probed on a collision), EUI-64 addresses, addresses the previous model held
 * (when still valid and free), DHCP ports (the first free address after the gateway), and new addresses
 * in holder order (probing the subnet from a hash of the holder's mark). `avoid` holds addresses new
 * allocations skip per network (extra routes' next hops). Records every problem; when there is one
 * the result is incomplete.
 */
export function allocate(
  p: Problems,
  ports: readonly PortPlan[],
  floating: readonly Want[],
  avoid: ReadonlyMap<ResourceName, ReadonlySet<string>>,
  previous: PreviousIndex,
): Allocation {
  const addresses = new Map<Want, IpAddress>();
  const macs = new Map<ResourceName, Mac>();
  const pools = new Pools(avoid);
  const wants = [...ports.flatMap((port) => port.wants), ...floating];
  const before = p.list.length;

  // 1. Explicit addresses, in input order: the first holder keeps it; later ones are problems.
  for (const w of wants) {
    if (w.how !== 'explicit' && w.how !== 'router') continue;
    const a = w.address!;
    const why = notAHost(w.subnet.cidr, a);
    const held = pools.holder(w.network.name, a);
    if (why) p.add(w.path, why);
    else if (a === w.subnet.gateway && !w.mayTakeGateway) {
      p.add(w.path, `${a} is the gateway of ${w.subnet.cidr} (the router's address there); pick another`);
    } else if (held) p.add(w.path, `${a} is already used by ${held} on network ${w.network.name}`);
    else {
      pools.claim(w.network.name, a, w.label);
      addresses.set(w, a);
    }
  }

  // 2. MACs: explicit, then previous, then new, all unique in the topology.
  const macUsers = new Map<string, string>();
  for (const port of ports) {
    if (!port.mac) continue;
    const held = macUsers.get(port.mac);
    if (held) p.add(port.macPath, `MAC ${port.mac} is already the MAC of ${held}`);
    else {
      macUsers.set(port.mac, port.label);
      macs.set(port.name, port.mac);
    }
  }
  const byName = [...ports].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const port of byName) {
    const old = previous.macs.get(port.name);
    if (port.mac || !old || macUsers.has(old)) continue;
    macUsers.set(old, port.label);
    macs.set(port.name, old);
  }
  for (const port of byName) {
    if (macs.has(port.name) || port.mac) continue;
    let v = Number(hash64(port.mark) & 0xffffffn);
    while (macUsers.has(macText(v))) v = (v + 1) % 0x1000000;
    macUsers.set(macText(v), port.label);
    macs.set(port.name, macText(v));
  }

  // 3. EUI-64 addresses follow from the MACs.
  for (const port of ports) {
    const m = macs.get(port.name);
    for (const w of port.wants) {
      if (w.how !== 'eui64' || !m) continue;
      const a = eui64Address(w.subnet.cidr, m);
      const held = pools.holder(w.network.name, a);
      if (held) p.add(w.path, `the SLAAC address ${a} of MAC ${m} is already used by ${held}`);
      else {
        pools.claim(w.network.name, a, w.label);
        addresses.set(w, a);
      }
    }
  }
  if (p.list.length > before) return { addresses, macs };

  // 4. What the previous model held, while it is still a free host of the same subnet.
  const probed = wants
    .filter((w) => w.how === 'dhcp' || w.how === 'pool')
    .sort((a, b) => (a.mark < b.mark ? -1 : a.mark > b.mark ? 1 : a.subnet.cidr < b.subnet.cidr ? -1 : 1));
  for (const w of probed) {
    const old = w.holder.startsWith('fip:')
      ? previous.floatingIps.get(w.holder.slice(4))
      : previous.ports.get(`${w.holder}|${w.subnet.name}`);
    if (!old || !isHostOf(w.subnet.cidr, old) || !pools.free(w, old)) continue;
    pools.claim(w.network.name, old, w.label);
    addresses.set(w, old);
  }

  // 5. New addresses: DHCP ports first (so they end up just after the gateway), then the rest.
  const fresh = probed.filter((w) => !addresses.has(w));
  for (const w of [...fresh.filter((x) => x.how === 'dhcp'), ...fresh.filter((x) => x.how === 'pool')]) {
    const gw = w.subnet.gateway === null ? null : hostIndex(w.subnet.cidr, w.subnet.gateway);
    const start = w.how === 'dhcp' ? (gw === null ? 0n : gw + 1n) : hash64(`${w.mark}|${w.subnet.cidr}`);
    let got: IpAddress | undefined;
    for (const a of hostsFrom(w.subnet.cidr, start)) {
      if (pools.free(w, a)) {
        got = a;
        break;
      }
    }
    if (!got) {
      p.add(w.path, `no free address left in ${w.subnet.cidr} (network ${w.network.name}) for ${w.label}`);
      continue;
    }
    pools.claim(w.network.name, got, w.label);
    addresses.set(w, got);
  }
  return { addresses, macs };
}

/** The VNIs new allocations come from (inclusive). */
export interface VniRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The default VNI range: 4096-16777215, above the numbers people pick by hand (and above VLAN ids,
 * so a VNI never reads as a VLAN tag).
 */
export const DEFAULT_VNI_RANGE: VniRange = { min: 4096, max: 0xffffff };

/**
 * The VNI of every network. Given: kept (a problem at its `vni` when another topology holds it, per
 * `reserved`). Else, when `needed` (a topology placed on hosts): the previous one while it is valid
 * and neither another network nor `reserved` holds it; else a new one from `range`, probed from a hash
 * of the network's owner mark past every VNI in use. Null when not needed and not given. Records
 * every problem.
 */
export function allocateVnis(
  p: Problems,
  networks: readonly NetworkDraft[],
  needed: boolean,
  topology: string,
  previous: PreviousIndex,
  range: VniRange,
  reserved: ReadonlyMap<number, string>,
): Map<ResourceName, number | null> {
  const out = new Map<ResourceName, number | null>();
  const used = new Set(networks.flatMap((n) => (n.vni === null ? [] : [n.vni])));
  const taken = (v: number) => used.has(v) || reserved.has(v);
  const sorted = [...networks].sort((a, b) => (a.name < b.name ? -1 : 1));
  const pending: NetworkDraft[] = [];
  for (const n of sorted) {
    if (n.vni !== null) {
      const other = reserved.get(n.vni);
      if (other !== undefined) p.add([...n.path, 'vni'], `VNI ${n.vni} is already used by ${other}`);
      out.set(n.name, n.vni);
      continue;
    }
    if (!needed) {
      out.set(n.name, null);
      continue;
    }
    const old = previous.vnis.get(n.name);
    if (old !== undefined && old >= 1 && old <= 0xffffff && !taken(old)) {
      used.add(old);
      out.set(n.name, old);
    } else pending.push(n);
  }
  const size = range.max - range.min + 1;
  for (const n of pending) {
    let v = range.min + Number(hash64(`${topology}.network.${n.name}`) % BigInt(size));
    let tries = 0;
    while (taken(v) && tries < size) {
      v = v === range.max ? range.min : v + 1;
      tries++;
    }
    if (tries === size) {
      p.add(n.path, `no free VNI left in ${range.min}-${range.max} for network ${n.name}`);
      continue;
    }
    used.add(v);
    out.set(n.name, v);
  }
  return out;
}

/**
 * Validates the VNI options of `buildModel`: a range inside 1-16777215 with min ≤ max, and reserved
 * VNIs as a Map of VNI → holder.
 *
 * @throws {InvalidInputError} naming the option
 */
export function checkVniOptions(
  range: VniRange | undefined,
  reserved: ReadonlyMap<number, string> | undefined,
): { range: VniRange; reserved: ReadonlyMap<number, string> } {
  const r = range ?? DEFAULT_VNI_RANGE;
  if (typeof r !== 'object' || r === null)
    throw new InvalidInputError('vniRange: not { min, max }', 'vniRange');
  const min = intIn(r.min, 1, 0xffffff, 'vniRange min');
  const max = intIn(r.max, 1, 0xffffff, 'vniRange max');
  if (min > max) throw new InvalidInputError(`vniRange: min ${min} is above max ${max}`, 'vniRange');
  if (reserved !== undefined && !(reserved instanceof Map)) {
    throw new InvalidInputError('reservedVnis: must be a Map of VNI to holder', 'reservedVnis');
  }
  return { range: { min, max }, reserved: reserved ?? new Map() };
}

/** A want of a holder on a subnet (see {@link Want}). */
export function want(
  network: NetworkDraft,
  subnet: SubnetDraft,
  how: WantHow,
  address: Want['address'],
  holder: { path: Path; label: string; mark: string; name: string; mayTakeGateway: boolean },
): Want {
  return {
    network,
    subnet,
    how,
    address,
    path: holder.path,
    label: holder.label,
    mark: holder.mark,
    holder: holder.name,
    mayTakeGateway: holder.mayTakeGateway,
  };
}

/** The label of a holder for messages: `instance web1 (instances[0])`. */
export function label(what: string, path: Path): string {
  return `${what} (${pathText(path)})`;
}
