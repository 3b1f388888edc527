// The null interface driver (Neutron: interface.py's NullDriver): for namespaces that need no L2; it
// plans nothing and plugs nothing.
import type { Observation } from '../reconcile/observation.js';
import { PieceDriver } from './base.js';
import type { NetworkObserved, PlugLayout, PlugNetwork, PlugObserved, PlugTarget } from './driver.js';
import type { Piece } from './pieces.js';

/** Plans nothing: every plan is [] and the imperative verbs send nothing. */
export class NullInterfaceDriver extends PieceDriver {
  readonly kind = 'null' as const;

  layout(req: PlugTarget): PlugLayout {
    return {
      style: 'internal',
      device: req.device,
      namespace: req.namespace,
      ovsPort: null,
      hostLinks: [],
      filter: null,
    };
  }

  async observeNetwork(_obs: Observation, _network: PlugNetwork): Promise<NetworkObserved> {
    return { host: null };
  }

  async observePlug(_obs: Observation, _target: PlugTarget): Promise<PlugObserved> {
    return { host: null, target: null };
  }

  protected networkPieces(): Piece[] {
    return [];
  }

  protected plugPieces(): Piece[] {
    return [];
  }
}
