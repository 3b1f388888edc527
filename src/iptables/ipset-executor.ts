// The one seam between IpsetManager and the kernel: ipset save, restore, destroy and list, with
// ipset's failures turned into typed errors (Neutron's ipset_manager runs the same commands).
import { ProcessError } from '../exec/process-error.js';
import { run } from '../exec/run.js';
import { vanishedError } from '../net/namespace.js';
import { IpsetError } from './errors.js';

/** What IpsetManager needs from the system. */
export interface IpsetExecutor {
  /**
   * What `ipset save` prints: every set of the namespace, or one set.
   *
   * @returns the text, or null when the named set does not exist
   * @throws {NamespaceNotFoundError} when the namespace does not exist
   */
  save(namespace: string | null, set?: string): Promise<string | null>;
  /**
   * Feeds one batch to `ipset restore`. Not atomic: lines before a failing one stay applied.
   *
   * @throws {IpsetError} when ipset refuses a line (its `set` is the set that line names, when known)
   * @throws {NamespaceNotFoundError} when the namespace does not exist
   */
  restore(namespace: string | null, input: string): Promise<void>;
  /**
   * `ipset destroy SET`.
   *
   * @returns false when the set did not exist
   * @throws {IpsetError} when the set is in use (an iptables rule matches on it)
   */
  destroy(namespace: string | null, set: string): Promise<boolean>;
  /** The names of every set in the namespace (`ipset list -n`). */
  listNames(namespace: string | null): Promise<string[]>;
}

/** Options for {@link KernelIpsetExecutor}. */
export interface KernelIpsetOptions {
  /** Per-command timeout; default 30 s. */
  readonly timeoutMs?: number;
}

/** The real executor: the `ipset` tool through `run`, in the namespace. */
export class KernelIpsetExecutor implements IpsetExecutor {
  private readonly timeoutMs: number;

  constructor(opts: KernelIpsetOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private async ipset(namespace: string | null, args: readonly string[], input?: string): Promise<string> {
    try {
      return (await run(['ipset', ...args], { namespace, input, timeoutMs: this.timeoutMs })).stdout;
    } catch (e) {
      throw vanishedError(e, namespace) ?? e;
    }
  }

  /** {@inheritDoc IpsetExecutor.save} */
  async save(namespace: string | null, set?: string): Promise<string | null> {
    try {
      return await this.ipset(namespace, set === undefined ? ['save'] : ['save', set]);
    } catch (e) {
      if (set !== undefined && e instanceof ProcessError && /does not exist/.test(e.stderr)) return null;
      throw e;
    }
  }

  /** {@inheritDoc IpsetExecutor.restore} */
  async restore(namespace: string | null, input: string): Promise<void> {
    try {
      await this.ipset(namespace, ['restore'], input);
    } catch (e) {
      if (!(e instanceof ProcessError)) throw e;
      const why = e.stderr.trim().split('\n')[0] || 'ipset restore failed';
      const n = Number(/line (\d+)/.exec(why)?.[1] ?? 0);
      const line = n ? input.split('\n')[n - 1] : undefined;
      throw new IpsetError(
        line?.split(' ')[1] ?? '',
        `ipset restore failed${line !== undefined ? ` at line ${n} "${line}"` : ''}: ${why}`,
        n || null,
      );
    }
  }

  /** {@inheritDoc IpsetExecutor.destroy} */
  async destroy(namespace: string | null, set: string): Promise<boolean> {
    try {
      await this.ipset(namespace, ['destroy', set]);
      return true;
    } catch (e) {
      if (e instanceof ProcessError && /does not exist/.test(e.stderr)) return false;
      if (e instanceof ProcessError && /in use/.test(e.stderr)) {
        throw new IpsetError(
          set,
          `ipset "${set}" is still in use (an iptables rule matches on it): remove the rule, apply, then destroy the set`,
        );
      }
      throw e;
    }
  }

  /** {@inheritDoc IpsetExecutor.listNames} */
  async listNames(namespace: string | null): Promise<string[]> {
    return (await this.ipset(namespace, ['list', '-n'])).split('\n').filter((n) => n !== '');
  }
}

/** The default executor: the real `ipset`. */
export const kernelIpsetExecutor: IpsetExecutor = new KernelIpsetExecutor();
