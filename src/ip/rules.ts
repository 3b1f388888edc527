// Policy-routing rules: add (idempotent), delete, list, as spec -> ops -> run (Neutron: ip_lib.add_ip_rule / delete_ip_rule / list_ip_rules).
import { InvalidInputError } from '../errors.js';
import { optionalNamespace } from '../net/namespace.js';
import { cidr, deviceName, familyOf, type IpFamily, intIn, type TableId, tableId } from '../net/types.js';
import { defined } from './defined.js';
import { ObjectExistsError, ObjectNotFoundError } from './errors.js';
import { executorOf, type Via } from './executor.js';
import type { IpOp, RuleSpec } from './ops.js';

/** A policy rule as given by a caller: a selector (`from` and/or `to`, or `iif`) and a table. */
export interface RuleArgs extends Via {
  readonly namespace?: string | null;
  readonly from?: string;
  readonly to?: string;
  readonly iif?: string;
  /** Table to look up: `default` (253) when omitted, as in Neutron. */
  readonly table?: number | string;
  readonly priority?: number;
  /** Needed only when neither `from` nor `to` is given (IPv4 unless said). */
  readonly family?: IpFamily;
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

function addHostPrefix(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

function selector(value: string | undefined, where: string) {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return cidr(value, where); // refused with a typed error
  return cidr(value.includes('/') ? value : addHostPrefix(value), where);
}

/**
 * Validates a rule (not its namespace); pure apart from throwing. A rule without a table looks up
 * `default` (253), Neutron's default for policy routes (the safer one for L3: `main` would route
 * what the rule selects by the host's main table).
 *
 * @throws {InvalidInputError}
 */
export function ruleSpec(a: Omit<RuleArgs, 'namespace' | 'executor'>): RuleSpec {
  const from = selector(a.from, 'from');
  const to = selector(a.to, 'to');
  if (from && to && familyOf(from) !== familyOf(to)) {
    throw new InvalidInputError('rule: from and to are of different families', 'to');
  }
  if (a.family !== undefined && a.family !== 4 && a.family !== 6) {
    throw new InvalidInputError(`family: ${JSON.stringify(a.family)} is not 4 or 6`, 'family');
  }
  return defined({
    family: from ? familyOf(from) : to ? familyOf(to) : (a.family ?? 4),
    from,
    to,
    iif: a.iif === undefined ? undefined : deviceName(a.iif, 'iif'),
    table: tableId(a.table ?? 'default'),
    priority: a.priority === undefined ? undefined : intIn(a.priority, 0, 0xffffffff, 'priority'),
  });
}

/** The op that adds a rule. Pure. */
export function addRuleOps(rule: RuleSpec): IpOp[] {
  return [{ op: 'rule.add', rule, family: rule.family ?? 4 }];
}

/** The op that deletes a rule. Pure. */
export function deleteRuleOps(rule: RuleSpec): IpOp[] {
  return [{ op: 'rule.del', rule, family: rule.family ?? 4 }];
}

/**
 * Adds a rule; an identical rule already there is success (the kernel's EEXIST is the check, so
 * there is no read first).
 *
 * Equivalent to: `ip [-n NS] [-6] rule add [from A] [to A] [iif DEV] [priority P] table T`
 *
 * @returns true if it was added
 */
export async function addRule(a: RuleArgs): Promise<boolean> {
  const rule = ruleSpec(a);
  const ns = optionalNamespace(a.namespace);
  try {
    await executorOf(a).apply(ns, addRuleOps(rule));
    return true;
  } catch (e) {
    if (e instanceof ObjectExistsError) return false;
    throw e;
  }
}

/**
 * Deletes a rule; an absent one is success.
 *
 * Equivalent to: `ip [-n NS] [-6] rule del [from A] [to A] [iif DEV] [priority P] table T`
 *
 * @returns true if it was there
 */
export async function deleteRule(a: RuleArgs): Promise<boolean> {
  const rule = ruleSpec(a);
  const ns = optionalNamespace(a.namespace);
  try {
    await executorOf(a).apply(ns, deleteRuleOps(rule));
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  }
}

/**
 * Lists the rules of one family (IPv4 unless said).
 *
 * Equivalent to: `ip [-n NS] [-6] -j rule show`
 */
export async function listRules(
  a: Via & { readonly namespace?: string | null; readonly family?: IpFamily } = {},
): Promise<RuleInfo[]> {
  if (a.family !== undefined && a.family !== 4 && a.family !== 6) {
    throw new InvalidInputError(`family: ${JSON.stringify(a.family)} is not 4 or 6`, 'family');
  }
  const family = a.family ?? 4;
  const ns = optionalNamespace(a.namespace);
  const [r] = await executorOf(a).apply(ns, [{ op: 'rule.show', family }]);
  return parseRules(r?.output, family);
}

/** Turns `ip -j rule show` output into {@link RuleInfo}s. Pure; never throws on kernel text. */
export function parseRules(output: unknown, family: IpFamily): RuleInfo[] {
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
