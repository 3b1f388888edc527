// The Linux bridge interface driver (Neutron: interface.py's BridgeInterfaceDriver plus the
// linuxbridge agent's ensure_bridge): one `brq<net>` bridge per network in the host place, a veth
// `tap<id>` (enslaved to it) ↔ the device in the namespace. No Open vSwitch row is ever made.
import { InvalidInputError } from '../errors.js';
import type { Observation } from '../reconcile/observation.js';
import { PieceDriver } from './base.js';
import type {
  NetworkObserved,
  PlugLayout,
  PlugNetwork,
  PlugObserved,
  PlugRequest,
  PlugTarget,
} from './driver.js';
import { hostDevice, linkMark, networkBridge } from './layout.js';
import { observePlugState } from './observe.js';
import type { Piece } from './pieces.js';

const STYLES = ['internal', 'veth', 'hybrid'];

/**
 * Plugs ports into their network's Linux bridge. Every style is built the same way (`tap<id>` in
 * `brq<net>`): the tap on a Linux bridge is already the hook a firewall needs. The bridge is the
 * network's ({@link planNetwork}); a plug's change comes after it.
 */
export class LinuxBridgeInterfaceDriver extends PieceDriver {
  readonly kind = 'linuxbridge' as const;

  layout(req: PlugTarget & { readonly network?: PlugNetwork }): PlugLayout {
    if (req.style !== undefined && !STYLES.includes(req.style)) {
      throw new InvalidInputError(
        `style: ${JSON.stringify(req.style)} is not internal, veth or hybrid`,
        'style',
      );
    }
    const tap = hostDevice('tap', req.port.id, 'port.id');
    return {
      style: 'veth',
      device: req.device,
      namespace: req.namespace,
      ovsPort: null,
      hostLinks: [tap],
      filter: req.network ? { bridge: networkBridge(req.network), device: tap } : null,
    };
  }

  async observeNetwork(obs: Observation, _network: PlugNetwork): Promise<NetworkObserved> {
    return { host: await obs.namespace('host') };
  }

  observePlug(obs: Observation, target: PlugTarget): Promise<PlugObserved> {
    return observePlugState(obs, target);
  }

  /** `brq<id>`: marked by the network, IPv6 off; its MTU follows its ports (the kernel's own rule). */
  protected networkPieces(network: PlugNetwork): Piece[] {
    return [
      {
        kind: 'bridge',
        phase: 'bridge',
        link: {
          name: networkBridge(network),
          place: 'host',
          kinds: ['bridge'],
          mark: linkMark(network.owner),
          ipv6Off: true,
        },
      },
    ];
  }

  protected plugPieces(req: PlugTarget & Partial<Pick<PlugRequest, 'network' | 'mtu'>>): Piece[] {
    const mark = linkMark(req.port.owner);
    const mtu = req.mtu ?? req.network?.mtu;
    const tap = hostDevice('tap', req.port.id, 'port.id');
    return [
      {
        kind: 'veth',
        phase: 'port',
        a: {
          name: tap,
          place: 'host',
          kinds: ['veth'],
          mark,
          ipv6Off: true,
          ...(mtu ? { mtu } : {}),
          ...(req.network ? { master: networkBridge(req.network) } : {}),
        },
        b: {
          name: req.device,
          place: req.namespace,
          kinds: ['veth'],
          mark,
          mac: req.port.mac,
          ...(mtu ? { mtu } : {}),
        },
      },
    ];
  }
}
