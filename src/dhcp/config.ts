// dnsmasq's configuration as pure functions of what a network serves: the `host`, `addn_hosts` and
// `opts` files, the seed `leases` file and the command line. Neutron: agent/linux/dhcp.py Dnsmasq
// (_output_hosts_file, _output_addn_hosts_file, _output_opts_file, _output_init_lease_file,
// _build_cmdline_callback).
import { posix } from 'node:path';
import { addressCount, addressFamily, cidrFamily, networkAddress, prefixLength } from '../net/cidr.js';
import type { Cidr, DeviceName, IpAddress } from '../net/types.js';
import type { DhcpHost, DhcpNetwork, DhcpSubnet } from './types.js';
import { DEFAULT_DOMAIN, DEFAULT_LEASE_TIME, isServed, servedSubnets } from './validate.js';

/** dnsmasq's own cap on leases (Neutron's dnsmasq_lease_max default, 2^24). */
export const LEASE_MAX_CAP = 2 ** 24;

/** Where one network's dnsmasq keeps its files: `<stateDir>/dhcp/<marker>/…`. */
export interface DhcpPaths {
  /** The configuration directory (world-readable: dnsmasq re-reads its files as `nobody`). */
  readonly dir: string;
  /** `--dhcp-hostsfile`: one line per fixed IP served (`mac,fqdn,ip`). */
  readonly host: string;
  /** `--addn-hosts`: the ports' names for DNS (`ip<TAB>fqdn hostname`). */
  readonly addnHosts: string;
  /** `--dhcp-optsfile`: per-subnet options (router, DNS servers, routes, domain search). */
  readonly opts: string;
  /** `--dhcp-leasefile`: dnsmasq's own; seeded when dnsmasq starts. */
  readonly leases: string;
  /** `--pid-file`: written by dnsmasq. */
  readonly pid: string;
}

/**
 * The files of the dnsmasq marked `marker` (the DHCP namespace's name: unique per host and parseable
 * back to its topology and network) under `stateDir`. Pure.
 */
export function dhcpPaths(stateDir: string, marker: string): DhcpPaths {
  const dir = posix.join(stateDir, 'dhcp', marker);
  return {
    dir,
    host: posix.join(dir, 'host'),
    addnHosts: posix.join(dir, 'addn_hosts'),
    opts: posix.join(dir, 'opts'),
    leases: posix.join(dir, 'leases'),
    pid: posix.join(dir, 'pid'),
  };
}

/** An address as dnsmasq's files want it: IPv6 in brackets. */
function bracketed(a: IpAddress): string {
  return addressFamily(a) === 6 ? `[${a}]` : a;
}

function subnetTag(s: DhcpSubnet): string {
  return `subnet-${s.id}`;
}

function fqdn(net: DhcpNetwork, h: DhcpHost): string {
  return `${h.hostname}.${net.domain ?? DEFAULT_DOMAIN}`;
}

function subnetsByName(net: DhcpNetwork): Map<string, DhcpSubnet> {
  return new Map(net.network.subnets.map((s) => [s.name, s]));
}

/**
 * Whether a fixed IP on `s` gets a host entry: its subnet has DHCP, and on IPv6 it is stateful
 * (SLAAC and stateless hosts make their own address from the router's advertisement, as in Neutron).
 */
function leased(s: DhcpSubnet | undefined): s is DhcpSubnet {
  return s !== undefined && isServed(s) && (s.ipv6Mode === null || s.ipv6Mode === 'dhcpv6-stateful');
}

/**
 * The `host` file (`--dhcp-hostsfile`): `mac,fqdn,address` per fixed IP on a subnet dnsmasq leases
 * from (IPv6 addresses in brackets), in the order of the hosts given. A MAC with no line here gets
 * no lease: every range is `static`. Pure.
 */
export function hostsFile(net: DhcpNetwork): string {
  const subnets = subnetsByName(net);
  let out = '';
  for (const h of net.hosts) {
    for (const f of h.fixedIps) {
      if (leased(subnets.get(f.subnet))) out += `${h.mac},${fqdn(net, h)},${bracketed(f.address)}\n`;
    }
  }
  return out;
}

/**
 * The `addn_hosts` file (`--addn-hosts`): `address<TAB>fqdn hostname` for every fixed IP of every
 * host, so dnsmasq answers DNS for the ports' names (bare and qualified), SLAAC addresses included. Pure.
 */
export function addnHostsFile(net: DhcpNetwork): string {
  let out = '';
  for (const h of net.hosts) {
    for (const f of h.fixedIps) out += `${f.address}\t${fqdn(net, h)} ${h.hostname}\n`;
  }
  return out;
}

/**
 * The `opts` file (`--dhcp-optsfile`), per served subnet (tag `subnet-<id>`): IPv4 `dns-server`
 * (empty: none handed out), `router` (empty when the subnet has no gateway), and, when the network
 * has other IPv4 subnets, `classless-static-route` and its Microsoft twin (option 249) with on-link
 * routes to them and the default route via the gateway; IPv6 `dns-server` and `domain-search`. Pure.
 */
export function optsFile(net: DhcpNetwork): string {
  const domain = net.domain ?? DEFAULT_DOMAIN;
  const v4 = net.network.subnets.filter((s) => cidrFamily(s.cidr) === 4);
  let out = '';
  for (const s of servedSubnets(net)) {
    const tag = `tag:${subnetTag(s)}`;
    if (cidrFamily(s.cidr) === 4) {
      out += `${tag},option:dns-server${s.dns.map((d) => `,${d}`).join('')}\n`;
      out += `${tag},option:router${s.gateway ? `,${s.gateway}` : ''}\n`;
      const others = v4.filter((o) => o.cidr !== s.cidr).map((o) => `${o.cidr},0.0.0.0`);
      if (others.length > 0) {
        const routes = [...others, ...(s.gateway ? [`0.0.0.0/0,${s.gateway}`] : [])].join(',');
        out += `${tag},option:classless-static-route,${routes}\n`;
        out += `${tag},249,${routes}\n`;
      }
    } else {
      out += `${tag},option6:dns-server${s.dns.map((d) => `,[${d}]`).join('')}\n`;
      out += `${tag},option6:domain-search,${domain}\n`;
    }
  }
  return out;
}

/**
 * The seed `leases` file written before dnsmasq starts: `<expiry> <mac> <address> * *` for every
 * IPv4 host entry (expiry 0 for infinite leases), so a restarted dnsmasq keeps honouring the leases
 * clients hold. Depends on `now` (milliseconds) only through the expiry. Pure.
 */
export function leasesSeed(net: DhcpNetwork, now: number): string {
  const lease = net.leaseTime ?? DEFAULT_LEASE_TIME;
  const expiry = lease === 'infinite' ? 0 : Math.floor(now / 1000) + lease;
  const subnets = subnetsByName(net);
  let out = '';
  for (const h of net.hosts) {
    for (const f of h.fixedIps) {
      const s = subnets.get(f.subnet);
      if (leased(s) && cidrFamily(s.cidr) === 4) out += `${expiry} ${h.mac} ${f.address} * *\n`;
    }
  }
  return out;
}

function netmask(c: Cidr): string {
  const bits = prefixLength(c);
  const m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((sh) => (m >>> sh) & 255).join('.');
}

/** `--dhcp-range` of a served subnet: `set:subnet-<id>,<network>,static,<netmask|prefix>,<lease>`. */
function dhcpRange(s: DhcpSubnet, lease: string): string {
  const c = s.cidr;
  const size = cidrFamily(c) === 4 ? netmask(c) : String(prefixLength(c));
  return `--dhcp-range=set:${subnetTag(s)},${networkAddress(c)},static,${size},${lease}`;
}

/**
 * dnsmasq's command line for a network, as Neutron builds it: no `/etc/hosts`, no `resolv.conf`
 * (names it does not know are forwarded only to `upstreamServers`), its files, `--bind-dynamic` on
 * the DHCP device only, a `static` range per served subnet (IPv4, and IPv6 stateful/stateless with a
 * prefix of 64 or longer; SLAAC has none), the MTU forced, the lease cap, the domain and no config
 * file of the host. Pure: the same network gives the same argv, which is how a needed restart is told
 * from a reload.
 */
export function dnsmasqArgv(net: DhcpNetwork, paths: DhcpPaths, device: DeviceName): string[] {
  const leaseTime = net.leaseTime ?? DEFAULT_LEASE_TIME;
  const lease = leaseTime === 'infinite' ? 'infinite' : `${leaseTime}s`;
  const served = servedSubnets(net);
  const possible = served.reduce((n, s) => n + addressCount(s.cidr), 0n);
  const leaseMax = possible > BigInt(LEASE_MAX_CAP) ? LEASE_MAX_CAP : Number(possible);
  return [
    'dnsmasq',
    '--no-hosts',
    '--no-resolv',
    `--pid-file=${paths.pid}`,
    `--dhcp-hostsfile=${paths.host}`,
    `--addn-hosts=${paths.addnHosts}`,
    `--dhcp-optsfile=${paths.opts}`,
    `--dhcp-leasefile=${paths.leases}`,
    '--local-service',
    '--bind-dynamic',
    `--interface=${device}`,
    '--except-interface=lo',
    ...served.map((s) => dhcpRange(s, lease)),
    `--dhcp-option-force=option:mtu,${net.network.mtu}`,
    `--dhcp-lease-max=${leaseMax}`,
    `--domain=${net.domain ?? DEFAULT_DOMAIN}`,
    ...(net.upstreamServers ?? []).map((s) => `--server=${s}`),
    '--conf-file=/dev/null',
  ];
}
