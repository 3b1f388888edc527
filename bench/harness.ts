// The plumbing every benchmark shares: its arguments (`--json`, `--rounds N`, `--n N`, flags; both
// `--x N` and `--x=N`), timing, medians, ratios and the lines that print them. Each bench measures
// tenantnet against a floor run in the same process on the same machine state.
import { performance } from 'node:perf_hooks';

/** A bench's command-line arguments. */
export interface BenchArgs {
  /** `--json`: print the figures as JSON instead of a table. */
  readonly json: boolean;
  /** `--rounds N` (at least 1). */
  readonly rounds: number;
  /** A numeric option (`--name N` or `--name=N`), or `dflt`. */
  num(name: string, dflt: number): number;
  /** True when `--name` is given. */
  flag(name: string): boolean;
}

/**
 * Reads the arguments (default `process.argv.slice(2)`).
 *
 * @throws {Error} for a numeric option that is not a number
 */
export function benchArgs(defaults: { readonly rounds: number }, argv = process.argv.slice(2)): BenchArgs {
  const value = (name: string): string | undefined => {
    const eq = argv.find((a) => a.startsWith(`--${name}=`));
    if (eq) return eq.slice(name.length + 3);
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number) => {
    const v = value(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name}: "${v}" is not a number`);
    return n;
  };
  return {
    json: argv.includes('--json'),
    rounds: Math.max(1, num('rounds', defaults.rounds)),
    num,
    flag: (name) => argv.includes(`--${name}`),
  };
}

/** How long `fn` took, in ms. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** The median (the mean of the middle two for an even count; NaN for none). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The median of each field over rounds of records. */
export function medians<K extends string>(rounds: readonly Record<K, number>[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of Object.keys(rounds[0] ?? {}) as K[]) out[k] = median(rounds.map((r) => r[k]));
  return out;
}

/** Milliseconds as printed in tables (`12.3 ms`). */
export function ms(x: number, digits = 1): string {
  return `${x.toFixed(digits)} ms`;
}

/** One ratio line: `label  1.23x (target <= 1.5x)`. */
export function ratioLine(label: string, value: number, target?: string, width = 34): string {
  return `${label.padEnd(width)} ${value.toFixed(2)}x${target ? ` (target ${target})` : ''}`;
}

/** A table: a header row and rows, columns right-aligned after the first. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toFixed(1) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  return cells
    .map((r) =>
      r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}

/** Prints the figures: JSON when asked for, else what `text` returns. */
export function report(args: BenchArgs, figures: unknown, text: () => string): void {
  console.log(args.json ? JSON.stringify(figures, null, 2) : text());
}
