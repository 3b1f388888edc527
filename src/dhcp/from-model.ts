// From the resolved model to what each network's DHCP server serves: the network, its DHCP port, and
// the instances' ports on it with the instance names as hostnames (router ports are not served).
// Neutron: what the DHCP agent's NetModel holds for one network.
import { InvalidInputError } from '../errors.js';
import type { Model, Network } from '../model/types.js';
import type { DhcpNetwork } from './types.js';

/** Options shared by every network of a model. */
export interface DhcpFromModelOptions {
  /** DNS domain (default `openstacklocal`). */
  readonly domain?: string;
  /** Upstream name servers (default none: names dnsmasq does not know get no answer). */
  readonly upstreamServers?: DhcpNetwork['upstreamServers'];
  /** Lease time in seconds or `infinite` (default 86400). */
  readonly leaseTime?: DhcpNetwork['leaseTime'];
}

function served(model: Model, network: Network, opts: DhcpFromModelOptions): DhcpNetwork {
  if (!network.dhcpPort) {
    throw new InvalidInputError(
      `network ${network.name}: no subnet has DHCP, so it has no DHCP server`,
      'network',
    );
  }
  const hosts = model.instances
    .filter((i) => i.network === network.name)
    .map((i) => ({
      owner: i.port.owner,
      id: i.port.id,
      mac: i.port.mac,
      hostname: i.name,
      fixedIps: i.port.fixedIps,
    }));
  return {
    network,
    port: network.dhcpPort,
    hosts,
    ...(opts.domain === undefined ? {} : { domain: opts.domain }),
    ...(opts.upstreamServers === undefined ? {} : { upstreamServers: opts.upstreamServers }),
    ...(opts.leaseTime === undefined ? {} : { leaseTime: opts.leaseTime }),
  };
}

/**
 * What the DHCP server of one network of a model serves: the network, its DHCP port, and every
 * instance's port on it (hostname = instance name). Pure.
 *
 * @throws {InvalidInputError} when the model has no such network, or the network has no DHCP
 */
export function dhcpNetworkFromModel(
  model: Model,
  network: string,
  opts: DhcpFromModelOptions = {},
): DhcpNetwork {
  const n = model.networks.find((x) => x.name === network);
  if (!n)
    throw new InvalidInputError(
      `network: topology ${model.topology} has no network ${JSON.stringify(network)}`,
      'network',
    );
  return served(model, n, opts);
}

/** The DHCP servers of a model: one per network with a DHCP subnet, in the model's order. Pure. */
export function dhcpNetworksFromModel(model: Model, opts: DhcpFromModelOptions = {}): DhcpNetwork[] {
  return model.networks.filter((n) => n.dhcpPort !== null).map((n) => served(model, n, opts));
}
