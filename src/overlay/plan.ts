// The VXLAN device of each network on a host, as a pure plan: `vx-<network id>` (id VNI, local VTEP,
// dstport 4789, nolearning, proxy on tenant networks, off on external ones) enslaved to the network's
// `brq` bridge, marked by the network; created, corrected in place, replaced when a setting the
// kernel cannot change differs, removed when its network leaves. Neutron: the linuxbridge agent's
// ensure_vxlan / ensure_vxlan_bridge.

import { hostDevice, linkMark } from '../interface/layout.js';
import { type VxlanLinkSpec, vxlanOps, vxlanSpec } from '../ip/link-add.js';
import type { LinkInfo } from '../ip/links.js';
import type { IpOp, LinkChanges } from '../ip/ops.js';
import type { Network } from '../model/types.js';
import { parseOwnerMark, topologyName } from '../net/ownership.js';
import type { DeviceName, Mtu } from '../net/types.js';
import type { Change, IpStep } from '../reconcile/step.js';
import { OverlayConflictError } from './errors.js';
import { isOwnedVxlan, vxlanDevice } from './names.js';
import type { OverlayObserved } from './observe.js';
import { type OverlayDesired, VXLAN_PORT, type VxlanDetails } from './types.js';

/** One network's device as wanted. */
interface WantDevice {
  readonly network: Network;
  readonly spec: VxlanLinkSpec;
  readonly master: DeviceName;
  readonly mtu: Mtu;
}

function want(d: OverlayDesired, network: Network): WantDevice | null {
  if (network.vni === null) return null;
  const mark = linkMark(network.owner);
  const spec = vxlanSpec({
    name: vxlanDevice(network),
    vni: network.vni,
    local: d.host.vtep,
    dstport: d.host.dstport ?? VXLAN_PORT,
    learning: false,
    // ARP is answered on the host from permanent neighbours (l2pop) on tenant networks; on an external
    // network floating IPs and upstream addresses move freely, so ARP is flooded.
    proxy: !network.external,
    mtu: network.mtu,
    up: true,
    owner: { owner: mark.owner, group: mark.group },
  });
  return { network, spec, master: hostDevice('brq', network.id, 'network.id'), mtu: network.mtu };
}

/** What the kernel cannot change on a live VXLAN device: a difference means a new device. */
function mustReplace(w: WantDevice, d: VxlanDetails | undefined): string | null {
  if (!d) return 'its VXLAN settings could not be read';
  const v = w.spec.vxlan;
  if (d.vni !== v.vni) return `id ${d.vni} → ${v.vni}`;
  if ((d.local ?? '') !== (v.local ?? '')) return `local ${d.local ?? 'none'} → ${v.local}`;
  if (d.dstport !== (v.dstport ?? VXLAN_PORT)) return `dstport ${d.dstport} → ${v.dstport}`;
  if (d.learning) return 'learning → nolearning';
  if (d.proxy !== (v.proxy === true)) return `proxy ${d.proxy ? 'on' : 'off'} → ${v.proxy ? 'on' : 'off'}`;
  return null;
}

function step(ops: IpOp[]): IpStep {
  return { via: 'ip', phase: 'bridge', place: 'host', ops };
}

function createOps(w: WantDevice): IpOp[] {
  return [...vxlanOps(w.spec), { op: 'link.set', name: w.spec.name, set: { master: w.master } }];
}

function ref(network: Network) {
  return { topology: network.owner.topology, kind: 'network' as const, name: network.name };
}

/**
 * Plans the VXLAN devices of one topology's networks on a host (pure; `[]` when converged). With
 * `desired = null`, every VXLAN device of the topology goes (destroy). A device that differs in a
 * setting the kernel cannot change on a live device (VNI, local address, port, learning, `proxy`) is
 * replaced: a `delete` change, then a `create` change whose summary says "replace". MTU, master and
 * state are corrected in place. The network's bridge must exist when the plan is applied (the
 * interface driver's `planNetwork`; the deployment makes it).
 *
 * @param topology the topology whose devices are planned (required when `desired` is null)
 * @throws {OverlayConflictError} when a device of the needed name is not this network's
 * @throws {InvalidInputError} for a malformed VTEP, VNI or MTU
 */
export function planOverlay(
  desired: OverlayDesired | null,
  observed: OverlayObserved,
  topology: string = desired?.topology ?? '',
): Change[] {
  const topo = topologyName(topology, 'topology');
  const links = observed.links ?? [];
  const byName = new Map<string, LinkInfo>(links.map((l) => [l.name, l]));
  const wants = (desired?.networks ?? []).map((n) => want(desired!, n)).filter((w) => w !== null);
  const wanted = new Set<string>(wants.map((w) => w.spec.name));
  const changes: Change[] = [];

  for (const w of wants) {
    const have = byName.get(w.spec.name);
    const r = ref(w.network);
    const owner = linkMark(w.network.owner).owner;
    if (!have) {
      changes.push({
        resource: r,
        action: 'create',
        summary: `+ network ${w.network.name}: ${w.spec.name} (vni ${w.spec.vxlan.vni}${w.spec.vxlan.proxy ? ', arp proxy' : ''}) in ${w.master}`,
        steps: [step(createOps(w))],
      });
      continue;
    }
    if (have.owner !== owner || have.kind !== 'vxlan') {
      throw new OverlayConflictError(w.spec.name, have.owner ? `tenantnet:${have.owner}` : "not tenantnet's");
    }
    const why = mustReplace(w, observed.vxlans.get(w.spec.name));
    if (why !== null) {
      changes.push({
        resource: r,
        action: 'delete',
        summary: `- network ${w.network.name}: ${w.spec.name} (replaced: ${why})`,
        steps: [{ ...step([{ op: 'link.del', name: w.spec.name }]) }],
      });
      changes.push({
        resource: r,
        action: 'create',
        summary: `~ network ${w.network.name}: replace ${w.spec.name} (${why})`,
        steps: [step(createOps(w))],
      });
      continue;
    }
    const set: { -readonly [K in keyof LinkChanges]: LinkChanges[K] } = {};
    if (have.mtu !== w.mtu) set.mtu = w.mtu;
    if (have.master !== w.master) set.master = w.master;
    if (!have.up) set.up = true;
    if (Object.keys(set).length > 0) {
      changes.push({
        resource: r,
        action: 'update',
        summary: `~ network ${w.network.name}: ${w.spec.name} ${Object.keys(set).join(', ')}`,
        steps: [step([{ op: 'link.set', name: w.spec.name, set }])],
      });
    }
  }

  for (const l of links) {
    if (!isOwnedVxlan(l, topo) || wanted.has(l.name)) continue;
    const o = parseOwnerMark(l.owner!)!;
    changes.push({
      resource: { topology: topo, kind: 'network', name: o.name },
      action: 'delete',
      summary: `- network ${o.name}: ${l.name}`,
      steps: [step([{ op: 'link.del', name: l.name }])],
    });
  }
  return changes;
}
