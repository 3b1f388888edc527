// A small desired state built from the engine's kernel planners, shared by the reconcile tests, the
// kill -9 fixture and the bench: two namespaces, a veth pair between them with addresses, a route,
// an OVS internal port moved into the first with an address, a wrapped chain with rules that match on
// an ipset, all marked by topology `demo`. `planDemo` observes through an Observation and plans
// towards it (`present`) or towards nothing (`absent`).

import { routeSpec } from '../../src/ip/routes.js';
import { IpsetManager } from '../../src/iptables/ipset.js';
import { IptablesManager } from '../../src/iptables/manager.js';
import { type NetnsPrefix, namespaceFor } from '../../src/net/naming.js';
import type { ResourceName, TopologyName } from '../../src/net/ownership.js';
import type { NamespaceName } from '../../src/net/types.js';
import {
  chainSteps,
  changesOf,
  ipsetSteps,
  movedPortSteps,
  namespaceRemovalSteps,
  namespaceSteps,
  portRemovalSteps,
  removalOf,
  routeSteps,
  vethSteps,
} from '../../src/reconcile/kernel-plans.js';
import type { Observation } from '../../src/reconcile/observation.js';
import type { Change, ResourceRef } from '../../src/reconcile/step.js';

/** The names of one demo state. */
export interface DemoNames {
  readonly nsA: NamespaceName;
  readonly nsB: NamespaceName;
  /** The veth ends (in A, in B). */
  readonly vethA: string;
  readonly vethB: string;
  /** The OVS bridge and the internal port moved into A. */
  readonly bridge: string;
  readonly port: string;
  /** The link group of every marked link. */
  readonly group: number;
}

/** Names for a demo under a namespace prefix, with device names from `dev` and OVS names from `ovs`. */
export function demoNames(prefix: string, dev: (s: string) => string, ovs: (s: string) => string): DemoNames {
  const topo = 'demo' as TopologyName;
  return {
    nsA: namespaceFor('instance', topo, 'a' as ResourceName, prefix as NetnsPrefix),
    nsB: namespaceFor('instance', topo, 'b' as ResourceName, prefix as NetnsPrefix),
    vethA: dev('va'),
    vethB: dev('vb'),
    bridge: ovs('br'),
    port: ovs('pa'),
    group: 4242,
  };
}

const ref = (kind: ResourceRef['kind'], name: string): ResourceRef =>
  ({ topology: 'demo', kind, name }) as ResourceRef;
const A = ref('instance', 'a');
const B = ref('instance', 'b');
const LINK = ref('port', 'ab');
const PORT = ref('port', 'pa');
const BRIDGE = ref('network', 'br');
const mark = (r: ResourceRef) => `${r.topology}.${r.kind}.${r.name}`;

/** The rules of namespace A: a wrapped chain `web`, a jump to it, a rule matching the ipset. */
export function demoFirewall(n: DemoNames, obs: Observation): { rules: IptablesManager; sets: IpsetManager } {
  const x = obs.executors;
  const sets = new IpsetManager({ namespace: n.nsA, prefix: 'demo', executor: x.ipset });
  const rules = new IptablesManager({
    namespace: n.nsA,
    prefix: 'demo',
    families: [4],
    executor: x.iptables,
  });
  const f = rules.table('filter');
  f.addChain('web');
  f.addRule('INPUT', '-p tcp -m tcp --dport 80 -j $web');
  f.addRule('web', `-m set --match-set ${sets.setName('web', 4)} src -j ACCEPT`);
  f.addRule('web', '-s 10.77.1.0/24 -j ACCEPT');
  f.addRule('web', '-j DROP');
  return { rules, sets };
}

/** The members of the demo's ipset. */
export const DEMO_SET = ['10.77.0.0/24', '10.77.9.9'];

/**
 * Observes (through `obs`) and plans the demo towards `present` (everything above) or `absent`
 * (OVS port and bridge rows deleted, namespaces removed, which takes everything inside). [] when the
 * host already is so.
 */
export async function planDemo(
  obs: Observation,
  n: DemoNames,
  want: 'present' | 'absent',
): Promise<Change[]> {
  const x = obs.executors;
  const [a, b, host, ovs, routes, save, sets] = await Promise.all([
    obs.links(n.nsA),
    obs.links(n.nsB),
    obs.links('host'),
    obs.ovs({ ownerPrefix: 'demo.' }),
    obs.routes(n.nsA, 4),
    obs.iptablesSave(n.nsA, 4),
    obs.ipsets(n.nsA, 'demo'),
  ]);
  const bridge = ovs?.bridges.find((br) => br.name === n.bridge && br.owner !== null);
  if (want === 'absent') {
    return [
      ...removalOf(PORT, [portRemovalSteps([n.port], ovs)]),
      ...removalOf(
        BRIDGE,
        bridge
          ? [
              {
                created: false,
                removals: [],
                steps: [
                  {
                    via: 'ovs',
                    phase: 'bridge',
                    ops: [
                      { op: 'bridge.del', name: bridge.name, uuid: bridge.uuid, ports: bridge.portCount },
                    ],
                  },
                ],
              },
            ]
          : [],
      ),
      ...removalOf(A, [namespaceRemovalSteps(n.nsA, mark(A), a)]),
      ...removalOf(B, [namespaceRemovalSteps(n.nsB, mark(B), b)]),
    ];
  }
  const owner = (r: ResourceRef) => ({ owner: mark(r), group: n.group });
  const { rules, sets: ipsets } = demoFirewall(n, obs);
  const bridgeChange = bridge
    ? []
    : changesOf(
        BRIDGE,
        [
          {
            created: true,
            removals: [],
            steps: [
              {
                via: 'ovs',
                phase: 'bridge',
                ops: [
                  {
                    op: 'bridge.ensure',
                    name: n.bridge,
                    options: { datapathType: 'netdev', failMode: 'standalone' },
                    owner: mark(BRIDGE),
                    observed: null,
                  },
                ],
              },
            ],
          },
        ],
        { summary: `+ bridge ${n.bridge}` },
      );
  return [
    ...bridgeChange,
    ...changesOf(
      A,
      [
        namespaceSteps(n.nsA, mark(A), a),
        ipsetSteps(ipsets, n.nsA, [{ id: 'web', family: 4, members: DEMO_SET }], sets),
        chainSteps(rules, n.nsA, new Map([[4, save]])),
      ],
      { summary: `+ instance a: namespace ${n.nsA}, ipset, chain` },
    ),
    ...changesOf(B, [namespaceSteps(n.nsB, mark(B), b)], { summary: `+ instance b: namespace ${n.nsB}` }),
    ...changesOf(
      LINK,
      [
        vethSteps(
          {
            place: n.nsA,
            name: n.vethA,
            peerPlace: n.nsB,
            peer: n.vethB,
            owner: owner(LINK),
            addresses: { here: ['10.77.1.1/24'], there: ['10.77.1.2/24'] },
          },
          a,
          b,
          x.host,
        ),
        routeSteps(n.nsA, [routeSpec({ to: '10.77.50.0/24', via: '10.77.1.2' })], routes),
      ],
      { summary: `+ veth ${n.vethA} - ${n.vethB}, route`, after: [A, B] },
    ),
    ...changesOf(
      PORT,
      [
        movedPortSteps(
          {
            bridge: n.bridge,
            spec: { name: n.port, type: 'internal', externalIds: { 'iface-id': 'demo-pa' } },
            owner: mark(PORT),
            place: n.nsA,
            link: { owner: owner(PORT) },
            addresses: ['10.77.2.1/24'],
          },
          { ovs, host, inside: a },
        ),
      ],
      { summary: `+ port ${n.port} into ${n.nsA}`, after: [BRIDGE, A] },
    ),
  ];
}
