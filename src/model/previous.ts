// What the model applied last time allocated (addresses, MACs, floating IPs, VNIs), indexed by the
// resource that holds it, so a new build keeps them: Neutron never renumbers a port that exists. The
// previous model comes from storage, so it is read without trusting its shape.
import { parseAddress } from '../net/cidr.js';
import { type IpAddress, type Mac, mac } from '../net/types.js';

/** Allocations of a previous model, by holder. Empty maps when there is none. */
export interface PreviousIndex {
  /** Port name → MAC. */
  readonly macs: ReadonlyMap<string, Mac>;
  /** `<port name>|<subnet name>` → the port's address there. */
  readonly ports: ReadonlyMap<string, IpAddress>;
  /** Instance name → its floating IP's address. */
  readonly floatingIps: ReadonlyMap<string, IpAddress>;
  /** Network name → VNI. */
  readonly vnis: ReadonlyMap<string, number>;
}

type Loose = { readonly [key: string]: unknown } | undefined;

function obj(v: unknown): Loose {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Loose) : undefined;
}

function arr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

function address(v: unknown): IpAddress | undefined {
  try {
    return parseAddress(v);
  } catch {
    return undefined;
  }
}

/**
 * Indexes the allocations of `previous` when it is a model of the same topology; anything that does
 * not read as a model's field is skipped (it will be allocated afresh). Pure.
 */
export function indexPrevious(previous: unknown, topology: string): PreviousIndex {
  const macs = new Map<string, Mac>();
  const ports = new Map<string, IpAddress>();
  const floatingIps = new Map<string, IpAddress>();
  const vnis = new Map<string, number>();
  const model = obj(previous);
  if (!model || model.topology !== topology) return { macs, ports, floatingIps, vnis };

  const port = (raw: unknown) => {
    const p = obj(raw);
    if (!p || typeof p.name !== 'string') return;
    try {
      macs.set(p.name, mac(p.mac as string));
    } catch {
      // not a MAC: allocate afresh
    }
    for (const f of arr(p.fixedIps)) {
      const fixed = obj(f);
      const a = address(fixed?.address);
      if (a && typeof fixed?.subnet === 'string') ports.set(`${p.name}|${fixed.subnet}`, a);
    }
  };

  for (const n of arr(model.networks)) {
    const net = obj(n);
    if (!net) continue;
    port(net.dhcpPort);
    for (const h of arr(net.hostDhcpPorts)) port(obj(h)?.port);
    if (typeof net.name === 'string' && Number.isInteger(net.vni)) vnis.set(net.name, net.vni as number);
  }
  for (const r of arr(model.routers)) {
    const router = obj(r);
    if (!router) continue;
    port(obj(router.gateway)?.port);
    for (const i of arr(router.interfaces)) port(obj(i)?.port);
    for (const f of arr(router.floatingIps)) {
      const fip = obj(f);
      const a = address(fip?.address);
      if (a && typeof fip?.instance === 'string') floatingIps.set(fip.instance, a);
    }
  }
  for (const i of arr(model.instances)) port(obj(i)?.port);
  return { macs, ports, floatingIps, vnis };
}
