// Ownership: who made a kernel object, and every mark that says so. One owner (topology, kind, name)
// maps to its marks (link ifalias, namespace `lo` alias, OVS external_ids, file paths under the state
// directory, a link group per topology) and a mark maps back to its owner, so `status` is observe +
// attribute, `cleanup` is observe + "marked by a topology nobody wants", and no journal is needed.
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { requireString } from './text.js';
import { type LinkGroup, linkGroup } from './types.js';

/** A topology name: 1-32 of `a-z 0-9 -`, starting and ending with a letter or digit. */
export type TopologyName = string & { readonly __brand: 'TopologyName' };
/**
 * A resource name inside a topology: 1-80 of `a-z 0-9 _ -`, starting with a letter or digit. Names
 * users give are narrower ({@link userName}: no `_`), so names tenantnet derives for parts of them
 * (`qr_r1_web`: router r1's port on network web) can use `_` as a separator and never collide.
 */
export type ResourceName = string & { readonly __brand: 'ResourceName' };

/** The kinds of resource tenantnet builds; part of every mark. */
export type ResourceKind =
  | 'network'
  | 'subnet'
  | 'router'
  | 'instance'
  | 'dhcp'
  | 'port'
  | 'secgroup'
  | 'floatingip'
  | 'host';

const KINDS: ReadonlySet<string> = new Set<ResourceKind>([
  'network',
  'subnet',
  'router',
  'instance',
  'dhcp',
  'port',
  'secgroup',
  'floatingip',
  'host',
]);

const TOPOLOGY = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const RESOURCE = /^[a-z0-9][a-z0-9_-]{0,79}$/;

/**
 * Validates a topology name (1-32 of `a-z 0-9 -`, not starting or ending with `-`).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function topologyName(value: string, where = 'topology name'): TopologyName {
  const v = requireString(value, where);
  if (!TOPOLOGY.test(v)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not a topology name (1-32 of a-z 0-9 -, starting and ending with a letter or digit)`,
      where,
    );
  }
  return v as TopologyName;
}

/**
 * Validates a resource name as tenantnet derives them (1-80 of `a-z 0-9 _ -`, starting with a letter
 * or digit).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function resourceName(value: string, where = 'name'): ResourceName {
  const v = requireString(value, where);
  if (!RESOURCE.test(v)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not a valid name (1-80 of a-z 0-9 _ -, starting with a letter or digit)`,
      where,
    );
  }
  return v as ResourceName;
}

/**
 * Validates a name a user gives a network, router, instance or security group: 1-32 of `a-z 0-9 -`,
 * starting and ending with a letter or digit (the rule of topology names).
 *
 * @throws {InvalidInputError} naming the value and `where`
 */
export function userName(value: string, where = 'name'): ResourceName {
  const v = requireString(value, where);
  if (!TOPOLOGY.test(v)) {
    throw new InvalidInputError(
      `${where}: ${JSON.stringify(v)} is not a valid name (1-32 of a-z 0-9 -, starting and ending with a letter or digit)`,
      where,
    );
  }
  return v as ResourceName;
}

/** Who made something: one resource of one topology. */
export interface Owner {
  readonly topology: TopologyName;
  readonly kind: ResourceKind;
  readonly name: ResourceName;
}

/**
 * The owner as one token, `<topology>.<kind>.<name>` (no `.` can occur in the parts, so it parses
 * back). It is the text after `tenantnet:` in a link's ifalias, the value of the OVS
 * `external_ids:tenantnet-owner` key, and the alias of a namespace's `lo`. Pure.
 */
export function ownerMark(o: Owner): string {
  return `${o.topology}.${o.kind}.${o.name}`;
}

/** The owner a mark names, or null when the text is not a tenantnet owner mark. Pure. */
export function parseOwnerMark(mark: string): Owner | null {
  const parts = mark.split('.');
  if (parts.length !== 3) return null;
  const [topology, kind, name] = parts as [string, string, string];
  if (!TOPOLOGY.test(topology) || !KINDS.has(kind) || !RESOURCE.test(name)) return null;
  return { topology: topology as TopologyName, kind: kind as ResourceKind, name: name as ResourceName };
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The short deterministic id of a resource: 11 characters of `a-z 2-7` (55 bits of a SHA-256 of
 * topology, kind and name). Device names are a 3-character prefix plus this id (14 in all, the
 * kernel allows 15), so two topologies, or two resources of one, never share a device name. Pure.
 */
export function resourceId(o: Owner): string {
  const digest = createHash('sha256').update(`${o.topology}\0${o.kind}\0${o.name}`).digest();
  let bits = 0n;
  for (let i = 0; i < 8; i++) bits = (bits << 8n) | BigInt(digest[i]!);
  let id = '';
  for (let i = 0; i < 11; i++) {
    id += BASE32[Number((bits >> BigInt(64 - 5 * (i + 1))) & 31n)];
  }
  return id;
}

/**
 * The link group of a topology: every link it makes in a namespace joins it, so one request lists
 * (or, once every member is checked to be ours, deletes) them all. A 32-bit number from a hash of
 * the topology name, kept away from the small numbers people pick by hand (at least 2^28) and below
 * 2^31 (`ip` refuses larger groups: "Invalid group value"). Pure.
 */
export function topologyGroup(topology: TopologyName): LinkGroup {
  const n = createHash('sha256').update(`tenantnet-group\0${topology}`).digest().readUInt32BE(0);
  return linkGroup(0x1000_0000 + (n % 0x7000_0000));
}
