// A stand-in for the reconcile engine in the interface unit tests (until h/engine is merged): applies
// changes in the engine's documented order (deletes first in reverse phases, then creates/updates in
// phase order; within a phase ovs -> ip host -> ip namespaces -> commands; reversed for deletes),
// against the fakes, and plays ovs-vswitchd for internal ports (their device appears in the host
// namespace when the row is made, and disappears, wherever it is, when the row goes).

import { requireBridgeOp } from '../../src/ovs/bridge-ops.js';
import type { OvsOp } from '../../src/ovs/ovs-ops.js';
import { byName, mergeMapOps, Transaction } from '../../src/ovs/ovsdb/operations.js';
import { Uuid } from '../../src/ovs/ovsdb/values.js';
import { addPortOps, deletePortOps, setPortTagOps, validatePortSpec } from '../../src/ovs/ports.js';
import { type Change, PHASES, type Phase, type Step } from '../../src/reconcile/step.js';
import type { FakeHost } from './interface-fixtures.js';

type Rank = number;

function rank(s: Step, del: boolean): Rank {
  const order = s.via === 'ovs' ? 0 : s.via === 'ip' ? (s.place === 'host' ? 1 : 2) : 3;
  return del ? 3 - order : order;
}

/** Applies changes as the engine would; resolves with the state-changing operations sent. */
export async function applyForTest(host: FakeHost, changes: readonly Change[]): Promise<number> {
  let count = 0;
  const passes: [boolean, Phase[]][] = [
    [true, [...PHASES].reverse()],
    [false, [...PHASES]],
  ];
  for (const [del, phases] of passes) {
    const mine = changes.filter((c) => (c.action === 'delete') === del);
    for (const phase of phases) {
      const steps = mine.flatMap((c) => c.steps.filter((s) => s.phase === phase));
      const ordered = steps
        .map((s, i) => ({ s, i }))
        .sort((a, b) => rank(a.s, del) - rank(b.s, del) || a.i - b.i);
      const ovsOps = ordered.flatMap(({ s }) => (s.via === 'ovs' ? s.ops : []));
      for (const { s } of ordered) {
        if (s.via === 'ovs') {
          if (ovsOps.length > 0) {
            await commitOvs(host, ovsOps.splice(0));
            count += s.ops.length;
          }
        } else if (s.via === 'ip') {
          const ns = s.place === 'host' ? host.hostNs : s.place;
          await host.kernel.apply(ns, s.ops);
          count += s.ops.length;
        } else if (s.via === 'command') {
          host.commands.push({ place: s.place, argv: s.argv });
          count += 1;
        } else {
          throw new Error(`interface-apply: unexpected step ${s.via}`);
        }
      }
    }
  }
  return count;
}

async function commitOvs(host: FakeHost, ops: readonly OvsOp[]): Promise<void> {
  const tx = new Transaction();
  for (const o of ops) {
    switch (o.op) {
      case 'port.add':
        requireBridgeOp(tx, o.bridge);
        addPortOps(tx, byName(o.bridge), validatePortSpec(o.spec), o.owner);
        break;
      case 'port.tag':
        setPortTagOps(tx, o.name, o.tag);
        break;
      case 'iface.external_ids':
        mergeMapOps(tx, 'Interface', byName(o.name), 'external_ids', o.externalIds);
        break;
      case 'port.del':
        deletePortOps(tx, [new Uuid(o.uuid)]);
        break;
      default:
        throw new Error(`interface-apply: unexpected ovs op ${o.op}`);
    }
  }
  await host.sw.commit(tx);
  vswitchd(host);
}

/** Internal ports' devices follow their rows, as ovs-vswitchd makes them. */
function vswitchd(host: FakeHost): void {
  const internal = new Set(
    host.ovsdb
      .rows('Interface')
      .filter((r) => r.type === 'internal')
      .map((r) => String(r.name)),
  );
  const all = [null, ...host.kernel.namespaces()];
  const devices = new Map<string, { ns: string | null }>();
  for (const ns of all) {
    for (const l of host.kernel.ns(ns)?.links ?? []) {
      if ((l.kind as string) === 'tun') devices.set(l.name, { ns });
    }
  }
  for (const [name, { ns }] of devices) {
    if (!internal.has(name)) {
      const space = host.kernel.ns(ns)!;
      space.drop(space.link(name)!);
    }
  }
  for (const name of internal) {
    if (!devices.has(name)) {
      host.kernel.ns(host.hostNs)!.addLink({ name, kind: 'tun' as 'veth', mac: '02:aa:00:00:00:01' });
    }
  }
}
