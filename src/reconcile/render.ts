// A plan as people read it: the exact commands an apply of it runs (bash, in apply order, generated
// from the very batches the engine sends), one summary line per change, and JSON. `tenantnet plan`,
// `plan --commands` and `plan --json` print these. Neutron has no equivalent; `ovs-vsctl` and
// `iptables-restore` inputs are what its agents would have run.
import { posix } from 'node:path';
import { batchLine } from '../ip/line.js';
import { type IpOp, isRead } from '../ip/ops.js';
import { conntrackArgs } from '../iptables/conntrack.js';
import { canonicalMembers, type IpsetManager, SWAP_SUFFIX } from '../iptables/ipset.js';
import { membersPlan } from '../iptables/ipset-plan.js';
import type { IptablesManager } from '../iptables/manager.js';
import type { IpFamily, NamespaceName } from '../net/types.js';
import { ovsOpCommands } from '../ovs/ovs-ops.js';
import type { HostSettings } from './executors.js';
import { type Batch, type Pass, refKey, schedule } from './order.js';
import { conntrackFilter } from './run-netfilter.js';
import type { Change, Phase, Place, ServiceSpec, Step } from './step.js';

/** Options for {@link renderChanges}. */
export interface RenderOptions {
  /** The datapath new bridges get when their options say `auto` (what the switch detected; default `system`). */
  readonly datapath?: 'system' | 'netdev';
  /** The owner mark of new bridges whose op names none (the switch's owner; default `tenantnet`). */
  readonly ovsOwner?: string;
}

/** One command of a plan, and where it comes from. */
export interface RenderedCommand {
  /** `topology/kind/name` of the change. */
  readonly resource: string;
  readonly action: Change['action'];
  readonly pass: Pass;
  readonly phase: Phase;
  readonly via: Step['via'];
  /** Bash text (a heredoc spans lines). */
  readonly command: string;
}

/** A plan rendered three ways. */
export interface RenderedPlan {
  /** State-changing operations an apply sends on the state the plan was made from (as the engine counts). */
  readonly changes: number;
  /** The commands, in apply order. */
  readonly commands: readonly RenderedCommand[];
  /** One line per change, grouped by resource, in apply order. */
  readonly summary: readonly string[];
}

/** A word as bash reads it: bare when plain, else single-quoted. Pure. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_.:,/=@%+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

function shell(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}

// A heredoc delimiter no line of the text equals.
function heredoc(head: string, text: string): string {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const lines = new Set(body.split('\n'));
  let tag = 'EOF';
  for (let i = 1; lines.has(tag); i++) tag = `EOF${i}`;
  return `${head} <<'${tag}'\n${body}${tag}`;
}

/** The command prefix that runs a tool in a namespace (`ip netns exec NS`), or none for the root one. */
function inNs(ns: NamespaceName | null): string[] {
  return ns === null ? [] : ['ip', 'netns', 'exec', ns];
}

/** Renders one ip op as the `ip` command a person would type. Pure. */
export function ipCommand(op: IpOp, ns: NamespaceName | null): string {
  const line = batchLine(op).split(' ');
  if (op.op === 'netns.add' || op.op === 'netns.del') return shell(['ip', ...line]);
  if (op.op === 'sysctl') return shell(['ip', ...line]);
  const fam = 'family' in op && op.family === 6 ? ['-6'] : [];
  return shell(['ip', ...(ns === null ? [] : ['-n', ns]), ...fam, ...line]);
}

/**
 * The commands, summary and operation count of a plan, in the order an apply runs it (see
 * order.ts). Generated from the same batches and operation builders the engine uses, and runnable
 * by bash on the state the plan was made from: `host` is the root namespace, or `ip -n HOSTNS`/
 * `ip netns exec HOSTNS` for a simulated host. Pure.
 *
 * @throws {DependencyCycleError} when changes depend on each other in a cycle
 * @throws {InvalidInputError} for an operation the engine would refuse
 */
export function renderChanges(
  changes: readonly Change[],
  host: HostSettings,
  opts: RenderOptions = {},
): RenderedPlan {
  const plan = schedule(changes);
  const place = (p: Place): NamespaceName | null => (p === 'host' ? host.namespace : p);
  const commands: RenderedCommand[] = [];
  const perChange = changes.map(() => 0);
  const deadPorts = new Set<string>();
  for (const batch of plan.batches) {
    const out = (change: number, via: Step['via'], command: string, ops: number) => {
      const c = changes[change]!;
      commands.push({
        resource: refKey(c.resource),
        action: c.action,
        pass: batch.pass,
        phase: batch.phase,
        via,
        command,
      });
      perChange[change]! += ops;
    };
    renderBatch(batch, place, out, { ...opts, deadPorts });
  }
  const summary: string[] = [];
  const done = new Set<number>();
  // Deletions first, as they run; then the rest in dependency order.
  const order = [...plan.order].sort(
    (a, b) => Number(changes[b]!.action === 'delete') - Number(changes[a]!.action === 'delete'),
  );
  for (const i of order) {
    if (done.has(i)) continue;
    const key = refKey(changes[i]!.resource);
    for (const j of order) {
      if (done.has(j) || refKey(changes[j]!.resource) !== key) continue;
      done.add(j);
      const n = perChange[j]!;
      summary.push(`${changes[j]!.summary}  (${n} operation${n === 1 ? '' : 's'})`);
    }
  }
  return { changes: perChange.reduce((a, b) => a + b, 0), commands, summary };
}

type Out = (change: number, via: Step['via'], command: string, ops: number) => void;

function renderBatch(
  batch: Batch,
  place: (p: Place) => NamespaceName | null,
  out: Out,
  opts: RenderOptions & { deadPorts: Set<string> },
): void {
  switch (batch.kind) {
    case 'ip-host':
    case 'ip-ns': {
      // Places in the order they first appear (the engine runs them side by side).
      const byPlace = new Map<string, { ns: NamespaceName | null; items: { change: number; op: IpOp }[] }>();
      for (const it of batch.items) {
        if (it.step.via !== 'ip') continue;
        const ns = place(it.step.place);
        const g = byPlace.get(ns ?? '') ?? { ns, items: [] };
        byPlace.set(ns ?? '', g);
        for (const op of it.step.ops) g.items.push({ change: it.change, op });
      }
      for (const g of byPlace.values()) {
        for (const { change, op } of g.items) if (!isRead(op)) out(change, 'ip', ipCommand(op, g.ns), 1);
      }
      return;
    }
    case 'ovs':
      for (const it of batch.items) {
        if (it.step.via !== 'ovs') continue;
        const argvs = ovsOpCommands(it.step.ops, {
          owner: opts.ovsOwner ?? 'tenantnet',
          datapath: opts.datapath ?? 'system',
          deadPorts: opts.deadPorts,
        });
        for (const argv of argvs) out(it.change, 'ovs', shell(argv), 1);
      }
      return;
    case 'ipset': {
      for (const it of batch.items) {
        const step = it.step;
        if (step.via !== 'ipset') continue;
        const lines: string[] = [];
        for (const s of step.sets) lines.push(...ipsetLines(step.manager, s));
        if (lines.length > 0) {
          out(
            it.change,
            'ipset',
            heredoc(shell([...inNs(place(step.place)), 'ipset', 'restore']), lines.join('\n')),
            lines.length,
          );
        }
      }
      return;
    }
    case 'iptables': {
      const seen = new Set<IptablesManager>();
      for (const it of batch.items) {
        const step = it.step;
        if (step.via !== 'iptables' || seen.has(step.manager)) continue;
        seen.add(step.manager);
        const text = step.planned.text;
        const fams = ([4, 6] as IpFamily[]).filter((f) => (text[f] ?? '') !== '');
        fams.forEach((f, k) => {
          const tool = f === 4 ? 'iptables-restore' : 'ip6tables-restore';
          const head = shell([...inNs(place(step.place)), tool, '-w', '--noflush']);
          // The operations count once, with the first family's restore.
          out(it.change, 'iptables', heredoc(head, text[f]!), k === 0 ? step.planned.operations : 0);
        });
      }
      return;
    }
    case 'conntrack':
      for (const it of batch.items) {
        if (it.step.via !== 'conntrack') continue;
        for (const f of it.step.filters) {
          // conntrack exits 1 when nothing matched: success, as for the engine.
          const cmd = shell([
            ...inNs(place(it.step.place)),
            'conntrack',
            '-D',
            ...conntrackArgs(conntrackFilter(f)),
          ]);
          out(it.change, 'conntrack', `${cmd} || [ $? -eq 1 ]`, 1);
        }
      }
      return;
    case 'command':
      for (const it of batch.items) {
        if (it.step.via !== 'command') continue;
        const cmd = shell([...inNs(place(it.step.place)), ...it.step.argv]);
        const ok = it.step.okCodes ?? [];
        out(
          it.change,
          'command',
          ok.length === 0 ? cmd : `${cmd} || case $? in ${ok.join('|')}) true ;; *) false ;; esac`,
          1,
        );
      }
      return;
    case 'file':
      for (const it of batch.items) {
        if (it.step.via !== 'file') continue;
        const s = it.step;
        if (s.content === null) {
          out(it.change, 'file', shell(['rm', '-f', s.path]), 1);
          continue;
        }
        const mode = (s.mode ?? 0o644).toString(8).padStart(4, '0');
        const body =
          s.content === ''
            ? `: > ${shellWord(s.path)}`
            : s.content.endsWith('\n')
              ? heredoc(`cat > ${shellWord(s.path)}`, s.content)
              : `printf '%s' ${shellWord(s.content)} > ${shellWord(s.path)}`;
        out(
          it.change,
          'file',
          `${shell(['install', '-d', '-m', '0755', posix.dirname(s.path)])}\n${body}\n${shell(['chmod', mode, s.path])}`,
          1,
        );
      }
      return;
    case 'process':
      for (const it of batch.items) {
        if (it.step.via !== 'process') continue;
        out(it.change, 'process', processCommand(it.step.action, it.step.service, place), 1);
      }
      return;
  }
}

function ipsetLines(
  m: IpsetManager,
  s: { id: string; family: IpFamily; members: readonly string[] | null; observed?: readonly string[] | null },
): string[] {
  const name = m.setName(s.id, s.family);
  if (s.members === null) return s.observed === null ? [] : [`destroy ${name}`];
  const have = s.observed === undefined || s.observed === null ? null : new Set(s.observed);
  return membersPlan(name, s.family, canonicalMembers(s.members, s.family), have, m.threshold, SWAP_SUFFIX)
    .lines;
}

function processCommand(
  action: 'enable' | 'reload' | 'restart' | 'disable',
  spec: ServiceSpec,
  place: (p: Place) => NamespaceName | null,
): string {
  const pid = `"$(cat ${shellWord(spec.pidfile)})"`;
  const start = () => {
    const cmd = shell([...inNs(place(spec.place)), ...spec.argv]);
    const dir = shell(['install', '-d', '-m', '0755', posix.dirname(spec.pidfile)]);
    return spec.mode === 'daemonizes'
      ? `${dir}\n${cmd}`
      : `${dir}\n${cmd} </dev/null >/dev/null 2>&1 &\necho $! > ${shellWord(spec.pidfile)}`;
  };
  const stop = `kill -KILL ${pid} 2>/dev/null || true\nrm -f ${shellWord(spec.pidfile)}`;
  switch (action) {
    case 'enable':
      return start();
    case 'reload':
      return `kill -HUP ${pid}`;
    case 'restart':
      return `${stop}\n${start()}`;
    case 'disable':
      return stop;
  }
}

/** The plan as one bash script (`set -e`: the first failing command stops it). Pure. */
export function planScript(plan: RenderedPlan): string {
  return `#!/bin/bash\nset -euo pipefail\n${plan.commands.map((c) => c.command).join('\n')}\n`;
}

/** The plan as `tenantnet plan --json` prints it: `{"changes": N, "operations": [...]}`. Pure. */
export function planJson(plan: RenderedPlan): { changes: number; operations: readonly RenderedCommand[] } {
  return { changes: plan.changes, operations: plan.commands };
}
