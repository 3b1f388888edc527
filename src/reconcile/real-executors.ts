// The real Executors bundle: the kernel executors every layer defaults to, the state directory on
// disk, and Open vSwitch reached lazily through its socket (a host without OVS has none). Neutron:
// what an agent's configuration wires together (root helper, ovsdb connection, state_path).
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { replaceFileAtomic } from '../exec/atomic-file.js';
import { processRunner } from '../exec/runner.js';
import { batchExecutor, closeIpBatches } from '../ip/executor.js';
import { kernelConntrackExecutor } from '../iptables/conntrack.js';
import { kernelIptablesExecutor } from '../iptables/executor.js';
import { kernelIpsetExecutor } from '../iptables/ipset-executor.js';
import { optionalNamespace } from '../net/namespace.js';
import { type NetnsPrefix, netnsPrefix } from '../net/naming.js';
import { ofctlExecutor } from '../ovs/ofctl.js';
import { Ovs, type OvsOptions } from '../ovs/ovs.js';
import { DEFAULT_OVSDB_SOCKET, OvsdbClient } from '../ovs/ovsdb/client.js';
import { stateDir } from '../state-dir.js';
import type { Executors, FileExecutor, HostSettings } from './executors.js';

/** Options for {@link realExecutors}. */
export interface RealExecutorsOptions {
  /** The namespace standing for the host (default null: the root namespace). */
  readonly hostNamespace?: string | null;
  /** Prefix of derived namespace names (default ''). */
  readonly netnsPrefix?: string;
  /** The state directory (default {@link stateDir}: `$TENANTNET_STATE_DIR` or /var/lib/tenantnet). */
  readonly stateDir?: string;
  /** ovsdb-server's socket (default `/var/run/openvswitch/db.sock`); a missing socket means no OVS. */
  readonly ovsdbSocket?: string;
  /** Options of the {@link Ovs} made on first use (owner mark, datapath, vswitchd wait). */
  readonly ovs?: OvsOptions;
}

/** The real bundle, with a way to let go of what it holds open. */
export interface RealExecutors extends Executors {
  /** Closes the OVSDB connection (if one was made) and every `ip` coprocess, so Node can exit. */
  close(): Promise<void>;
}

/** Files on disk: atomic writes (temporary file, fsync, rename), directories made as needed. */
export const realFileExecutor: FileExecutor = {
  async read(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  },
  write(path, content, mode) {
    return replaceFileAtomic(path, content, mode);
  },
  async remove(path) {
    try {
      await rm(path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  },
  async removeTree(path) {
    if (!existsSync(path)) return false;
    await rm(path, { recursive: true, force: true });
    return true;
  },
  async list(path) {
    return (await readdir(path).catch(() => [] as string[])).sort();
  },
};

/**
 * The executors of a real host: `ip -batch` coprocesses, iptables/ipset/conntrack tools, the
 * process table, files on disk, and Open vSwitch connected on first use (`ovs()` resolves null when
 * the socket does not exist; a socket that refuses the connection is an error).
 *
 * @throws {InvalidInputError} for a bad host namespace or prefix (nothing is opened)
 */
export function realExecutors(opts: RealExecutorsOptions = {}): RealExecutors {
  const host: HostSettings = {
    namespace: optionalNamespace(opts.hostNamespace, 'hostNamespace'),
    netnsPrefix: netnsPrefix(opts.netnsPrefix ?? '') as NetnsPrefix,
    stateDir: opts.stateDir ?? stateDir(),
  };
  const socket = opts.ovsdbSocket ?? DEFAULT_OVSDB_SOCKET;
  let client: OvsdbClient | null = null;
  let connecting: Promise<Ovs | null> | null = null;
  const ovs = (): Promise<Ovs | null> => {
    connecting ??= (async () => {
      if (!existsSync(socket)) return null;
      client = await OvsdbClient.connect({ socketPath: socket });
      return new Ovs(client, opts.ovs);
    })().catch((e: unknown) => {
      connecting = null; // the next call tries again
      throw e;
    });
    return connecting;
  };
  return {
    ip: batchExecutor,
    iptables: kernelIptablesExecutor,
    ipset: kernelIpsetExecutor,
    conntrack: kernelConntrackExecutor,
    ovs,
    ofctl: ofctlExecutor,
    processes: processRunner,
    files: realFileExecutor,
    host,
    async close() {
      const c = client as OvsdbClient | null;
      c?.close();
      client = null;
      connecting = null;
      await closeIpBatches();
    },
  };
}
