// Collects a plug's operations into steps: ip ops per phase and place, OVS ops per phase, commands in
// order, one step per (phase, executor, place) so a change hands the engine as few batches as it can.
// Neutron has no such layer (it runs commands at once); this is the plan half of interface.py's verbs.
import type { IpOp } from '../ip/ops.js';
import type { OvsOp } from '../ovs/ovs-ops.js';
import type { Phase, Place, Step } from '../reconcile/step.js';

type Entry =
  | { readonly via: 'ip'; readonly phase: Phase; readonly place: Place; readonly ops: IpOp[] }
  | { readonly via: 'ovs'; readonly phase: Phase; readonly ops: OvsOp[] }
  | { readonly via: 'command'; readonly phase: Phase; readonly place: Place; readonly argv: string[] };

/** An ordered builder of steps; ops of one (phase, executor, place) share one step, in the order given. */
export class StepList {
  private readonly entries: Entry[] = [];
  private readonly index = new Map<string, Entry>();

  /** Appends ip ops run in `place` during `phase`. */
  ip(phase: Phase, place: Place, ...ops: IpOp[]): this {
    if (ops.length === 0) return this;
    const key = `ip\0${phase}\0${place}`;
    const e = this.index.get(key);
    if (e && e.via === 'ip') e.ops.push(...ops);
    else this.add(key, { via: 'ip', phase, place, ops: [...ops] });
    return this;
  }

  /** Appends OVS ops (one transaction per phase when the engine applies them). */
  ovs(phase: Phase, ...ops: OvsOp[]): this {
    if (ops.length === 0) return this;
    const key = `ovs\0${phase}`;
    const e = this.index.get(key);
    if (e && e.via === 'ovs') e.ops.push(...ops);
    else this.add(key, { via: 'ovs', phase, ops: [...ops] });
    return this;
  }

  /** Appends a one-shot command run in `place` during `phase` (each command is its own step). */
  command(phase: Phase, place: Place, argv: readonly string[]): this {
    this.entries.push({ via: 'command', phase, place, argv: [...argv] });
    return this;
  }

  private add(key: string, e: Entry): void {
    this.index.set(key, e);
    this.entries.push(e);
  }

  /** True when nothing was added. */
  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** How many operations and commands were added. */
  get size(): number {
    return this.entries.reduce((n, e) => n + (e.via === 'command' ? 1 : e.ops.length), 0);
  }

  /** The steps, in the order their first operation was added. */
  steps(): Step[] {
    return this.entries.map((e) => ({ ...e }) as Step);
  }
}
