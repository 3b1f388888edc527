// A plug's names and its validated request: host-side devices are a Neutron lead plus 11 characters of
// the port's id (`tap`, `qbr`, `qvb`, `qvo`), a network's Linux bridge `brq` plus the network's.
// Neutron: interface.py's device-name handling and os-vif's hybrid names.
import { InvalidInputError } from '../errors.js';
import type { DeviceLead } from '../net/naming.js';
import {
  type Owner,
  ownerMark,
  parseOwnerMark,
  resourceName,
  topologyGroup,
  topologyName,
} from '../net/ownership.js';
import { requireString } from '../net/text.js';
import { type DeviceName, deviceName, type LinkGroup, mac, mtu, namespaceName } from '../net/types.js';
import type { PlugNetwork, PlugPort, PlugRequest, PlugStyle, PlugTarget } from './driver.js';

const STYLES: readonly string[] = ['internal', 'veth', 'hybrid'];
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A host-side device name: `lead` plus the first 11 characters of `id` (14 in all). Only derived
 * names are cut. Pure.
 *
 * @throws {InvalidInputError} when the id has characters a device name cannot carry
 */
export function hostDevice(lead: DeviceLead, id: string, where = 'id'): DeviceName {
  return deviceName(`${lead}${id.slice(0, 11)}`, where);
}

/** The Linux bridge of a network: `brq` plus 11 characters of its id, as Neutron names it. Pure. */
export function networkBridge(network: PlugNetwork): DeviceName {
  return hostDevice('brq', network.id, 'network.id');
}

/** The ifalias and link group every link of an owner carries. */
export interface LinkMark {
  /** `tenantnet:<topology>.<kind>.<name>` */
  readonly alias: string;
  /** The owner mark alone (what `LinkInfo.owner` reads back). */
  readonly owner: string;
  /** The topology's link group. */
  readonly group: LinkGroup;
}

/** The mark of an owner's links. Pure. */
export function linkMark(owner: Owner): LinkMark {
  const o = ownerMark(owner);
  return { alias: `tenantnet:${o}`, owner: o, group: topologyGroup(owner.topology) };
}

function owner(value: unknown, where: string): Owner {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidInputError(`${where}: not an owner ({ topology, kind, name })`, where);
  }
  const o = value as Record<string, unknown>;
  const topology = topologyName(o.topology as string, `${where}.topology`);
  const name = resourceName(o.name as string, `${where}.name`);
  const kind = requireString(o.kind, `${where}.kind`);
  // The mark parses back only with a known kind.
  const parsed = parseOwnerMark(`${topology}.${kind}.${name}`);
  if (!parsed) {
    throw new InvalidInputError(
      `${where}.kind: ${JSON.stringify(kind)} is not a resource kind`,
      `${where}.kind`,
    );
  }
  return parsed;
}

function id(value: unknown, where: string): string {
  const v = requireString(value, where);
  if (!ID.test(v)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not an id (1-64 of A-Z a-z 0-9 _ -)`,
      where,
    );
  }
  return v;
}

/**
 * Validates a plug's port. @throws {InvalidInputError} naming the field
 */
export function plugPort(value: PlugPort, where = 'port'): PlugPort {
  if (typeof value !== 'object' || value === null) throw new InvalidInputError(`${where}: not a port`, where);
  return {
    owner: owner(value.owner, `${where}.owner`),
    id: id(value.id, `${where}.id`),
    mac: mac(value.mac, `${where}.mac`),
  };
}

/**
 * Validates a plug's network. @throws {InvalidInputError} naming the field
 */
export function plugNetwork(value: PlugNetwork, where = 'network'): PlugNetwork {
  if (typeof value !== 'object' || value === null)
    throw new InvalidInputError(`${where}: not a network`, where);
  if (typeof value.external !== 'boolean') {
    throw new InvalidInputError(`${where}.external: not a boolean`, `${where}.external`);
  }
  return {
    owner: owner(value.owner, `${where}.owner`),
    id: id(value.id, `${where}.id`),
    mtu: mtu(value.mtu, `${where}.mtu`),
    external: value.external,
  };
}

/**
 * Validates a plug target (port, device, namespace, style); the result carries checked values only.
 *
 * @throws {InvalidInputError} naming the field, before anything runs
 */
export function plugTarget(value: PlugTarget, where = 'plug'): PlugTarget {
  if (typeof value !== 'object' || value === null) throw new InvalidInputError(`${where}: not a plug`, where);
  if (value.style !== undefined && !STYLES.includes(value.style)) {
    throw new InvalidInputError(
      `${where}.style: ${JSON.stringify(value.style)} is not internal, veth or hybrid`,
      `${where}.style`,
    );
  }
  const port = plugPort(value.port, `${where}.port`);
  // Every host-side name must be a device name (the id's first 11 characters).
  hostDevice('qbr', port.id, `${where}.port.id`);
  return {
    port,
    device: deviceName(value.device, `${where}.device`),
    namespace: namespaceName(value.namespace, `${where}.namespace`),
    ...(value.style === undefined ? {} : { style: value.style as PlugStyle }),
  };
}

/**
 * Validates a plug request: the target, the network and the MTU.
 *
 * @throws {InvalidInputError} naming the field, before anything runs
 */
export function plugRequest(value: PlugRequest, where = 'plug'): PlugRequest {
  const target = plugTarget(value, where);
  const network = plugNetwork(value.network, `${where}.network`);
  networkBridge(network);
  return {
    ...target,
    network,
    ...(value.mtu === undefined ? {} : { mtu: mtu(value.mtu, `${where}.mtu`) }),
  };
}
