// A stand-in for the reconcile engine in the interface tests (until h/engine is merged): applies
// changes in the engine's documented order (deletes first in reverse phases, then creates/updates in
// phase order; within a phase ovs -> ip host -> ip namespaces -> commands; reversed for deletes)
// through an Executors bundle. For the fakes, FakeHost plays ovs-vswitchd for internal ports (their
// device appears in the host namespace when the row is made, and disappears when the row goes).

import { requireBridgeOp } from '../../src/ovs/bridge-ops.js';
import type { OvsOp } from '../../src/ovs/ovs-ops.js';
import { byName, mergeMapOps, Transaction } from '../../src/ovs/ovsdb/operations.js';
import { Uuid } from '../../src/ovs/ovsdb/values.js';
import { addPortOps, deletePortOps, setPortTagOps, validatePortSpec } from '../../src/ovs/ports.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { type Change, PHASES, type Phase, type Step } from '../../src/reconcile/step.js';
import type { FakeHost } from './interface-fixtures.js';

/** Where the stand-in applies: the executors, and hooks for the fakes. */
export interface StandIn {
  readonly executors: Executors;
  /** Called after every OVSDB commit (the fakes' pretend vswitchd). */
  readonly afterOvs?: () => void;
  /** When given, commands are recorded here instead of run. */
  readonly commands?: { place: string; argv: readonly string[] }[];
}

type Rank = number;

function rank(s: Step, del: boolean): Rank {
  const order = s.via === 'ovs' ? 0 : s.via === 'ip' ? (s.place === 'host' ? 1 : 2) : 3;
  return del ? 3 - order : order;
}

/** Applies changes as the engine would; resolves with the state-changing operations sent. */
export async function applyForTest(host: StandIn, changes: readonly Change[]): Promise<number> {
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
          const ns = s.place === 'host' ? host.executors.host.namespace : s.place;
          await host.executors.ip.apply(ns, s.ops);
          count += s.ops.length;
        } else if (s.via === 'command') {
          if (host.commands) host.commands.push({ place: s.place, argv: s.argv });
          else {
            const ns = s.place === 'host' ? host.executors.host.namespace : s.place;
            await host.executors.processes.run(s.argv, ns ? { namespace: ns } : {});
          }
          count += 1;
        } else {
          throw new Error(`interface-apply: unexpected step ${s.via}`);
        }
      }
    }
  }
  return count;
}

async function commitOvs(host: StandIn, ops: readonly OvsOp[]): Promise<void> {
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
  const sw = await host.executors.ovs();
  if (!sw) throw new Error('interface-apply: no Open vSwitch');
  await sw.commit(tx);
  host.afterOvs?.();
}

/** Internal ports' devices follow their rows, as ovs-vswitchd makes them. */
export function fakeVswitchd(host: FakeHost): void {
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
