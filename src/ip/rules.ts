import { InvalidInputError } from '../errors.js';
import { existingNamespace } from '../net/namespace.js';
import { cidr, deviceName, familyOf, intIn, type TableId, tableId } from '../net/types.js';
import { ipExecutor } from './batch.js';
import { ObjectExistsError, ObjectNotFoundError } from './errors.js';
import type { RuleSpec } from './ops.js';

/** A policy rule as given by a caller: a selector (`from` and/or `to`, or `iif`) and a table. */
export interface RuleArgs {
  readonly namespace?: string | null;
  readonly from?: string;
  readonly to?: string;
  readonly iif?: string;
  /** Table to look up (main when omitted). */
  readonly table?: number | string;
  readonly priority?: number;
  /** Needed only when neither `from` nor `to` is given (IPv4 unless said). */
  readonly family?: 4 | 6;
}

/** A rule as read back from the kernel. */
export interface RuleInfo {
  readonly priority: number;
  readonly from: string;
  readonly to: string | null;
  readonly iif: string | null;
  readonly oif: string | null;
  readonly table: TableId | string;
  readonly fwmark: string | null;
  readonly type: string;
}

/** Validates a rule; pure apart from throwing. @throws {InvalidInputError} */
export function ruleSpec(a: RuleArgs): RuleSpec {
  const from =
    a.from === undefined ? undefined : cidr(a.from.includes('/') ? a.from : addHostPrefix(a.from), 'from');
  const to = a.to === undefined ? undefined : cidr(a.to.includes('/') ? a.to : addHostPrefix(a.to), 'to');
  if (from && to && familyOf(from) !== familyOf(to)) {
    throw new InvalidInputError('rule: from and to are of different families', 'to');
  }
  const family = from ? familyOf(from) : to ? familyOf(to) : (a.family ?? 4);
  return {
    family,
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(a.iif !== undefined ? { iif: deviceName(a.iif, 'iif') } : {}),
    table: tableId(a.table ?? 'main'),
    ...(a.priority !== undefined ? { priority: intIn(a.priority, 0, 0xffffffff, 'priority') } : {}),
  };
}

function addHostPrefix(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

/**
 * Adds a rule; an identical rule already there is success (the kernel's EEXIST is the check, so
 * there is no read first). @returns true if it was added
 */
export async function addRule(a: RuleArgs): Promise<boolean> {
  const rule = ruleSpec(a);
  const ns = existingNamespace(a.namespace);
  try {
    await ipExecutor().apply(ns, [{ op: 'rule.add', rule, family: rule.family ?? 4 }]);
    return true;
  } catch (e) {
    if (e instanceof ObjectExistsError) return false;
    throw e;
  }
}

/** Deletes a rule; an absent one is success. @returns true if it was there */
export async function deleteRule(a: RuleArgs): Promise<boolean> {
  const rule = ruleSpec(a);
  const ns = existingNamespace(a.namespace);
  try {
    await ipExecutor().apply(ns, [{ op: 'rule.del', rule, family: rule.family ?? 4 }]);
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  }
}

/** Lists the rules of one family (IPv4 unless said). */
export async function listRules(a: { readonly namespace?: string | null; readonly family?: 4 | 6 } = {}) {
  const family = a.family ?? 4;
  const ns = existingNamespace(a.namespace);
  const [r] = await ipExecutor().apply(ns, [{ op: 'rule.show', family }]);
  return parseRules(r?.output, family);
}

/** Turns `ip -j rule show` output into {@link RuleInfo}s. Pure. */
export function parseRules(output: unknown, family: 4 | 6): RuleInfo[] {
  if (!Array.isArray(output)) return [];
  const any = family === 4 ? '0.0.0.0/0' : '::/0';
  return (output as Record<string, unknown>[]).map((r) => {
    const prefix = (addr: unknown, len: unknown) =>
      addr === 'all' || addr === undefined ? any : `${addr}/${len ?? (family === 4 ? 32 : 128)}`;
    const table = String(r.table ?? 'main');
    return {
      priority: Number(r.priority ?? 0),
      from: prefix(r.src, r.srclen),
      to: r.dst === undefined ? null : prefix(r.dst, r.dstlen),
      iif: typeof r.iif === 'string' ? r.iif : null,
      oif: typeof r.oif === 'string' ? r.oif : null,
      table: /^\d+$/.test(table) || ['main', 'local', 'default'].includes(table) ? tableId(table) : table,
      fwmark: typeof r.fwmark === 'string' ? r.fwmark : null,
      type: String(r.action ?? 'unicast'),
    };
  });
}
