// Taking a plug apart and resizing it, over the same pieces planPieces builds: unplug (OVS rows in
// phase `port`, links in `bridge`, so the rows go first) and MTU changes (one `link set` per link).
// Neutron: interface.py's unplug() and set_mtu().
import type { LinkInfo } from '../ip/links.js';
import type { Mtu } from '../net/types.js';
import type { PlugObserved } from './driver.js';
import { linkKey, type Piece, portKey, Seen, type WantLink, type WantPort } from './pieces.js';
import { StepList } from './steps.js';

/**
 * Removes the pieces' parts that exist and are ours: OVS ports (phase `port`) and links (phase
 * `bridge`), so that, deletions running phases in reverse, OVS rows go first. `only`: just these
 * keys (what one call created). Pure.
 */
export function unplugPieces(
  pieces: readonly Piece[],
  observed: PlugObserved,
  only?: ReadonlySet<string>,
): StepList {
  const seen = new Seen(observed);
  const steps = new StepList();
  const wanted = (key: string) => only === undefined || only.has(key);
  const ours = (l: LinkInfo | undefined, w: WantLink): l is LinkInfo =>
    l !== undefined && l.owner === w.mark.owner;
  const delLink = (w: WantLink) => steps.ip('bridge', w.place, { op: 'link.del', name: w.name });
  const delPort = (w: WantPort): boolean => {
    const br = seen.bridge();
    if (!br) return false;
    const po = br.ports.get(w.name);
    const pe = br.elsewhere.get(w.name);
    const found =
      po && po.owner === w.owner
        ? { p: po, bridge: br.name }
        : pe && pe.port.owner === w.owner
          ? { p: pe.port, bridge: pe.bridge }
          : null;
    if (!found || !wanted(portKey(w.name))) return false;
    steps.ovs('port', { op: 'port.del', bridge: found.bridge, name: w.name, uuid: found.p.uuid });
    return true;
  };
  for (const piece of pieces) {
    switch (piece.kind) {
      case 'bridge': {
        const w = piece.link;
        if (ours(seen.link(w.place, w.name), w) && wanted(linkKey(w.place, w.name))) delLink(w);
        break;
      }
      case 'veth': {
        const { a, b } = piece;
        const la = seen.link(a.place, a.name);
        const lb = seen.link(b.place, b.name);
        if (!wanted(linkKey(a.place, a.name))) break;
        const pair = la?.kind === 'veth' && lb?.kind === 'veth';
        if (ours(la, a)) delLink(a);
        // One end of a pair takes the other with it; a lone or mismatched end goes by itself.
        if (ours(lb, b) && !(pair && ours(la, a))) delLink(b);
        break;
      }
      case 'internal': {
        // Deleting the port makes vswitchd remove its device, wherever it was moved.
        if (delPort(piece.port)) break;
        const w = piece.link;
        if (!wanted(portKey(piece.port.name))) break;
        if (ours(seen.link(w.place, w.name), w)) delLink(w);
        if (ours(seen.link('host', w.name), w)) delLink({ ...w, place: 'host' });
        break;
      }
      case 'ovs-port':
        delPort(piece.port);
        break;
    }
  }
  return steps;
}

/** One `link set mtu` per existing link of the pieces whose MTU is managed and differs. Pure. */
export function mtuPieces(pieces: readonly Piece[], observed: PlugObserved, mtu: Mtu): StepList {
  const seen = new Seen(observed);
  const steps = new StepList();
  const links = pieces.flatMap((p) =>
    p.kind === 'veth' ? [p.a, p.b] : p.kind === 'bridge' || p.kind === 'internal' ? [p.link] : [],
  );
  for (const w of links) {
    if (w.mtu === undefined) continue;
    const l = seen.link(w.place, w.name);
    if (l && l.owner === w.mark.owner && l.mtu !== mtu) {
      steps.ip('l3', w.place, { op: 'link.set', name: w.name, set: { mtu } });
    }
  }
  return steps;
}
