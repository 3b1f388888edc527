// Shared inputs for the graph tests: the demo topology (examples/demo.yaml) built with its checks, a
// generated topology of 200 instances, and a fake overlay as `status` and `verify` will supply it.
import { join } from 'node:path';
import type { GraphOverlay } from '../../src/graph/index.js';
import { type BuiltTopology, buildTopology, loadTopology, parseTopology } from '../../src/topology/index.js';

const repo = join(import.meta.dirname, '..', '..');

/** examples/demo.yaml, built: its model and resolved checks. */
export async function demo(): Promise<BuiltTopology> {
  return buildTopology(await loadTopology(join(repo, 'examples', 'demo.yaml')));
}

/** Instances per network of {@link bigTopology}: 200 in all. */
export const BIG = { big: 150, mid: 45, small: 5 } as const;

/**
 * A topology of 200 instances (`big1`..`big150`, `mid1`..`mid45`, `small1`..`small5`) on three
 * networks behind one router, floating IPs for the first five of `big`, and a few checks.
 */
export function bigTopology(): BuiltTopology {
  const lines = [
    'name: scale',
    'networks:',
    '  - { name: big, cidr: 10.20.0.0/24 }',
    '  - { name: mid, cidr: 10.21.0.0/24 }',
    '  - { name: small, cidr: 10.22.0.0/24 }',
    '  - { name: public, cidr: 172.30.0.0/24, external: true, dhcp: false }',
    'routers:',
    '  - { name: r1, gateway: { network: public }, interfaces: [big, mid, small] }',
    'security_groups:',
    '  - { name: web, rules: [{ direction: ingress, protocol: tcp, port: 80 }] }',
    'instances:',
  ];
  for (const [net, n] of Object.entries(BIG)) {
    for (let i = 1; i <= n; i++) {
      lines.push(`  - { name: ${net}${i}, network: ${net}${i % 2 === 0 ? ', security_groups: [web]' : ''} }`);
    }
  }
  lines.push('floating_ips:');
  for (let i = 1; i <= 5; i++) lines.push(`  - { instance: big${i} }`);
  lines.push(
    'checks:',
    '  - { from: big1, to: big2 }',
    '  - { from: small1, to: big7, protocol: tcp, port: 80 }',
    '  - { from: small1, to: small2, expect: block }',
    '  - { from: router:r1, to: mid3 }',
  );
  return buildTopology(parseTopology({ text: `${lines.join('\n')}\n`, file: 'scale.yaml' }));
}

/**
 * What `status` and `verify` would say about the demo after things went wrong: the router is gone,
 * web's dnsmasq died, web1's floating IP and db's router port are missing, and check 1 (web1 to db1,
 * tcp 5432) failed while checks 0 and 4 met their expectation.
 */
export function brokenDemoOverlay(): GraphOverlay {
  return {
    resources: {
      'demo.router.r1': { state: 'missing' },
      'demo.network.web': { state: 'present' },
      'demo.network.db': { state: 'present' },
      'demo.instance.web1': { state: 'present' },
      'demo.instance.web2': { state: 'drifted', problems: ['address 10.10.1.94/24 missing on its port'] },
      'demo.floatingip.web1': { state: 'missing' },
      'demo.port.qr_r1_db': { state: 'missing' },
      'demo.port.vm_web1': { state: 'present' },
    },
    dhcp: { web: { pid: 4321, alive: false }, db: { pid: 99, alive: true } },
    checks: [
      { index: 0, result: 'pass' },
      { index: 1, result: 'fail', detail: 'expected pass, but: no answer within 1500 ms' },
      { index: 4, result: 'block' },
    ],
  };
}
