// What the overlay reads on a host: the links of the host place (shared with every layer through the
// Observation) and, only when tenantnet's VXLAN devices exist there, their VXLAN settings (one
// `ip -d -j link show type vxlan`). Neutron: the linuxbridge agent's ip_lib reads of vxlan devices.
import type { LinkInfo } from '../ip/links.js';
import type { Observation } from '../reconcile/observation.js';
import { isOwnedVxlan } from './names.js';
import type { VxlanDetails } from './types.js';

/** The overlay's view of the host place. */
export interface OverlayObserved {
  /** Links of the host place (null: the host namespace is missing). */
  readonly links: readonly LinkInfo[] | null;
  /** VXLAN settings of every VXLAN device there, by name (read only when an owned one exists). */
  readonly vxlans: ReadonlyMap<string, VxlanDetails>;
}

/**
 * Parses `ip -d -j link show type vxlan`. Entries that are not VXLAN devices are skipped. Pure.
 */
export function parseVxlanDetails(output: unknown): VxlanDetails[] {
  if (!Array.isArray(output)) return [];
  const out: VxlanDetails[] = [];
  for (const l of output as Record<string, unknown>[]) {
    const info = (l?.linkinfo as Record<string, unknown> | undefined) ?? {};
    if (info.info_kind !== 'vxlan' || typeof l.ifname !== 'string') continue;
    const d = (info.info_data as Record<string, unknown> | undefined) ?? {};
    out.push({
      name: l.ifname,
      vni: typeof d.id === 'number' ? d.id : -1,
      local: typeof d.local === 'string' ? d.local : null,
      dstport: typeof d.port === 'number' ? d.port : 8472,
      learning: d.learning === true,
      proxy: d.proxy === true,
    });
  }
  return out;
}

/**
 * Reads what the overlay plans from: the host place's links (through `obs`, shared with the other
 * layers) and, when tenantnet's VXLAN devices are there, their settings. Read-only.
 *
 * Equivalent to: `ip [-n HOST] -j addr show` and `ip [-n HOST] -d -j link show type vxlan`
 */
export async function observeOverlay(obs: Observation): Promise<OverlayObserved> {
  const links = await obs.links('host');
  if (!links?.some((l) => isOwnedVxlan(l))) return { links, vxlans: new Map() };
  const ns = obs.resolve('host');
  const r = await obs.executors.processes.run([
    'ip',
    ...(ns ? ['-n', ns] : []),
    '-d',
    '-j',
    'link',
    'show',
    'type',
    'vxlan',
  ]);
  let parsed: unknown = [];
  try {
    parsed = JSON.parse(r.stdout || '[]');
  } catch {
    parsed = [];
  }
  return { links, vxlans: new Map(parseVxlanDetails(parsed).map((d) => [d.name, d])) };
}
