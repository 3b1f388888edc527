// A topology placed on three hosts, shared by the slice and store tests: networks present on one,
// two and no host, a router with a floating IP, groups that name each other as remote groups.
import type { TopologyInput } from '../../src/model/index.js';
import type { Mutable } from './model-fixtures.js';

/**
 * Three hosts. web is on h1 (web1, ops1) and h2 (web2, router r1); db on h2 (r1) and h3 (db1); public
 * on h2 (r1's gateway); spare on none. Group db (db1) admits group web; group admin (tool on h3)
 * admits group ops (ops1 on h1). A fresh copy each call.
 */
export function threeHosts(name = 'multi'): Mutable<TopologyInput> {
  return structuredClone({
    name,
    backend: 'linuxbridge' as const,
    networks: [
      { name: 'web', cidr: '10.10.1.0/24' },
      { name: 'db', cidr: '10.10.2.0/24', dns: ['10.10.2.53'] },
      { name: 'public', cidr: '172.24.4.0/24', external: true },
      { name: 'spare', cidr: '10.99.0.0/24' },
    ],
    routers: [{ name: 'r1', host: 'h2', gateway: { network: 'public' }, interfaces: ['web', 'db'] }],
    securityGroups: [
      {
        name: 'web',
        rules: [
          { direction: 'ingress' as const, protocol: 'tcp', port: 80 },
          { direction: 'ingress' as const, protocol: 'icmp', remoteGroup: 'web' },
        ],
      },
      {
        name: 'db',
        rules: [{ direction: 'ingress' as const, protocol: 'tcp', port: 5432, remoteGroup: 'web' }],
      },
      {
        name: 'admin',
        rules: [{ direction: 'ingress' as const, protocol: 'tcp', port: 22, remoteGroup: 'ops' }],
      },
      { name: 'ops', rules: [{ direction: 'egress' as const, remoteGroup: 'admin' }] },
    ],
    instances: [
      { name: 'web1', network: 'web', host: 'h1', securityGroups: ['web'] },
      { name: 'ops1', network: 'web', host: 'h1', securityGroups: ['ops'] },
      { name: 'web2', network: 'web', host: 'h2', securityGroups: ['web'] },
      { name: 'db1', network: 'db', host: 'h3', securityGroups: ['db'] },
      { name: 'tool', network: 'db', host: 'h3', securityGroups: ['admin'] },
    ],
    floatingIps: [{ instance: 'web1' }],
  }) as Mutable<TopologyInput>;
}
