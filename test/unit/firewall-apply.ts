// A stand-in for the reconcile engine's netfilter half in the firewall tests (until h/engine is
// merged): applies the firewall's steps in the engine's documented order — deletes first in reverse
// phase order (within a phase iptables, then ipset, then conntrack), then creates and updates in
// phase order (ipset, then iptables, then conntrack) — each iptables manager once per phase.
import type { ApplyReport, IptablesManager } from '../../src/iptables/manager.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { type Change, PHASES, type Step } from '../../src/reconcile/step.js';

/** What the stand-in sent. */
export interface NetfilterApplied {
  /** State-changing operations (iptables lines, ipset lines, conntrack deletes issued). */
  readonly operations: number;
  /** The iptables managers' reports, in apply order. */
  readonly iptables: ApplyReport[];
  /** ipset lines sent. */
  readonly ipsetOps: number;
  /** conntrack deletes issued. */
  readonly conntrack: number;
}

const CREATE_ORDER: Step['via'][] = ['ipset', 'iptables', 'conntrack'];
const DELETE_ORDER: Step['via'][] = ['iptables', 'ipset', 'conntrack'];

/** Applies changes made only of ipset, iptables and conntrack steps. */
export async function applyNetfilter(x: Executors, changes: readonly Change[]): Promise<NetfilterApplied> {
  const reports: ApplyReport[] = [];
  let ipsetOps = 0;
  let conntrack = 0;
  const ns = x.host.namespace;
  for (const del of [true, false]) {
    const mine = changes.filter((c) => (c.action === 'delete') === del);
    const phases = del ? [...PHASES].reverse() : [...PHASES];
    for (const phase of phases) {
      const steps = mine.flatMap((c) => c.steps.filter((s) => s.phase === phase));
      const done = new Set<IptablesManager>();
      for (const via of del ? DELETE_ORDER : CREATE_ORDER) {
        for (const s of steps) {
          if (s.via !== via) continue;
          if (s.via === 'ipset') {
            for (const set of s.sets) {
              if (set.members === null) {
                if (await s.manager.destroy(set.id, set.family)) ipsetOps++;
              } else {
                ipsetOps += (await s.manager.setMembers(set.id, set.family, set.members)).operations;
              }
            }
          } else if (s.via === 'iptables') {
            if (done.has(s.manager)) continue;
            done.add(s.manager);
            reports.push(await s.manager.apply());
          } else if (s.via === 'conntrack') {
            for (const f of s.filters) {
              await x.conntrack.delete(ns, f);
              conntrack++;
            }
          }
        }
      }
      for (const s of steps) {
        if (!CREATE_ORDER.includes(s.via)) throw new Error(`firewall-apply: unexpected step ${s.via}`);
      }
    }
  }
  const lines = reports.reduce((n, r) => n + r.operations, 0);
  return { operations: lines + ipsetOps + conntrack, iptables: reports, ipsetOps, conntrack };
}
