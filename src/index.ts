/**
 * tenantnet: tenant virtual networks on a Linux host. The library's public face: every layer's
 * names, flat, so `import { addVeth, IptablesManager, OvsBridge } from 'tenantnet'` works.
 */
export * from './errors.js';
export * from './exec/index.js';
export * from './ip/index.js';
export * from './iptables/index.js';
export * from './ovs/index.js';
export { stateDir } from './state-dir.js';
