import { IptablesManager } from '../../src/iptables/manager.js';
import type { Sandbox } from './sandbox.js';

/** An IPv4, filter-only manager in a sandbox namespace, prefixed with the sandbox's prefix. */
export function filterManager(sb: Sandbox, namespace: string): IptablesManager {
  return new IptablesManager({ namespace, prefix: sb.prefix, families: [4], tables: ['filter'] });
}
