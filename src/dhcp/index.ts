// The DHCP layer's public face: what a network's dnsmasq serves (types, validation, model mapping),
// its pure configuration, observe -> plan, the imperative verbs, the respawning monitor and the
// one-shot client pieces. Neutron: agent/linux/dhcp.py (Dnsmasq, DeviceManager) and the DHCP agent.

export {
  type DhcpClientOptions,
  type DhcpLease,
  dhcpClientArgv,
  dhcpClientStep,
  LEASE_PREFIX,
  parseLease,
  type RunDhcpClientOptions,
  runDhcpClient,
  type UdhcpcScriptOptions,
  udhcpcScript,
} from './client.js';
export {
  addnHostsFile,
  type DhcpPaths,
  dhcpPaths,
  dnsmasqArgv,
  hostsFile,
  LEASE_MAX_CAP,
  leasesSeed,
  optsFile,
} from './config.js';
export { DhcpNoLeaseError } from './errors.js';
export { type ExistingDhcpServer, existingDhcpServers } from './existing.js';
export { type DhcpFromModelOptions, dhcpNetworkFromModel, dhcpNetworksFromModel } from './from-model.js';
export {
  type DhcpLayout,
  type DhcpWiring,
  dhcpLayout,
  dhcpPlugRequest,
  dhcpPlugTarget,
  dhcpResource,
  dnsmasqService,
} from './layout.js';
export { DhcpMonitor, type DhcpMonitorOptions, serviceProcessManager, watchDhcp } from './monitor.js';
export { type DhcpObserved, type DhcpObserveOptions, type DhcpProcess, observeDhcp } from './observe.js';
export { type DhcpPlanOptions, planDhcp } from './plan.js';
export type {
  DhcpFixedIp,
  DhcpHost,
  DhcpNetwork,
  DhcpNetworkInfo,
  DhcpPortInfo,
  DhcpSubnet,
} from './types.js';
export {
  DEFAULT_DOMAIN,
  DEFAULT_LEASE_TIME,
  dhcpNetwork,
  dnsDomain,
  hostname,
  isServed,
  servedSubnets,
  type ValidDhcpNetwork,
} from './validate.js';
export { type DhcpApplyOptions, type DhcpOutcome, disableDhcp, enableDhcp } from './verbs.js';
