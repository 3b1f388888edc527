// The Open vSwitch interface driver (Neutron: interface.py's OVSInterfaceDriver, with ovs_use_veth, and
// os-vif's hybrid plug): ports on the integration bridge, created in the dead VLAN and bound to the
// network's local VLAN, as plans of OVSDB and ip operations.
import { InvalidInputError } from '../errors.js';
import { ownerMark } from '../net/ownership.js';
import { BridgeNotFoundError } from '../ovs/errors.js';
import { ovsName } from '../ovs/names.js';
import type { Observation } from '../reconcile/observation.js';
import type { Change, ResourceRef } from '../reconcile/step.js';
import { PieceDriver } from './base.js';
import type {
  IntegrationBridgeView,
  NetworkObserved,
  PlugLayout,
  PlugNetwork,
  PlugObserved,
  PlugRequest,
  PlugStyle,
  PlugTarget,
} from './driver.js';
import { hostDevice, linkMark } from './layout.js';
import { observeIntegrationBridge, observePlugState } from './observe.js';
import type { Piece, WantLink, WantPort } from './pieces.js';

/** Options of {@link OvsInterfaceDriver}. */
export interface OvsDriverOptions {
  /** The integration bridge (default `br-int`); the driver never creates it while plugging. */
  readonly integrationBridge?: string;
}

/**
 * Kinds an OVS internal port's device has: `tun` on the userspace (netdev) datapath, `openvswitch`
 * on the kernel one.
 */
const INTERNAL_KINDS = ['tun', 'openvswitch'];

/**
 * Plugs ports into the integration bridge. Styles: `internal` (default: an OVS internal port moved
 * into the namespace, Neutron's default), `veth` (`tap<id>` on OVS ↔ the device; Neutron's
 * ovs_use_veth) and `hybrid` (`qbr<id>` with `tap<id>` ↔ device and `qvb<id>` ↔ `qvo<id>` on OVS).
 * On a `netdev` datapath tx checksum offload is turned off on the non-OVS end of every veth
 * touching OVS (the namespace end; and `qvb`), without which TCP and UDP fail there.
 */
export class OvsInterfaceDriver extends PieceDriver {
  readonly kind = 'ovs' as const;
  /** The integration bridge's name. */
  readonly bridge: string;

  /** @throws {InvalidInputError} for a bad bridge name */
  constructor(opts: OvsDriverOptions = {}) {
    super();
    this.bridge = ovsName(opts.integrationBridge ?? 'br-int', 'integrationBridge');
  }

  layout(req: PlugTarget): PlugLayout {
    const style: PlugStyle = req.style ?? 'internal';
    const id = req.port.id;
    if (style === 'internal') {
      return {
        style,
        device: req.device,
        namespace: req.namespace,
        ovsPort: req.device,
        hostLinks: [],
        filter: null,
      };
    }
    const tap = hostDevice('tap', id, 'port.id');
    if (style === 'veth') {
      return {
        style,
        device: req.device,
        namespace: req.namespace,
        ovsPort: tap,
        hostLinks: [tap],
        filter: null,
      };
    }
    if (style !== 'hybrid') {
      throw new InvalidInputError(`style: ${JSON.stringify(style)} is not internal, veth or hybrid`, 'style');
    }
    const qbr = hostDevice('qbr', id, 'port.id');
    const qvb = hostDevice('qvb', id, 'port.id');
    const qvo = hostDevice('qvo', id, 'port.id');
    return {
      style,
      device: req.device,
      namespace: req.namespace,
      ovsPort: qvo,
      hostLinks: [qbr, tap, qvb, qvo],
      filter: { bridge: qbr, device: tap },
    };
  }

  async observeNetwork(obs: Observation, _network: PlugNetwork): Promise<NetworkObserved> {
    const [host, bridge] = await Promise.all([
      obs.namespace('host'),
      observeIntegrationBridge(obs, this.bridge),
    ]);
    return { host, bridge };
  }

  observePlug(obs: Observation, target: PlugTarget): Promise<PlugObserved> {
    return observePlugState(obs, target, this.bridge);
  }

  /** The network's local VLAN is reserved in the apply's table; nothing is made on the host. */
  protected networkPieces(network: PlugNetwork, observed: NetworkObserved): Piece[] {
    observed.bridge?.vlans.tagFor(network.owner);
    return [];
  }

  protected override preflight(_req: PlugRequest, observed: PlugObserved): void {
    if (!observed.bridge) throw new BridgeNotFoundError(this.bridge);
  }

  protected plugPieces(
    req: PlugTarget & Partial<Pick<PlugRequest, 'network' | 'mtu'>>,
    observed: PlugObserved,
  ): Piece[] {
    const layout = this.layout(req);
    const mark = linkMark(req.port.owner);
    const mtu = req.mtu ?? req.network?.mtu;
    const netdev = observed.bridge?.datapath === 'netdev';
    const port = (name: PlugLayout['device'], type: WantPort['type']): WantPort => ({
      bridge: this.bridge,
      name,
      type,
      owner: mark.owner,
      externalIds: { 'iface-id': req.port.id, 'attached-mac': req.port.mac, 'iface-status': 'active' },
      network: req.network ? ownerMark(req.network.owner) : '',
      tag: req.network && observed.bridge ? observed.bridge.vlans.tagFor(req.network.owner) : 0,
    });
    const inNs: WantLink = {
      name: req.device,
      place: req.namespace,
      kinds: layout.style === 'internal' ? INTERNAL_KINDS : ['veth'],
      mark,
      mac: req.port.mac,
      ...(mtu ? { mtu } : {}),
      ...(netdev && layout.style !== 'internal' ? { txOff: true } : {}),
    };
    const host = (name: PlugLayout['device'], extra: Partial<WantLink> = {}): WantLink => ({
      name,
      place: 'host',
      kinds: ['veth'],
      mark,
      ipv6Off: true,
      ...(mtu ? { mtu } : {}),
      ...extra,
    });
    if (layout.style === 'internal') {
      return [{ kind: 'internal', port: port(req.device, 'internal'), link: inNs }];
    }
    if (layout.style === 'veth') {
      const tap = host(layout.ovsPort!);
      return [
        { kind: 'veth', a: tap, b: inNs, phase: 'bridge' },
        { kind: 'ovs-port', port: port(tap.name, 'system'), link: tap },
      ];
    }
    const [qbr, tapName, qvbName, qvoName] = layout.hostLinks as [
      PlugLayout['device'],
      PlugLayout['device'],
      PlugLayout['device'],
      PlugLayout['device'],
    ];
    const bridge: WantLink = { name: qbr, place: 'host', kinds: ['bridge'], mark, ipv6Off: true };
    const tap = host(tapName, { master: qbr });
    const qvb = host(qvbName, { master: qbr, ...(netdev ? { txOff: true } : {}) });
    const qvo = host(qvoName);
    return [
      { kind: 'bridge', link: bridge, phase: 'bridge' },
      { kind: 'veth', a: qvb, b: qvo, phase: 'bridge' },
      { kind: 'veth', a: tap, b: inNs, phase: 'port' },
      { kind: 'ovs-port', port: port(qvoName, 'system'), link: qvo },
    ];
  }

  /**
   * Ensures the integration bridge when it is missing: datapath detected (`auto`: the kernel one when
   * it works, else `netdev`), fail mode `standalone`. With no controller and no flows, `standalone`
   * makes the bridge a learning switch (the NORMAL action) that honours port tags, which is what
   * keeps local VLANs apart; `secure` would drop everything until someone installs flows. An
   * existing bridge (whoever made it) is left as it is: [] then. Pure.
   *
   * @param resource the resource the change is reported under (the caller's host resource)
   */
  planIntegrationBridge(observed: IntegrationBridgeView | null, resource: ResourceRef): Change[] {
    if (observed) return [];
    return [
      {
        resource: { topology: resource.topology, kind: resource.kind, name: resource.name },
        action: 'create',
        summary: `+ integration bridge ${this.bridge}`,
        steps: [
          {
            via: 'ovs',
            phase: 'bridge',
            ops: [
              {
                op: 'bridge.ensure',
                name: this.bridge,
                options: { datapathType: 'auto', failMode: 'standalone' },
                observed: null,
              },
            ],
          },
        ],
      },
    ];
  }
}
