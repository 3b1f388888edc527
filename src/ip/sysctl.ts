import { statSync } from 'node:fs';
import { InvalidInputError, TenantnetError } from '../errors.js';
import { run } from '../exec/run.js';
import { NamespaceNotFoundError } from '../net/namespace.js';
import { namespaceName } from '../net/types.js';
import { ipExecutor } from './batch.js';
import { IpCommandError } from './errors.js';

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

/**
 * Sets sysctl keys inside a namespace (null: the root namespace). In a namespace it is one line in
 * that namespace's `ip` batch (`netns exec NS sysctl -q -w …`): `ip` forks the `sysctl`, so Node
 * starts no process and the call pipelines with the namespace's other operations. Every key is
 * attempted; the ones that fail are reported by name.
 *
 * @throws {InvalidInputError} for a malformed key or value, before anything runs
 * @throws {NamespaceNotFoundError} when the namespace does not exist
 * @throws {SysctlError} naming each key that failed (the others are set)
 */
export async function sysctl(
  namespace: string | null,
  settings: Readonly<Record<string, string | number>>,
): Promise<void> {
  const ns = namespace === null ? null : namespaceName(namespace);
  const args: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (!/^[a-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(key)) {
      throw new InvalidInputError(`sysctl key: "${key}" is not a dotted sysctl key`, 'sysctl key');
    }
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(String(value))) {
      throw new InvalidInputError(`sysctl ${key}: "${value}" is not a simple value`, key);
    }
    args.push(`${key}=${value}`);
  }
  if (args.length === 0) return;
  let text: string;
  if (ns === null) {
    const r = await run(['sysctl', '-q', '-w', ...args], { check: false });
    if (r.exitCode === 0) return;
    text = `${r.stderr}\n${r.stdout}`;
  } else {
    if (!statSync(`/run/netns/${ns}`, { throwIfNoEntry: false })) throw new NamespaceNotFoundError(ns);
    try {
      await ipExecutor().apply(ns, [{ op: 'sysctl', namespace: ns, settings: args }]);
      return;
    } catch (e) {
      if (!(e instanceof IpCommandError) || e instanceof NamespaceNotFoundError) throw e;
      text = e.kernelMessage.replace(/ \| /g, '\n');
    }
  }
  const failures = parseFailures(text.split('\n'));
  if (Object.keys(failures).length === 0) failures[args.join(' ')] = text.trim() || 'failed';
  throw new SysctlError(ns, failures);
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
