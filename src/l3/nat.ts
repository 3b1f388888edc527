// A router's NAT as an iptables model (pure): the gateway's SNAT, "do not SNAT what was DNATed",
// routed (not NATed) traffic between internal subnets, the external-ingress mark, and each floating
// IP's DNAT (PREROUTING and OUTPUT) and SNAT (float-snat). One manager per router namespace, IPv4
// nat and mangle only. Neutron: router_info.py (_add_snat_rules, external_gateway_nat_*_rules,
// floating_forward_rules) and iptables_manager's float-snat/snat/mark layout.
import type { IptablesExecutor } from '../iptables/executor.js';
import { IptablesManager } from '../iptables/manager.js';
import type { NamespaceName } from '../net/types.js';
import type { RouterSpec } from './desired.js';

/** The chain prefix of every router's manager: its chains are `tn-l3-<chain>`. */
export const L3_PREFIX = 'l3';

/**
 * The mark traffic entering by the gateway port gets (mangle), so that DNATed traffic from outside is
 * not SNATed on its way in (the instance sees the real source). Neutron's external_ingress_mark.
 */
export const EXTERNAL_INGRESS_MARK = '0x2';

/** The tag of every rule a router adds (the layout's own rules carry none). */
export const L3_TAG = 'l3';

// One manager per router namespace and executor, kept for the life of the process: after it applied
// once it knows what its own chains hold, so its next apply (one floating IP added) takes the
// iptables fast path and sends the change without reading the tables again.
const managers = new WeakMap<IptablesExecutor, Map<string, IptablesManager>>();

/**
 * A router namespace's iptables manager: prefix `l3`, IPv4, tables nat and mangle (the router's
 * namespace is its own, so no other manager competes there; IPv6 is routed, never NATed). The same
 * manager is returned for a namespace and executor each time, its router rules (tag {@link L3_TAG})
 * cleared: add them with {@link addRouterRules}. Its model is then exactly a new manager's, and what
 * it remembers of its last apply (its believed tables) lets the engine's next apply skip a read.
 */
export function routerManager(namespace: NamespaceName, executor: IptablesExecutor): IptablesManager {
  let byNamespace = managers.get(executor);
  if (!byNamespace) {
    byNamespace = new Map();
    managers.set(executor, byNamespace);
  }
  let m = byNamespace.get(namespace);
  if (!m) {
    m = new IptablesManager({
      namespace,
      prefix: L3_PREFIX,
      families: [4],
      tables: ['nat', 'mangle'],
      executor,
    });
    byNamespace.set(namespace, m);
  }
  m.table('nat').clearRulesByTag(L3_TAG);
  m.table('mangle').clearRulesByTag(L3_TAG);
  return m;
}

/** Forgets a router namespace's manager (the router is deleted: its namespace and tables go). */
export function forgetRouterManager(namespace: NamespaceName, executor: IptablesExecutor): void {
  managers.get(executor)?.delete(namespace);
}

/** The rule texts a floating IP adds, by chain (what `-D`/`-I` lines and tests look for). Pure. */
export function floatingIpRules(address: string, fixedIp: string) {
  return {
    PREROUTING: `-d ${address}/32 -j DNAT --to-destination ${fixedIp}`,
    OUTPUT: `-d ${address}/32 -j DNAT --to-destination ${fixedIp}`,
    'float-snat': `-s ${fixedIp}/32 -j SNAT --to-source ${address}`,
  } as const;
}

/**
 * Adds a router's rules to its manager's model (on top of the manager's layout; the model holds no
 * router rules yet: see {@link routerManager}). Nothing without an IPv4 gateway. With one, as Neutron:
 * - nat POSTROUTING: `! -i qg ! -o qg -m conntrack ! --ctstate DNAT -j ACCEPT` — traffic between
 *   internal subnets is routed, not NATed (it never reaches the shared postrouting-bottom → snat);
 * - nat snat (after its jump to float-snat), SNAT on: `-o qg -j SNAT --to-source GW`, and DNATed
 *   traffic that did not come in by qg (an internal client of a floating IP) SNATed to GW, so the
 *   reply comes back through the router;
 * - mangle mark: `-i qg -j MARK --set-xmark 0x2/0xffffffff` (the external-ingress mark);
 * - per floating IP, sorted by address: nat PREROUTING and OUTPUT `-d FIP/32 -j DNAT
 *   --to-destination FIXED` (OUTPUT: from the router itself too), float-snat `-s FIXED/32 -j SNAT
 *   --to-source FIP`.
 * Rules are written in iptables-save's form, so an unchanged router converges to zero operations.
 */
export function addRouterRules(manager: IptablesManager, spec: RouterSpec): void {
  const gw = spec.gateway;
  if (!gw || gw.ip.includes(':')) return;
  const qg = gw.port.request.device;
  const nat = manager.table('nat');
  const tag = { tag: L3_TAG };
  nat.addRule('POSTROUTING', `! -i ${qg} ! -o ${qg} -m conntrack ! --ctstate DNAT -j ACCEPT`, tag);
  if (gw.snat) {
    nat.addRule('snat', `-o ${qg} -j SNAT --to-source ${gw.ip}`, tag);
    nat.addRule(
      'snat',
      // iptables prints a mark match with the full mask as the value alone (`--mark 0x2`).
      `-m mark ! --mark ${EXTERNAL_INGRESS_MARK} -m conntrack --ctstate DNAT -j SNAT --to-source ${gw.ip}`,
      tag,
    );
  }
  manager
    .table('mangle')
    .addRule('mark', `-i ${qg} -j MARK --set-xmark ${EXTERNAL_INGRESS_MARK}/0xffffffff`, tag);
  const fips = [...spec.floatingIps].sort((a, b) => compareV4(a.address, b.address));
  for (const f of fips) {
    const rules = floatingIpRules(f.address, f.fixedIp);
    for (const chain of ['PREROUTING', 'OUTPUT', 'float-snat'] as const)
      nat.addRule(chain, rules[chain], tag);
  }
}

function compareV4(a: string, b: string): number {
  const n = (x: string) => x.split('.').reduce((v, o) => v * 256 + Number(o), 0);
  return n(a) - n(b);
}

/** A floating IP mapping read back from the router's saved nat table: address -> fixed IP. */
export type ObservedFloatingIps = ReadonlyMap<string, string>;

/**
 * The floating IPs a router's saved nat table holds: every `-d A/32 -j DNAT --to-destination F` in
 * `tn-l3-PREROUTING`. Pure; '' or foreign text gives none.
 */
export function savedFloatingIps(saveText: string): Map<string, string> {
  const out = new Map<string, string>();
  let nat = false;
  const chain = `tn-${L3_PREFIX}-PREROUTING`;
  for (const line of saveText.split('\n')) {
    if (line.startsWith('*')) nat = line === '*nat';
    if (!nat || !line.startsWith(`-A ${chain} `)) continue;
    const m = /-d (\d+\.\d+\.\d+\.\d+)\/32 .*-j DNAT --to-destination (\d+\.\d+\.\d+\.\d+)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}
