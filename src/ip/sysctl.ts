import { statSync } from 'node:fs';
import { InvalidInputError, TenantnetError } from '../errors.js';
import { run } from '../exec/run.js';
import { NamespaceNotFoundError } from './errors.js';
import { type NamespaceName, namespaceName } from './types.js';

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

interface Job {
  readonly ns: NamespaceName | null;
  readonly args: readonly string[];
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

const END = '@@tenantnet-sysctl-end';

// One `sh` runs every queued job: `sysctl` in each namespace through `nsenter --net` (no mount
// namespace needed for /proc/sys/net), stderr merged, and an end marker after each job. Each job
// is one argument, "NS key=value …" ("-" for the root namespace); keys and values are validated to
// be free of spaces and glob characters, and globbing is off while splitting.
const SCRIPT = `for job in "$@"; do
  set -f; set -- $job; set +f
  ns=$1; shift
  if [ "$ns" = "-" ]; then sysctl -q -w "$@" 2>&1; else nsenter --net="/run/netns/$ns" sysctl -q -w "$@" 2>&1; fi
  echo "${END} $?"
done`;

let queue: Job[] = [];

/**
 * Sets sysctl keys inside a namespace (null: the root namespace). Calls made in the same tick are
 * coalesced into one process for all their namespaces (creating 100 namespaces costs one `sh`
 * rather than 100 processes). Every key is attempted; the ones that fail are reported by name.
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
  if (ns && !statSync(`/run/netns/${ns}`, { throwIfNoEntry: false })) throw new NamespaceNotFoundError(ns);
  await new Promise<void>((resolve, reject) => {
    queue.push({ ns, args, resolve, reject });
    if (queue.length === 1) setImmediate(flush);
  });
}

async function flush(): Promise<void> {
  const jobs = queue;
  queue = [];
  let out: string;
  try {
    const jobArgs = jobs.map((j) => [j.ns ?? '-', ...j.args].join(' '));
    const r = await run(['sh', '-c', SCRIPT, 'tenantnet-sysctl', ...jobArgs], { check: false });
    out = r.stdout;
  } catch (e) {
    for (const j of jobs) j.reject(e as Error);
    return;
  }
  const sections = splitSections(out);
  jobs.forEach((job, i) => {
    const s = sections[i];
    if (s && s.code === 0) {
      job.resolve();
      return;
    }
    const failures = s ? parseFailures(s.lines) : {};
    if (Object.keys(failures).length === 0) {
      failures[job.args.join(' ')] = s
        ? s.lines.join(' | ') || `exit ${s.code}`
        : 'the sysctl process ended early';
    }
    job.reject(new SysctlError(job.ns, failures));
  });
}

/** Splits the merged output into one section per job by the end markers. Pure. */
export function splitSections(out: string): { lines: string[]; code: number }[] {
  const sections: { lines: string[]; code: number }[] = [];
  let lines: string[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith(`${END} `)) {
      sections.push({ lines, code: Number(line.slice(END.length + 1)) });
      lines = [];
    } else if (line !== '') lines.push(line);
  }
  return sections;
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
