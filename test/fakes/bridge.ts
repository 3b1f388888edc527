// A stateful fake of the FDB side of the kernel that implements BridgeExecutor: the FDB entries of the
// links of a FakeIpKernel, written and read with the same FdbOps the real `bridge -batch` runs
// (knftables' Fake). It lives beside FakeIpKernel: devices come and go there, entries go with them.
import { mapIpError } from '../../src/ip/errors.js';
import { type BridgeExecutor, type FdbOp, type FdbResult, FLOOD_MAC, fdbLine } from '../../src/ip/index.js';
import { type NamespaceName, NamespaceNotFoundError } from '../../src/net/index.js';
import type { FakeIpKernel } from './ip.js';
import type { FakeLink } from './ip-state.js';

/** One fake FDB entry of a link. */
export interface FakeFdbRow {
  mac: string;
  dst: string | null;
  table: 'self' | 'master';
  state: 'permanent' | 'static';
}

class Refused extends Error {}

/**
 * The FDB of every link of a {@link FakeIpKernel}: `fdb.append` adds a destination to the flood entry
 * (a second destination for a unicast MAC, or an identical entry, is ignored without an error, as
 * kernel 6.x does), `fdb.replace` sets the first destination of a MAC (older kernels let a unicast MAC
 * have several: tests may put them in with {@link FakeBridge.entries}), `fdb.del` removes (with `dst`,
 * that destination; an absent entry is `No such file or directory`), `fdb.show` answers in `bridge -j`
 * shape. Every op is rendered with the real `fdbLine` first (a forged op is refused the same way) and
 * a failure is the real `mapIpError` of the text `bridge` prints. A link's entries vanish with it.
 */
export class FakeBridge implements BridgeExecutor {
  private readonly rows = new WeakMap<FakeLink, FakeFdbRow[]>();
  /** Every state-changing op that succeeded, with where it ran. */
  readonly applied: { namespace: NamespaceName | null; line: string }[] = [];

  /** @param kernel the fake kernel whose links hold the entries */
  constructor(readonly kernel: FakeIpKernel) {}

  /** The entries of a link (for tests that look or meddle directly); [] when it has none. */
  entries(namespace: string | null, dev: string): FakeFdbRow[] {
    const link = this.kernel.ns(namespace)?.link(dev);
    if (!link) return [];
    let list = this.rows.get(link);
    if (!list) {
      list = [];
      this.rows.set(link, list);
    }
    return list;
  }

  async apply(namespace: NamespaceName | null, ops: readonly FdbOp[]): Promise<FdbResult[]> {
    const settled = await this.settle(namespace, ops);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<FdbResult>).value);
  }

  async settle(
    namespace: NamespaceName | null,
    ops: readonly FdbOp[],
  ): Promise<PromiseSettledResult<FdbResult>[]> {
    let lines: string[];
    try {
      lines = ops.map(fdbLine);
      if (!this.kernel.ns(namespace)) throw new NamespaceNotFoundError(namespace ?? '');
    } catch (e) {
      return ops.map(() => ({ status: 'rejected', reason: e }));
    }
    return ops.map((op, i) => {
      try {
        const output = this.run(namespace, op);
        if (op.op !== 'fdb.show') this.applied.push({ namespace, line: lines[i]! });
        return { status: 'fulfilled', value: { op, line: lines[i]!, output } };
      } catch (e) {
        const reason = e instanceof Refused ? mapIpError(lines[i]!, namespace, e.message) : e;
        return { status: 'rejected', reason };
      }
    });
  }

  private run(namespace: NamespaceName | null, op: FdbOp): unknown {
    const ns = this.kernel.ns(namespace)!;
    const need = (dev: string) => {
      if (!ns.link(dev)) throw new Refused(`Cannot find device "${dev}"`);
      return this.entries(namespace, dev);
    };
    switch (op.op) {
      case 'fdb.append':
      case 'fdb.replace': {
        const e = op.entry;
        const list = need(e.dev);
        const table = e.table ?? 'self';
        const row: FakeFdbRow = { mac: e.mac, dst: e.dst ?? null, table, state: e.state ?? 'permanent' };
        const same = (r: FakeFdbRow) => r.mac === e.mac && r.table === table;
        if (op.op === 'fdb.replace') {
          // As the kernel's VXLAN driver: the first destination of the MAC changes, the others stay.
          const first = list.findIndex(same);
          if (first < 0) list.push(row);
          else list[first] = row;
        } else if (
          !list.some(same) ||
          (e.mac === FLOOD_MAC && !list.some((r) => same(r) && r.dst === row.dst))
        ) {
          // Only the flood entry keeps several destinations: kernel 6.x ignores a second one for a
          // unicast MAC (and an identical entry), without an error.
          list.push(row);
        }
        return undefined;
      }
      case 'fdb.del': {
        const list = need(op.dev);
        const table = op.table ?? 'self';
        const hit = (r: FakeFdbRow) =>
          r.mac === op.mac && r.table === table && (op.dst === undefined || r.dst === op.dst);
        if (!list.some(hit)) throw new Refused('RTNETLINK answers: No such file or directory');
        list.splice(0, list.length, ...list.filter((r) => !hit(r)));
        return undefined;
      }
      case 'fdb.show': {
        const devs = op.dev ? [op.dev] : ns.links.map((l) => l.name);
        if (op.dev) need(op.dev);
        if (op.br && !ns.link(op.br)) throw new Refused(`Cannot find device "${op.br}"`);
        return devs
          .filter((d) => !op.br || ns.link(d)?.master === op.br)
          .flatMap((d) =>
            this.entries(namespace, d).map((r) => ({
              mac: r.mac,
              ...(op.dev ? {} : { ifname: d }),
              ...(r.dst ? { dst: r.dst } : {}),
              flags: [r.table],
              state: r.state,
            })),
          );
      }
      default:
        throw new Error(`fake bridge: ${(op as { op: string }).op} is not modelled`);
    }
  }
}
