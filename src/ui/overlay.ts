// What the host has, laid over the picture of a file: a deployment's status and the last verify results
// (kept in the state directory) turned into a graph overlay, by owner mark. Pure. Horizon's topology
// view colours its boxes from the same kind of port and agent status.
import type { DeploymentStatus } from '../deploy/index.js';
import type { CheckStatus, GraphOverlay, ResourceStatus } from '../graph/index.js';
import type { Model } from '../model/index.js';
import { deviceFor, ownerMark } from '../net/index.js';
import type { ResolvedCheck } from '../topology/index.js';

/** One check's result as `verify.json` keeps it (a verify `CheckResult`, read back from JSON). */
export interface RecordedCheck {
  readonly index: number;
  readonly from: string;
  readonly to: string;
  readonly result: string;
  readonly detail?: string;
}

/** What the state directory keeps of the last verify (`verify.json`: a `VerifyReport`). */
export interface RecordedVerify {
  readonly checks: readonly RecordedCheck[];
}

const MISSING_NAMESPACE = /^namespace \S+ is missing$/;
const DNSMASQ = /^dnsmasq /;

function statusOf(problems: readonly string[], missing: boolean): ResourceStatus {
  if (missing) return { state: 'missing', problems };
  return problems.length === 0 ? { state: 'present' } : { state: 'drifted', problems };
}

/**
 * The last verify results that still fit the file: a result whose index, `from` and `to` are those of
 * the file's check at that index (a verify of an older file draws nothing rather than something wrong).
 * Each keeps its detail (the picture draws a failure's; the page shows every one).
 */
export function verifyResults(
  report: RecordedVerify | null,
  checks: readonly ResolvedCheck[],
): CheckStatus[] {
  if (!report || !Array.isArray(report.checks)) return [];
  const out: CheckStatus[] = [];
  for (const r of report.checks) {
    const c = Number.isSafeInteger(r?.index) ? checks[r.index] : undefined;
    if (!c || c.from !== r.from || c.to !== r.to) continue;
    if (r.result !== 'pass' && r.result !== 'block' && r.result !== 'fail') continue;
    out.push({
      index: r.index,
      result: r.result,
      ...(typeof r.detail === 'string' ? { detail: r.detail } : {}),
    });
  }
  return out;
}

/**
 * The overlay of a deployment's status (and the last verify results) for the picture of `model`:
 *
 * - a router or instance whose namespace is missing is `missing`, with its other problems `drifted`;
 *   a router's missing port (`port qr-… is missing`) marks that link missing, and every link of a
 *   router without a namespace is missing too; an instance's device problems mark its port link;
 * - a network's problems make it `drifted`, except the DHCP ones: a missing DHCP namespace is the
 *   `dhcp` mark missing, and dnsmasq goes through `dhcp` (pid, alive) so the picture says it once;
 * - the firewall's health is every security group's (its chains filter each member);
 * - `verify`: see {@link verifyResults}.
 */
export function overlayFromStatus(
  model: Model,
  status: DeploymentStatus,
  verify: RecordedVerify | null = null,
  checks: readonly ResolvedCheck[] = [],
): GraphOverlay {
  const t = model.topology;
  const resources: Record<string, ResourceStatus> = {};
  const dhcp: Record<string, { pid: number | null; alive: boolean }> = {};

  for (const n of status.networks) {
    const own = n.problems.filter((p) => !DNSMASQ.test(p) && !p.startsWith('DHCP namespace '));
    resources[`${t}.network.${n.name}`] = statusOf(own, false);
    if (n.dhcp) {
      const nsMissing = n.problems.some((p) => p.startsWith('DHCP namespace '));
      resources[`${t}.dhcp.${n.name}`] = nsMissing
        ? { state: 'missing', problems: [`namespace ${n.dhcp.namespace} is missing`] }
        : { state: 'present' };
      dhcp[n.name] = { pid: n.dhcp.pid, alive: n.dhcp.pid !== null && n.dhcp.healthy };
    }
  }

  for (const r of status.routers) {
    const router = model.routers.find((m) => m.name === r.name);
    const nsMissing = r.problems.some((p) => MISSING_NAMESPACE.test(p));
    resources[`${t}.router.${r.name}`] = statusOf(r.problems, nsMissing);
    if (!router) continue;
    const ports = [...router.interfaces.map((i) => i.port), ...(router.gateway ? [router.gateway.port] : [])];
    for (const port of ports) {
      const device = deviceFor(port.deviceOwner === 'router_gateway' ? 'qg-' : 'qr-', port.owner);
      const missing = nsMissing || r.problems.includes(`port ${device} is missing`);
      resources[ownerMark(port.owner)] = missing
        ? { state: 'missing', problems: [`${device} is missing`] }
        : { state: 'present' };
    }
  }

  for (const i of status.instances) {
    const inst = model.instances.find((m) => m.name === i.name);
    const nsMissing = i.problems.some((p) => MISSING_NAMESPACE.test(p));
    resources[`${t}.instance.${i.name}`] = statusOf(i.problems, nsMissing);
    if (!inst) continue;
    const device = i.problems.filter((p) => p.startsWith(`device ${i.device} `));
    resources[ownerMark(inst.port.owner)] =
      nsMissing || device.includes(`device ${i.device} is missing`)
        ? { state: 'missing', problems: [`${i.device} is missing`] }
        : statusOf(device, false);
  }

  for (const g of model.securityGroups) {
    resources[ownerMark(g.owner)] = statusOf(status.firewall.problems, false);
  }

  return { resources, dhcp, checks: verifyResults(verify, checks) };
}
