// What the host looks like outside every test sandbox, read with the independent tools (ip,
// iptables-save, ipset), so a test can prove that hostile input changed nothing of the host.
import { readdir } from 'node:fs/promises';
import fc from 'fast-check';
import { run } from '../../src/exec/run.js';

// Names made by test sandboxes, simulated hosts (the fabric) and benches, this run's and concurrent
// ones': `t`, `o`, `b` or `f` + 4-5 base-36 characters, and the private OVS namespaces. Everything
// else is the host's.
const SANDBOXED = /(^|[\s"'-])(t|o|b|f)[0-9a-z]{4,5}|tnovs-/;

function hostLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !SANDBOXED.test(l))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[0:0]'))
    .sort();
}

async function out(argv: string[]): Promise<string> {
  const r = await run(argv, { check: false, timeoutMs: 30_000 }).catch(() => null);
  return r ? `${r.stdout}` : `(${argv[0]} failed)`;
}

/** A comparable picture of the host's own network state (root namespace, firewall, sets, namespaces). */
export interface HostSnapshot {
  readonly namespaces: string[];
  readonly links: string[];
  readonly addresses: string[];
  readonly routes: string[];
  readonly rules: string[];
  readonly iptables: string[];
  readonly ipsets: string[];
}

/** Reads the host's state, leaving out everything that carries a test sandbox prefix. */
export async function hostSnapshot(): Promise<HostSnapshot> {
  const [links, addresses, r4, r6, rules4, rules6, ipt4, ipt6, sets] = await Promise.all([
    out(['ip', '-o', 'link', 'show']),
    out(['ip', '-o', 'addr', 'show']),
    out(['ip', 'route', 'show', 'table', 'all']),
    out(['ip', '-6', 'route', 'show', 'table', 'all']),
    out(['ip', 'rule', 'show']),
    out(['ip', '-6', 'rule', 'show']),
    out(['iptables-save']),
    out(['ip6tables-save']),
    out(['ipset', 'list', '-n']),
  ]);
  const namespaces = (await readdir('/run/netns').catch(() => [] as string[])).filter(
    (n) => !SANDBOXED.test(n),
  );
  return {
    namespaces: namespaces.sort(),
    // Link lines carry counters-free state only; drop the volatile qlen/operstate words.
    links: hostLines(links).map((l) => l.replace(/\s+\\\s+.*$/, '').replace(/state \S+/, '')),
    addresses: hostLines(addresses).map((l) => l.replace(/valid_lft.*$/, '')),
    routes: hostLines(`${r4}\n${r6}`).filter((l) => !/\bexpires\b|\bproto kernel\b.*fe80/.test(l)),
    rules: hostLines(`${rules4}\n${rules6}`),
    iptables: hostLines(`${ipt4}\n${ipt6}`).filter((l) => !l.startsWith('#')),
    ipsets: hostLines(sets),
  };
}

/**
 * The differences between two snapshots, one line each (`+ added` / `- removed`, per part); empty
 * when the host did not change.
 */
export function snapshotDiff(before: HostSnapshot, after: HostSnapshot): string[] {
  const diff: string[] = [];
  for (const key of Object.keys(before) as (keyof HostSnapshot)[]) {
    const a = new Set(before[key]);
    const b = new Set(after[key]);
    for (const l of b) if (!a.has(l)) diff.push(`${key}: + ${l}`);
    for (const l of a) if (!b.has(l)) diff.push(`${key}: - ${l}`);
  }
  return diff;
}

/**
 * Hostile strings for property tests: control characters (NUL, newline, CR, tab, DEL, C1, U+2028),
 * quotes and shell/protocol metacharacters, option-like words, path segments, very long values and
 * unicode, each alone or glued into a plausible value.
 */
export function hostileString(): fc.Arbitrary<string> {
  const pieces = fc.constantFrom(
    '\n',
    '\r',
    '\0',
    '\t',
    '\u007f',
    '\u0085',
    '\u2028',
    '"',
    "'",
    '`',
    '$(id)',
    ';',
    '#',
    ' ',
    '\\',
    '-',
    '--',
    '-F',
    '--help',
    '/',
    '..',
    '../..',
    '%00',
    '%2e%2e',
    '*',
    'COMMIT',
    '\n-F INPUT\n',
    '\nflush\n',
    'é',
    '网络',
    '🙂',
    'a'.repeat(300),
  );
  const word = fc.stringMatching(/^[a-z0-9]{0,6}$/);
  return fc
    .array(fc.oneof(pieces, word), { minLength: 1, maxLength: 5 })
    .map((parts) => parts.join(''))
    .filter((s) => !/^[A-Za-z0-9_]*$/.test(s));
}
