// The Executors bundle on stateful fakes (knftables' Fake, one per seam): a fake kernel, iptables,
// ipset, conntrack, an in-memory OVSDB behind a real Ovs (whose pretend vswitchd also makes and
// removes internal ports' devices), a process table, a recording ovs-ofctl and files in memory.
// The fakes are returned too, so tests can look at them and break them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunOptions, RunResult } from '../../src/exec/run.js';
import { type NetnsPrefix, netnsPrefix } from '../../src/net/naming.js';
import { type NamespaceName, namespaceName } from '../../src/net/types.js';
import type { OfctlExecutor, OfctlRunOptions } from '../../src/ovs/ofctl.js';
import { Ovs, type OvsOptions } from '../../src/ovs/ovs.js';
import type { OvsdbTransport } from '../../src/ovs/ovsdb/transport.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { FakeConntrack } from './conntrack.js';
import { FakeFiles } from './files.js';
import { FakeIpKernel } from './ip.js';
import { FakeIpset } from './ipset.js';
import { FakeIptables } from './iptables.js';
import { FakeOvsdb } from './ovsdb.js';
import { FakeProcessRunner } from './processes.js';

/** An ovs-ofctl that records its calls and answers with `onRun` (default: no output). */
export class RecordingOfctl implements OfctlExecutor {
  /** Every call, in order. */
  readonly calls: { args: readonly string[]; opts: OfctlRunOptions }[] = [];

  /** @param onRun what a call prints (its stdout) */
  constructor(
    private readonly onRun: (args: readonly string[], opts: OfctlRunOptions) => string = () => '',
  ) {}

  async run(args: readonly string[], opts: OfctlRunOptions = {}): Promise<string> {
    this.calls.push({ args: [...args], opts });
    return this.onRun(args, opts);
  }
}

/** Options for {@link fakeExecutors}. */
export interface FakeExecutorsOptions {
  /** The namespace standing for the host (made in the fake kernel); default null, the fake's root. */
  readonly hostNamespace?: string | null;
  /** Prefix of derived namespace names (default ''). */
  readonly netnsPrefix?: string;
  /**
   * The state directory. The apply lock is a real file in it, so it is a real directory: default a
   * temporary one per process, removed at exit.
   */
  readonly stateDir?: string;
  /** A host without Open vSwitch (`ovs()` resolves null). */
  readonly withoutOvs?: boolean;
  /** Options of the `Ovs` (default owner `tenantnet`, datapath `netdev`). */
  readonly ovs?: OvsOptions;
  /** What the fake process table's `run` does (see {@link FakeProcessRunner}). */
  readonly onRun?: (argv: readonly string[], options: RunOptions) => Partial<RunResult> | undefined;
}

/** The bundle and the fakes behind it. */
export interface FakeExecutors {
  readonly executors: Executors;
  readonly kernel: FakeIpKernel;
  readonly iptables: FakeIptables;
  readonly ipset: FakeIpset;
  readonly conntrack: FakeConntrack;
  readonly ovsdb: FakeOvsdb;
  /** The switch `executors.ovs()` resolves to (null with `withoutOvs`). */
  readonly ovs: Ovs | null;
  readonly ofctl: RecordingOfctl;
  readonly processes: FakeProcessRunner;
  readonly files: FakeFiles;
  /**
   * Does what ovs-vswitchd does to internal ports' devices after rows were changed behind the
   * library's back (`ovsdb.deleteRow`): devices appear for new rows, go with deleted ones.
   */
  vswitchd(): void;
}

let sharedStateDir: string | null = null;

function defaultStateDir(): string {
  if (sharedStateDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'tenantnet-fake-'));
    sharedStateDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return sharedStateDir;
}

/**
 * An Executors bundle on the stateful fakes. Internal ports behave as ovs-vswitchd makes them: a
 * device of the port's name appears in the host namespace once its Interface row exists, and goes
 * (wherever it was moved) once the row is gone.
 *
 * @throws {InvalidInputError} for a bad host namespace or prefix
 */
export function fakeExecutors(opts: FakeExecutorsOptions = {}): FakeExecutors {
  const kernel = new FakeIpKernel();
  const host =
    opts.hostNamespace === undefined || opts.hostNamespace === null
      ? null
      : namespaceName(opts.hostNamespace, 'hostNamespace');
  if (host !== null) kernel.addNamespace(host).link('lo')!.up = true;
  const iptables = new FakeIptables();
  const ipset = new FakeIpset();
  const conntrack = new FakeConntrack();
  const ovsdb = new FakeOvsdb();
  const ofctl = new RecordingOfctl();
  const processes = new FakeProcessRunner(opts.onRun);
  const files = new FakeFiles();
  const vswitchd = internalPortDevices(ovsdb, kernel, host);
  const ovs = opts.withoutOvs
    ? null
    : new Ovs(afterEach(ovsdb, vswitchd), { datapathType: 'netdev', ...opts.ovs });
  const executors: Executors = {
    ip: kernel,
    iptables,
    ipset,
    conntrack,
    ovs: async () => ovs,
    ofctl,
    processes,
    files,
    host: {
      namespace: host,
      netnsPrefix: netnsPrefix(opts.netnsPrefix ?? '') as NetnsPrefix,
      stateDir: opts.stateDir ?? defaultStateDir(),
    },
  };
  return { executors, kernel, iptables, ipset, conntrack, ovsdb, ovs, ofctl, processes, files, vswitchd };
}

/**
 * What ovs-vswitchd does to devices: an internal Interface row without a device gets one in the
 * host namespace; a device of an internal port whose row is gone disappears (wherever it was moved).
 */
function internalPortDevices(db: FakeOvsdb, kernel: FakeIpKernel, host: NamespaceName | null): () => void {
  return () => {
    const internal = new Set(
      db
        .rows('Interface')
        .filter((r) => r.type === 'internal')
        .map((r) => String(r.name)),
    );
    const devices = new Set<string>();
    for (const ns of [null, ...kernel.namespaces()]) {
      const space = kernel.ns(ns)!;
      for (const l of [...space.links]) {
        if ((l.kind as string) !== 'tun') continue;
        if (internal.has(l.name)) devices.add(l.name);
        else space.drop(l);
      }
    }
    const home = kernel.ns(host);
    for (const name of internal) {
      if (!devices.has(name) && home && !home.link(name)) {
        home.addLink({ name, kind: 'tun' as 'veth', mac: '02:aa:00:00:00:01' });
      }
    }
  };
}

// The fake OVSDB as a transport whose every transaction is followed by `then`.
function afterEach(db: FakeOvsdb, then: () => void): OvsdbTransport {
  return {
    async transact(ops, o) {
      try {
        return await db.transact(ops, o);
      } finally {
        then();
      }
    },
    monitor: (requests, handler) => db.monitor(requests, handler),
  };
}
