// What an instance should be on this host, resolved from the model: its namespace (standing in for a
// VM), the plug of its one port (style by port security and backend), the device inside, and how it
// gets its addresses (static init_l3, or a one-shot DHCP client). Neutron: what nova's libvirt VIF
// driver asks os-vif for (hybrid plug when the iptables firewall filters the port).
import { InvalidInputError } from '../errors.js';
import type { InterfaceDriver, PlugRequest, PlugStyle } from '../interface/driver.js';
import { hostDevice } from '../interface/layout.js';
import type { Instance, Model, Network } from '../model/types.js';
import { addressFamily } from '../net/cidr.js';
import { type NetnsPrefix, namespaceFor } from '../net/naming.js';
import type { Owner, TopologyName } from '../net/ownership.js';
import { type Cidr, deviceName, type IpAddress, type NamespaceName } from '../net/types.js';

/** An instance as the instance layer plans it. */
export interface InstanceSpec {
  /** The instance's owner (`<topology>.instance.<name>`): the namespace's `lo` mark, the change. */
  readonly owner: Owner;
  /** `<prefix>vm-<topology>.<name>`. */
  readonly namespace: NamespaceName;
  /** The plug of its port (device inside the namespace, style, network, MAC, MTU). */
  readonly request: PlugRequest;
  /** `static`: addresses and default routes set directly; `dhcp`: a DHCP client gets the lease. */
  readonly address: 'static' | 'dhcp';
  /** The port's fixed IPs with their subnets' prefix lengths (what `static` puts on the device). */
  readonly cidrs: readonly Cidr[];
  /** One default gateway per family at most (the subnets' gateways; never the instance's own address). */
  readonly gateways: readonly IpAddress[];
  /** The IPv4 fixed IP a DHCP lease must give (null: the port has none, so no client runs). */
  readonly leaseIp: IpAddress | null;
}

/** Which instance: enough to find (and remove) everything it made. */
export interface InstanceRef {
  readonly topology: TopologyName;
  readonly name: string;
}

/**
 * How an instance's port is wired: on Open vSwitch, `hybrid` when port security is on (the firewall
 * hooks `tap<id>` in `qbr<id>`), else `internal`; on a Linux bridge a veth into `brq<net>` (the
 * driver builds every style that way; `veth` says so).
 */
export function instanceStyle(driver: Pick<InterfaceDriver, 'kind'>, portSecurity: boolean): PlugStyle {
  if (driver.kind === 'ovs') return portSecurity ? 'hybrid' : 'internal';
  return 'veth';
}

/**
 * The instance's device inside its namespace: `eth0`, except for an OVS internal port, whose device
 * IS the switch port and so must be unique on the bridge: `tap<port id>` (Neutron's name for it).
 */
export function instanceDevice(style: PlugStyle, portId: string) {
  return style === 'internal' ? hostDevice('tap', portId, 'instance.port.id') : deviceName('eth0');
}

/** The namespace of an instance. Pure. */
export function instanceNamespace(ref: InstanceRef, prefix?: NetnsPrefix): NamespaceName {
  return namespaceFor('instance', ref.topology, ref.name as never, prefix);
}

/**
 * Resolves one instance of a model for `driver` on a host whose namespaces carry `prefix`. Pure.
 *
 * @throws {InvalidInputError} when the model has no such instance (or its network is missing)
 */
export function instanceSpec(
  model: Model,
  name: string,
  driver: Pick<InterfaceDriver, 'kind'>,
  prefix?: NetnsPrefix,
): InstanceSpec {
  const vm = model.instances.find((i) => i.name === name);
  if (!vm)
    throw new InvalidInputError(`instance: topology ${model.topology} has no instance ${name}`, 'instance');
  const network = model.networks.find((n) => n.name === vm.network);
  if (!network) throw new InvalidInputError(`instance ${name}: no network ${vm.network}`, 'instance.network');
  return specOf(vm, network, driver, prefix);
}

function specOf(
  vm: Instance,
  network: Network,
  driver: Pick<InterfaceDriver, 'kind'>,
  prefix?: NetnsPrefix,
): InstanceSpec {
  const style = instanceStyle(driver, vm.portSecurity);
  const namespace = instanceNamespace({ topology: vm.owner.topology, name: vm.name }, prefix);
  const subnets = new Map(network.subnets.map((s) => [s.name, s]));
  const cidrs: Cidr[] = [];
  const gateways: IpAddress[] = [];
  const own = new Set(vm.port.fixedIps.map((f) => f.address as string));
  let leaseIp: IpAddress | null = null;
  for (const f of vm.port.fixedIps) {
    const s = subnets.get(f.subnet);
    if (!s) continue;
    cidrs.push(`${f.address}/${s.prefixLength}` as Cidr);
    const family = addressFamily(f.address);
    if (family === 4 && leaseIp === null) leaseIp = f.address;
    if (s.gateway && !own.has(s.gateway) && !gateways.some((g) => addressFamily(g) === family)) {
      gateways.push(s.gateway);
    }
  }
  return {
    owner: vm.owner,
    namespace,
    request: {
      network: { owner: network.owner, id: network.id, mtu: network.mtu, external: network.external },
      port: { owner: vm.port.owner, id: vm.port.id, mac: vm.port.mac },
      device: instanceDevice(style, vm.port.id),
      namespace,
      style,
    },
    address: vm.address,
    cidrs,
    gateways,
    leaseIp,
  };
}

/** Every instance of a model placed on `host` (every instance when `host` is undefined), resolved. */
export function instanceSpecs(
  model: Model,
  driver: Pick<InterfaceDriver, 'kind'>,
  prefix?: NetnsPrefix,
  host?: string | null,
): InstanceSpec[] {
  const networks = new Map(model.networks.map((n) => [n.name, n]));
  return model.instances
    .filter((i) => host === undefined || i.host === host)
    .map((i) => {
      const n = networks.get(i.network);
      if (!n) throw new InvalidInputError(`instance ${i.name}: no network ${i.network}`, 'instance.network');
      return specOf(i, n, driver, prefix);
    });
}
