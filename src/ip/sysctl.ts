// sysctl settings inside a namespace, as one line of its ip batch (Neutron: ip_lib's sysctl wrapper).
import { InvalidInputError, TenantnetError } from '../errors.js';
import { type ProcessRunner, processRunner } from '../exec/runner.js';
import { NamespaceNotFoundError, optionalNamespace } from '../net/namespace.js';
import type { NamespaceName } from '../net/types.js';
import { IpCommandError } from './errors.js';
import { executorOf, type Via } from './executor.js';
import { sysctlSetting } from './line.js';
import type { IpOp } from './ops.js';

/** Some sysctl keys could not be set; the others were. */
export class SysctlError extends TenantnetError {
  /**
   * @param namespace where (null: root)
   * @param failures key → what sysctl said
   */
  constructor(
    readonly namespace: string | null,
    readonly failures: Readonly<Record<string, string>>,
  ) {
    const list = Object.entries(failures)
      .map(([k, m]) => `${k} (${m})`)
      .join(', ');
    super(`sysctl in ${namespace ? `namespace "${namespace}"` : 'the root namespace'} failed for ${list}`);
  }
}

/** Validated sysctl settings for one namespace. */
export interface SysctlSpec {
  readonly namespace: NamespaceName | null;
  /** `key=value` words, each checked by {@link sysctlSetting}. */
  readonly settings: readonly string[];
}

/**
 * Validates sysctl settings: dotted keys that cannot be read as an option (no leading `-`) and
 * simple values. Pure apart from throwing.
 *
 * @throws {InvalidInputError} naming the key (or `namespace`)
 */
export function sysctlSpec(
  namespace: string | null | undefined,
  settings: Readonly<Record<string, string | number>>,
): SysctlSpec {
  if (typeof settings !== 'object' || settings === null) {
    throw new InvalidInputError('sysctl settings: must be an object of key -> value', 'sysctl settings');
  }
  return {
    namespace: optionalNamespace(namespace),
    settings: Object.entries(settings).map(([k, v]) => sysctlSetting(k, v)),
  };
}

/**
 * The op that sets the settings inside the spec's namespace (`netns exec NS sysctl -q -w …` in that
 * namespace's batch). Empty for the root namespace (set with a `sysctl` process) or no settings. Pure.
 */
export function sysctlOps(s: SysctlSpec): IpOp[] {
  if (s.namespace === null || s.settings.length === 0) return [];
  return [{ op: 'sysctl', namespace: s.namespace, settings: s.settings }];
}

/**
 * The {@link SysctlError} for what `sysctl` printed, naming each key that failed. Pure.
 */
export function sysctlError(s: SysctlSpec, text: string): SysctlError {
  const failures = parseFailures(text.split('\n'));
  if (Object.keys(failures).length === 0) failures[s.settings.join(' ')] = text.trim() || 'failed';
  return new SysctlError(s.namespace, failures);
}

/**
 * Sets sysctl keys inside a namespace (null: the root namespace). In a namespace it is one line in
 * that namespace's `ip` batch (`netns exec NS sysctl -q -w …`): `ip` forks the `sysctl`, so Node
 * starts no process and the call pipelines with the namespace's other operations. Every key is
 * attempted; the ones that fail are reported by name.
 *
 * Equivalent to: `ip netns exec NS sysctl -q -w KEY=VALUE…` (or `sysctl -q -w …` for the root namespace)
 *
 * @throws {InvalidInputError} for a malformed key or value, before anything runs
 * @throws {NamespaceNotFoundError} when the namespace does not exist
 * @throws {SysctlError} naming each key that failed (the others are set)
 */
export async function sysctl(
  namespace: string | null,
  settings: Readonly<Record<string, string | number>>,
  options: Via & { readonly runner?: ProcessRunner } = {},
): Promise<void> {
  const s = sysctlSpec(namespace, settings);
  if (s.settings.length === 0) return;
  if (s.namespace === null) {
    const r = await (options.runner ?? processRunner).run(['sysctl', '-q', '-w', ...s.settings], {
      check: false,
    });
    if (r.exitCode !== 0) throw sysctlError(s, `${r.stderr}\n${r.stdout}`);
    return;
  }
  try {
    await executorOf(options).apply(s.namespace, sysctlOps(s));
  } catch (e) {
    if (!(e instanceof IpCommandError) || e instanceof NamespaceNotFoundError) throw e;
    throw sysctlError(s, e.kernelMessage.replace(/ \| /g, '\n'));
  }
}

/** Maps procps sysctl error lines to key → message. Pure. */
export function parseFailures(lines: readonly string[]): Record<string, string> {
  const failures: Record<string, string> = {};
  for (const line of lines) {
    // procps names a key either by its /proc/sys path or by the dotted key.
    const path = /\/proc\/sys\/([^:]+): (.*)$/.exec(line);
    const dotted = /key "([^"]+)":? (.*)$/.exec(line);
    if (path) failures[path[1]!.replace(/\//g, '.')] = path[2]!;
    else if (dotted) failures[dotted[1]!] = dotted[2]!;
  }
  return failures;
}
