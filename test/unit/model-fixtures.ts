// Shared inputs and assertions for the model tests: the topology of the topology-file example, and
// helpers that build and inspect the problems of a ModelError.
import assert from 'node:assert/strict';
import { buildModel, ModelError, type ModelProblem, type TopologyInput } from '../../src/model/index.js';

/** A mutable deep copy of any input (tests edit it freely). */
export type Mutable<T> = T extends readonly (infer U)[]
  ? Mutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

/** The example topology of the topology-file format (issue #13), in camelCase. A fresh copy each call. */
export function demoTopology(): Mutable<TopologyInput> & Record<string, unknown> {
  return structuredClone({
    name: 'demo',
    backend: 'ovs',
    networks: [
      { name: 'web', cidr: '10.10.1.0/24', gateway: '10.10.1.1', dhcp: true, mtu: 1450, dns: ['10.10.1.2'] },
      { name: 'db', cidr: '10.10.2.0/24' },
      { name: 'public', cidr: '172.24.4.0/24', external: true },
    ],
    routers: [
      {
        name: 'r1',
        gateway: { network: 'public', ip: '172.24.4.10', snat: true },
        interfaces: ['web', 'db'],
        routes: [{ destination: '10.50.0.0/24', nexthop: '10.10.2.5' }],
      },
    ],
    securityGroups: [
      {
        name: 'web',
        rules: [
          { direction: 'ingress', protocol: 'tcp', port: 80 },
          { direction: 'ingress', protocol: 'icmp', remoteGroup: 'web' },
          { direction: 'ingress', protocol: 'tcp', port: 22, remoteIp: '10.0.0.0/8' },
          { direction: 'egress' },
        ],
      },
    ],
    instances: [
      {
        name: 'web1',
        network: 'web',
        ip: '10.10.1.10',
        mac: 'fa:16:3e:00:00:10',
        securityGroups: ['web'],
        portSecurity: true,
        address: 'dhcp',
      },
      { name: 'upstream', network: 'public', ip: '172.24.4.1' },
    ],
    floatingIps: [{ instance: 'web1', address: '172.24.4.20' }],
  }) as Mutable<TopologyInput> & Record<string, unknown>;
}

/** The problems buildModel finds in an input (fails the test when it builds, or throws anything else). */
export function problemsOf(input: unknown): readonly ModelProblem[] {
  try {
    buildModel(input as TopologyInput);
  } catch (e) {
    if (e instanceof ModelError) return e.problems;
    throw e;
  }
  assert.fail('expected a ModelError, but the model was built');
}

/**
 * Asserts the input has a problem at exactly `path` whose message mentions every fragment; returns it.
 */
export function expectProblem(
  input: unknown,
  path: readonly (string | number)[],
  ...fragments: string[]
): ModelProblem {
  const problems = problemsOf(input);
  const at = problems.filter((p) => JSON.stringify(p.path) === JSON.stringify(path));
  assert.ok(
    at.length > 0,
    `no problem at ${JSON.stringify(path)}; problems: ${JSON.stringify(problems, null, 1)}`,
  );
  const hit = at.find((p) => fragments.every((f) => p.message.includes(f)));
  assert.ok(
    hit,
    `problem at ${JSON.stringify(path)} should mention ${fragments.join(', ')}: ${JSON.stringify(at)}`,
  );
  return hit;
}

/** The demo topology's type: every field writable. */
export type Topo = ReturnType<typeof demoTopology>;
/** The demo topology with an edit applied. */
export function edit(fn: (t: Topo) => void): Topo {
  const t = demoTopology();
  fn(t);
  return t;
}
/** Network i of a topology, writable. */
export const net = (t: Topo, i: number) =>
  t.networks![i]! as Mutable<NonNullable<TopologyInput['networks']>[number]>;
/** Instance i, as a loose record (tests put wrong types in). */
export const inst = (t: Topo, i: number) => t.instances![i]! as Record<string, unknown>;
/** The first router. */
export const router = (t: Topo) =>
  t.routers![0]! as Record<string, unknown> & Mutable<NonNullable<TopologyInput['routers']>[number]>;
/** Rule k of the first security group, as a loose record. */
export const rule = (t: Topo, k: number) => t.securityGroups![0]!.rules![k]! as Record<string, unknown>;
