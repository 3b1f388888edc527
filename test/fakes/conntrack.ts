// A stateful fake of conntrack for unit tests (and, later, tenantnet/testing): entries per namespace.
import type { ConntrackEntry, ConntrackExecutor, ConntrackFilter } from '../../src/iptables/conntrack.js';
import type { IpFamily } from '../../src/net/types.js';

/** One fake entry: an entry as listed, plus its family and the source of its reply. */
export interface FakeFlow extends ConntrackEntry {
  readonly family: IpFamily;
  /** Reply direction source (differs from `dst` for NATed flows). */
  readonly replyDst: string;
}

/** A fake conntrack table per namespace; `delete` and `list` select with the filter as conntrack does. */
export class FakeConntrack implements ConntrackExecutor {
  readonly flows = new Map<string, FakeFlow[]>();
  readonly calls: { op: 'delete' | 'list'; namespace: string | null; filter: ConntrackFilter }[] = [];

  /** Adds an entry (zone 0 when absent; the reply comes from `dst` unless NATed). */
  add(ns: string | null, flow: Omit<FakeFlow, 'raw' | 'replyDst' | 'family'> & Partial<FakeFlow>): void {
    const list = this.flows.get(ns ?? '') ?? [];
    list.push({
      family: flow.src.includes(':') ? 6 : 4,
      replyDst: flow.dst,
      raw: `${flow.protocol} src=${flow.src} dst=${flow.dst}`,
      ...flow,
    });
    this.flows.set(ns ?? '', list);
  }

  private matches(f: FakeFlow, filter: ConntrackFilter): boolean {
    return (
      f.family === filter.family &&
      (filter.zone === undefined || (f.zone ?? 0) === filter.zone) &&
      (filter.src === undefined || f.src === filter.src) &&
      (filter.dst === undefined || f.dst === filter.dst) &&
      (filter.protocol === undefined || f.protocol === filter.protocol) &&
      (filter.dport === undefined || f.dport === filter.dport) &&
      (filter.replyDst === undefined || f.replyDst === filter.replyDst)
    );
  }

  async delete(ns: string | null, filter: ConntrackFilter): Promise<number> {
    this.calls.push({ op: 'delete', namespace: ns, filter });
    const list = this.flows.get(ns ?? '') ?? [];
    const keep = list.filter((f) => !this.matches(f, filter));
    this.flows.set(ns ?? '', keep);
    return list.length - keep.length;
  }

  async list(ns: string | null, filter: ConntrackFilter): Promise<ConntrackEntry[]> {
    this.calls.push({ op: 'list', namespace: ns, filter });
    return (this.flows.get(ns ?? '') ?? []).filter((f) => this.matches(f, filter));
  }
}
