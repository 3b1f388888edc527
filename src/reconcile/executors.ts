// The executors bundle: one seam per kernel interface, carried together in options (no module-global
// setters for new code), with the host settings every planner needs: which namespace stands for the
// host, the prefix of derived namespace names, the state directory.
import type { ProcessRunner } from '../exec/runner.js';
import type { IpExecutor } from '../ip/executor.js';
import type { ConntrackExecutor } from '../iptables/conntrack.js';
import type { IptablesExecutor } from '../iptables/executor.js';
import type { IpsetExecutor } from '../iptables/ipset-executor.js';
import type { NetnsPrefix } from '../net/naming.js';
import type { NamespaceName } from '../net/types.js';
import type { OfctlExecutor } from '../ovs/ofctl.js';
import type { Ovs } from '../ovs/ovs.js';

/** Where this host's things live. */
export interface HostSettings {
  /**
   * The namespace that stands for the host: bridges, VXLAN devices, host ends of veths, firewall
   * hooks. null: the root namespace (a real host); a namespace name: a simulated host in tests.
   */
  readonly namespace: NamespaceName | null;
  /** Prefix of every namespace name tenantnet derives ('' on a real host); part of the marks. */
  readonly netnsPrefix: NetnsPrefix;
  /** tenantnet's state directory (pidfiles, dnsmasq configs, the last applied model, locks). */
  readonly stateDir: string;
}

/** Reads and writes files under the state directory (a fake keeps them in memory). */
export interface FileExecutor {
  /** The file's content, or null when it does not exist. */
  read(path: string): Promise<string | null>;
  /** Writes atomically (temporary file + rename), making parent directories. */
  write(path: string, content: string, mode?: number): Promise<void>;
  /** Removes a file; false when it did not exist. */
  remove(path: string): Promise<boolean>;
  /** Removes a directory and everything in it; false when it did not exist. */
  removeTree(path: string): Promise<boolean>;
  /** Names in a directory ([] when it does not exist). */
  list(path: string): Promise<string[]>;
}

/** Every kernel seam a planner observes through and the engine applies through. */
export interface Executors {
  readonly ip: IpExecutor;
  readonly iptables: IptablesExecutor;
  readonly ipset: IpsetExecutor;
  readonly conntrack: ConntrackExecutor;
  /** The switch (connected lazily); null when this host has no Open vSwitch. */
  readonly ovs: () => Promise<Ovs | null>;
  readonly ofctl: OfctlExecutor;
  readonly processes: ProcessRunner;
  readonly files: FileExecutor;
  readonly host: HostSettings;
}
