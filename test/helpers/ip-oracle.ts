import { run } from '../../src/exec/run.js';
import * as ip from '../../src/ip/index.js';
import type { Sandbox } from './sandbox.js';

/** The independent oracle for ip tests: a separate `ip -d -j` process, parsed. */
export async function oracle(
  ns: string | null | undefined,
  ...args: string[]
): Promise<Record<string, unknown>[]> {
  const r = await run(['ip', ...(ns ? ['-n', ns] : []), '-d', '-j', ...args]);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>[]) : [];
}

/** Sandbox namespaces whose tenantnet coprocesses are closed before the sandbox deletes them. */
export async function spaces(sb: Sandbox, n: number): Promise<string[]> {
  const list = await sb.namespaces(n);
  for (const ns of list) sb.defer(() => ip.closeIpBatches(ns as ip.NamespaceName));
  return list;
}
