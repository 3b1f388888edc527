// The ip batches of a phase: every ip op of one place in ONE pipelined `ip -batch` round (settled,
// so a failing op is pinned on its change while the others go on), places side by side. Namespace
// names are global: `netns add/del` always run in the root namespace's batch, whatever stands for
// the host (`ip -n HOST netns add` would make a namespace file nobody can enter).
import { DeviceNotFoundError, IpCommandError, ObjectExistsError, ObjectNotFoundError } from '../ip/errors.js';
import { batchLine } from '../ip/line.js';
import { type IpOp, isRead } from '../ip/ops.js';
import { NamespaceNotFoundError } from '../net/namespace.js';
import type { NamespaceName } from '../net/types.js';
import { placeNamespace, type RunContext, type Runner } from './run-context.js';

interface Entry {
  readonly change: number;
  readonly op: IpOp;
}

interface Segment {
  readonly namespace: NamespaceName | null;
  readonly entries: Entry[];
}

/** Where an op runs: namespace files are made and removed from the root namespace. */
function targetOf(op: IpOp, place: NamespaceName | null): NamespaceName | null {
  return op.op === 'netns.add' || op.op === 'netns.del' ? null : place;
}

/** Runs one phase's ip steps for some places (see the file header). */
export const runIp: Runner = async (items, ctx) => {
  const groups = new Map<string, Segment[]>();
  for (const it of items) {
    if (it.step.via !== 'ip' || !ctx.alive(it.change)) continue;
    // A forged op fails its own change before anything is sent (the batch would refuse every op
    // of the round for it).
    try {
      for (const op of it.step.ops) batchLine(op);
    } catch (e) {
      ctx.fail(it.change, e);
      continue;
    }
    const place = placeNamespace(ctx.executors, it.step.place);
    const key = place ?? '';
    const segments = groups.get(key) ?? [];
    groups.set(key, segments);
    for (const op of it.step.ops) {
      const ns = targetOf(op, place);
      const last = segments[segments.length - 1];
      if (last && last.namespace === ns) last.entries.push({ change: it.change, op });
      else segments.push({ namespace: ns, entries: [{ change: it.change, op }] });
    }
  }
  await Promise.all([...groups.values()].map((segments) => runSegments(segments, ctx)));
};

async function runSegments(segments: readonly Segment[], ctx: RunContext): Promise<void> {
  const ip = ctx.executors.ip;
  for (const seg of segments) {
    // A change that failed in an earlier segment of this place is not carried on.
    let live = seg.entries.filter((e) => ctx.alive(e.change));
    if (live.length === 0) continue;
    // A namespace an op moves a link into (or makes a veth's peer in) must exist, or `ip` refuses
    // the whole round: the changes naming a missing one fail, the others go without them.
    for (const missing of await missingReferences(live, ctx)) {
      for (const e of live)
        if (references(e.op) === missing) ctx.fail(e.change, new NamespaceNotFoundError(missing));
      live = live.filter((e) => ctx.alive(e.change));
    }
    if (live.length === 0) continue;
    // An idle `ip -n NS` keeps a deleted namespace (and its devices) alive: let go of it as the name goes.
    const releasing = live.flatMap((e) =>
      e.op.op === 'netns.del' && ip.release ? [ip.release(e.op.name)] : [],
    );
    const settled = await ip.settle(
      seg.namespace,
      live.map((e) => e.op),
    );
    await Promise.all(releasing);
    // "No such device" may be iproute2's name cache in a long-lived `ip`: a device deleted behind it
    // and made again here keeps its old index there. Those ops go again, once, in a fresh process.
    const stale = settled.flatMap((s, i) => (s.status === 'rejected' && mayBeStale(s.reason) ? [i] : []));
    if (stale.length > 0 && ip.restart) {
      await ip.restart(seg.namespace);
      const again = await ip.settle(
        seg.namespace,
        stale.map((i) => live[i]!.op),
      );
      stale.forEach((i, k) => {
        settled[i] = again[k]!;
      });
    }
    settled.forEach((s, i) => {
      const e = live[i]!;
      if (s.status === 'fulfilled') {
        if (!isRead(e.op)) ctx.count(e.change, 1);
      } else if (!alreadySo(e.op, s.reason)) {
        ctx.fail(e.change, s.reason);
      }
    });
  }
}

/** The namespace an op names besides its own (a veth's peer, a `link set netns`). */
function references(op: IpOp): NamespaceName | undefined {
  return op.op === 'veth.add' ? op.peerNamespace : op.op === 'link.set' ? op.set.namespace : undefined;
}

// The namespaces ops refer to that do not exist and that no earlier op of the list makes. Asked of
// the executor's namespace list when it has one (one directory read); otherwise `ip` tells.
async function missingReferences(entries: readonly Entry[], ctx: RunContext): Promise<NamespaceName[]> {
  const refs = new Set(entries.flatMap((e) => references(e.op) ?? []));
  if (refs.size === 0 || !ctx.executors.ip.listNamespaces) return [];
  const made = new Set(entries.flatMap((e) => (e.op.op === 'netns.add' ? [e.op.name] : [])));
  const there = new Set(await ctx.executors.ip.listNamespaces());
  return [...refs].filter((r) => !there.has(r) && !made.has(r));
}

// The kernel says the device is not there: true, or an index iproute2 remembered for a name whose
// device was deleted and made again ("No such device", "ipv4: Device not found").
function mayBeStale(e: unknown): boolean {
  return (
    e instanceof DeviceNotFoundError ||
    (e instanceof IpCommandError && /No such device|Device not found/i.test(e.kernelMessage))
  );
}

// A namespace that exists when it was to be made, or is gone when it was to be removed, or a link
// that is gone when it was to be deleted (asked again in a fresh ip: not a stale name): what was
// asked for is so (a race with another tool, the kernel still tearing down a deleted namespace and
// the far ends of its veths, or an apply killed between its read and its write).
function alreadySo(op: IpOp, e: unknown): boolean {
  return (
    (op.op === 'netns.add' && e instanceof ObjectExistsError) ||
    (op.op === 'netns.del' && e instanceof ObjectNotFoundError) ||
    (op.op === 'link.del' && e instanceof DeviceNotFoundError)
  );
}
