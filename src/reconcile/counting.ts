// An Executors bundle that counts what actually reaches each executor: state-changing commands
// (ip write ops, OVSDB write transactions, restores, deletes, commands, files, process actions) and
// read round trips. What proves "converged means nothing sent", and what the benches report.
import { isRead } from '../ip/ops.js';
import { Ovs } from '../ovs/ovs.js';
import { type Operation, Transaction } from '../ovs/ovsdb/operations.js';
import type { OvsdbTransport } from '../ovs/ovsdb/transport.js';
import type { Executors } from './executors.js';

/** What went through each executor since the last reset. */
export interface ExecutorCounts {
  /** `ip`: ops that change state, read ops, and calls (round trips) with writes or only reads. */
  ip: { writeOps: number; readOps: number; writeCalls: number; readCalls: number };
  /** OVSDB: write transactions and their operations (the vswitchd handshake left out), reads, vswitchd waits. */
  ovs: { writeTransactions: number; writeOps: number; readTransactions: number; waits: number };
  /** iptables: `iptables-save` runs, `iptables-restore` runs and the state-changing lines they carried. */
  iptables: { saves: number; restores: number; lines: number };
  /** ipset: saves, restores (and their lines), destroys, name listings. */
  ipset: { saves: number; restores: number; lines: number; destroys: number; lists: number };
  /** conntrack: deletions and listings. */
  conntrack: { deletes: number; lists: number };
  /** The process table: commands run, services started, signals sent, command lines read. */
  processes: { runs: number; spawns: number; signals: number; cmdlines: number };
  /** ovs-ofctl runs (dumps counted apart). */
  ofctl: { runs: number; dumps: number };
  /** Files read, written, removed, directories listed or removed. */
  files: { reads: number; writes: number; removes: number; lists: number };
}

function zero(): ExecutorCounts {
  return {
    ip: { writeOps: 0, readOps: 0, writeCalls: 0, readCalls: 0 },
    ovs: { writeTransactions: 0, writeOps: 0, readTransactions: 0, waits: 0 },
    iptables: { saves: 0, restores: 0, lines: 0 },
    ipset: { saves: 0, restores: 0, lines: 0, destroys: 0, lists: 0 },
    conntrack: { deletes: 0, lists: 0 },
    processes: { runs: 0, spawns: 0, signals: 0, cmdlines: 0 },
    ofctl: { runs: 0, dumps: 0 },
    files: { reads: 0, writes: 0, removes: 0, lists: 0 },
  };
}

/** State-changing commands sent: ip write ops, OVSDB write transactions, restores, deletes, commands, files, signals. Pure. */
export function stateChanging(c: ExecutorCounts): number {
  return (
    c.ip.writeOps +
    c.ovs.writeTransactions +
    c.iptables.restores +
    c.ipset.restores +
    c.ipset.destroys +
    c.conntrack.deletes +
    c.processes.runs +
    c.processes.spawns +
    c.processes.signals +
    c.ofctl.runs +
    c.files.writes +
    c.files.removes
  );
}

/** Read round trips: ip read calls, OVSDB reads, saves, listings, file reads. Pure. */
export function readRoundTrips(c: ExecutorCounts): number {
  return (
    c.ip.readCalls +
    c.ovs.readTransactions +
    c.iptables.saves +
    c.ipset.saves +
    c.ipset.lists +
    c.conntrack.lists +
    c.processes.cmdlines +
    c.ofctl.dumps +
    c.files.reads +
    c.files.lists
  );
}

/** A counting bundle: use `executors` where the original went; read `counts`. */
export interface CountingExecutors {
  readonly executors: Executors;
  /** The counts since the last {@link reset} (live object). */
  readonly counts: ExecutorCounts;
  /** Sets every count to 0. */
  reset(): void;
}

const HANDSHAKE = (o: Operation) =>
  (o.op === 'mutate' && o.table === 'Open_vSwitch' && o.mutations.some(([c]) => c === 'next_cfg')) ||
  (o.op === 'select' && o.table === 'Open_vSwitch' && o.columns?.includes('next_cfg') === true);

/**
 * Wraps a bundle so that everything sent through it is counted (per executor, see
 * {@link ExecutorCounts}); behaviour is unchanged. The switch is wrapped when first asked for.
 */
export function countingExecutors(x: Executors): CountingExecutors {
  const counts = zero();
  const c = () => counts;
  let ovs: Promise<Ovs | null> | null = null;
  const executors: Executors = {
    host: x.host,
    ip: {
      async apply(ns, ops) {
        note(ops);
        return x.ip.apply(ns, ops);
      },
      async settle(ns, ops) {
        note(ops);
        return x.ip.settle(ns, ops);
      },
      ...(x.ip.release ? { release: (ns) => x.ip.release!(ns) } : {}),
      // The engine's retry in a fresh ip (iproute2's stale name cache) must reach the real executor.
      ...(x.ip.restart ? { restart: (ns) => x.ip.restart!(ns) } : {}),
      ...(x.ip.listNamespaces
        ? {
            listNamespaces: () => {
              c().files.lists++;
              return x.ip.listNamespaces!();
            },
          }
        : {}),
    },
    iptables: {
      lock: (ns) => x.iptables.lock(ns),
      save(ns, family) {
        c().iptables.saves++;
        return x.iptables.save(ns, family);
      },
      restore(ns, family, input) {
        c().iptables.restores++;
        c().iptables.lines += input.split('\n').filter((l) => /^(-[ADINFXRZ] |:)/.test(l)).length;
        return x.iptables.restore(ns, family, input);
      },
    },
    ipset: {
      save(ns, set) {
        c().ipset.saves++;
        return x.ipset.save(ns, set);
      },
      restore(ns, input) {
        c().ipset.restores++;
        c().ipset.lines += input.split('\n').filter((l) => l.trim() !== '').length;
        return x.ipset.restore(ns, input);
      },
      destroy(ns, set) {
        c().ipset.destroys++;
        return x.ipset.destroy(ns, set);
      },
      listNames(ns) {
        c().ipset.lists++;
        return x.ipset.listNames(ns);
      },
    },
    conntrack: {
      delete(ns, f) {
        c().conntrack.deletes++;
        return x.conntrack.delete(ns, f);
      },
      list(ns, f) {
        c().conntrack.lists++;
        return x.conntrack.list(ns, f);
      },
    },
    ovs: () => {
      ovs ??= x.ovs().then((sw) =>
        sw
          ? new Ovs(countingTransport(sw.transport, c), {
              owner: sw.owner,
              datapathType: sw.datapathType,
              waitForVswitchd: sw.wait,
            })
          : null,
      );
      return ovs;
    },
    ofctl: {
      run(args, opts) {
        if (args.some((a) => a === 'dump-flows' || a === 'dump-ports')) c().ofctl.dumps++;
        else c().ofctl.runs++;
        return x.ofctl.run(args, opts);
      },
    },
    processes: {
      run(argv, o) {
        c().processes.runs++;
        return x.processes.run(argv, o);
      },
      spawnDetached(argv, o) {
        c().processes.spawns++;
        return x.processes.spawnDetached(argv, o);
      },
      cmdline(pid) {
        c().processes.cmdlines++;
        return x.processes.cmdline(pid);
      },
      signal(pid, s) {
        c().processes.signals++;
        return x.processes.signal(pid, s);
      },
    },
    files: {
      read(p) {
        c().files.reads++;
        return x.files.read(p);
      },
      write(p, content, mode) {
        c().files.writes++;
        return x.files.write(p, content, mode);
      },
      remove(p) {
        c().files.removes++;
        return x.files.remove(p);
      },
      removeTree(p) {
        c().files.removes++;
        return x.files.removeTree(p);
      },
      list(p) {
        c().files.lists++;
        return x.files.list(p);
      },
    },
  };
  function note(ops: readonly Parameters<typeof isRead>[0][]): void {
    const reads = ops.filter(isRead).length;
    counts.ip.readOps += reads;
    counts.ip.writeOps += ops.length - reads;
    if (ops.length === 0) return;
    if (reads === ops.length) counts.ip.readCalls++;
    else counts.ip.writeCalls++;
  }
  return {
    executors,
    counts,
    reset() {
      Object.assign(counts, zero());
    },
  };
}

function countingTransport(t: OvsdbTransport, c: () => ExecutorCounts): OvsdbTransport {
  const inner = t as OvsdbTransport & { waitForCurCfg?: (cfg: number, ms: number) => Promise<void> };
  const wrapped: OvsdbTransport & { waitForCurCfg?: (cfg: number, ms: number) => Promise<void> } = {
    transact(ops, opts) {
      const list = ops instanceof Transaction ? ops.ops : ops;
      const writes = list.filter((o) => o.op !== 'select' && o.op !== 'wait' && o.op !== 'comment');
      if (writes.length === 0) {
        if (list.some((o) => o.op === 'wait' && o.table === 'Open_vSwitch')) c().ovs.waits++;
        else c().ovs.readTransactions++;
      } else {
        c().ovs.writeTransactions++;
        c().ovs.writeOps += list.filter((o) => o.op !== 'comment' && !HANDSHAKE(o)).length;
        if (opts?.waitForVswitchd) c().ovs.waits++;
      }
      return t.transact(ops, opts);
    },
    monitor: (requests, handler) => t.monitor(requests, handler),
  };
  if (inner.waitForCurCfg) {
    wrapped.waitForCurCfg = (cfg, ms) => {
      c().ovs.waits++;
      return inner.waitForCurCfg!(cfg, ms);
    };
  }
  return wrapped;
}
