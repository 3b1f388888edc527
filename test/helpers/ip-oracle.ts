// The independent oracle for ip tests (a separate `ip -d -j`), and the sandbox setups they share.
import type { TestContext } from 'node:test';
import { run } from '../../src/exec/run.js';
import * as ip from '../../src/ip/index.js';
import type * as net from '../../src/net/index.js';
import { type Sandbox, sandbox } from './sandbox.js';

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
  for (const ns of list) sb.defer(() => ip.closeIpBatches(ns as net.NamespaceName));
  return list;
}

/** What {@link vethSpace} made. */
export interface VethSpace {
  readonly sb: Sandbox;
  /** The sandbox namespace. */
  readonly ns: string;
  /** The veth end that carries the address (`<prefix>x`). */
  readonly x: string;
  /** Its peer, in the same namespace (`<prefix>y`). */
  readonly y: string;
}

/**
 * The usual start of an ip test: a sandbox, one namespace, a veth pair in it with both ends up
 * (made by tenantnet), and `cidr` on the first end when given.
 */
export async function vethSpace(t: TestContext, cidr?: string): Promise<VethSpace> {
  const sb = sandbox(t);
  const [ns] = (await spaces(sb, 1)) as [string];
  const [x, y] = [sb.dev('x'), sb.dev('y')];
  await ip.addVeth({ namespace: ns, name: x, peer: y, up: true });
  if (cidr !== undefined) await ip.addAddress({ namespace: ns, dev: x, cidr });
  return { sb, ns, x, y };
}
