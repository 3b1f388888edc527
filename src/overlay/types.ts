// The overlay's desired state on one host: the VXLAN networks of its slices and the host's tunnel
// endpoint. Neutron: the linuxbridge agent's VXLAN config (local_ip, l2_population, arp_responder).
import type { Network } from '../model/types.js';
import type { IpAddress } from '../net/types.js';

/** IANA's VXLAN port (the kernel's default, 8472, is Linux's old one). */
export const VXLAN_PORT = 4789;

/** What one host's overlay is built from. */
export interface OverlayHost {
  /** The host's VXLAN tunnel endpoint (an address of its underlay). */
  readonly vtep: IpAddress;
  /** UDP destination port (default {@link VXLAN_PORT}). */
  readonly dstport?: number;
}

/** The overlay of one topology on one host: every network of its slice that has a VNI. */
export interface OverlayDesired {
  readonly topology: string;
  readonly networks: readonly Network[];
  readonly host: OverlayHost;
}

/** A VXLAN device's settings as the kernel reports them (`ip -d -j link show type vxlan`). */
export interface VxlanDetails {
  readonly name: string;
  readonly vni: number;
  readonly local: string | null;
  readonly dstport: number;
  readonly learning: boolean;
  readonly proxy: boolean;
}
