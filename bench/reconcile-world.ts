// The reconcile bench's desired state: N namespaces on a simulated host, each with a veth pair to
// the host (2 addresses and a route inside) and an OVS internal port moved into it, planned from
// observation with the kernel planners; and the same state built and destroyed by hand (the floor).

import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { run } from '../src/exec/run.js';
import { routeSpec } from '../src/ip/routes.js';
import { type NetnsPrefix, namespaceFor } from '../src/net/naming.js';
import type { ResourceName, TopologyName } from '../src/net/ownership.js';
import type { NamespaceName } from '../src/net/types.js';
import { addBridgeOps, deleteBridgeOps } from '../src/ovs/bridge-ops.js';
import { byName, Transaction } from '../src/ovs/ovsdb/operations.js';
import type { Uuid } from '../src/ovs/ovsdb/values.js';
import { addPortOps } from '../src/ovs/ports.js';
import type { Executors } from '../src/reconcile/executors.js';
import {
  changesOf,
  movedPortSteps,
  namespaceRemovalSteps,
  namespaceSteps,
  type Planned,
  portRemovalSteps,
  removalOf,
  routeSteps,
  vethSteps,
} from '../src/reconcile/kernel-plans.js';
import { Observation } from '../src/reconcile/observation.js';
import { type RealExecutors, realExecutors } from '../src/reconcile/real-executors.js';
import type { Change, ResourceRef } from '../src/reconcile/step.js';
import type { OvsSandbox } from '../test/fakes/ovs-sandbox.js';
import { timed } from './harness.js';

export const PREFIX = `b${randomBytes(2).toString('hex')}`;
export const GROUP = 7001;
export const ADDRS = ['10.0.0.1/24', '10.0.1.1/24'];
export const EXTRA = '10.0.2.1/24';

/** One desired state of `n` namespaces under its own topology, names and bridge. */
export interface World {
  readonly tag: string;
  readonly n: number;
  readonly topology: TopologyName;
  readonly x: RealExecutors;
  readonly host: NamespaceName;
  readonly bridge: string;
  readonly ns: (i: number) => NamespaceName;
  readonly hostEnd: (i: number) => string;
  readonly port: (i: number) => string;
  /** Namespaces that get the third address. */
  readonly extra: Set<number>;
}

export const ref = (w: World, kind: ResourceRef['kind'], name: string) =>
  ({ topology: w.topology, kind, name }) as ResourceRef;
export const mark = (r: ResourceRef) => `${r.topology}.${r.kind}.${r.name}`;
export const inst = (w: World, i: number) => ref(w, 'instance', `i${i}`);

/** A world of `n` namespaces named after `tag`, on the private OVS's host, locked in `stateDir`. */
export async function world(tag: string, n: number, ovs: OvsSandbox, stateDir: string): Promise<World> {
  const topology = `bench-${tag}` as TopologyName;
  const prefix = `${PREFIX}-${tag}` as NetnsPrefix;
  return {
    tag,
    n,
    topology,
    host: ovs.netns as NamespaceName,
    x: realExecutors({
      hostNamespace: ovs.netns,
      netnsPrefix: prefix,
      stateDir,
      ovsdbSocket: ovs.socketPath,
      ovs: { owner: `${topology}.network.br`, datapathType: 'netdev' },
    }),
    bridge: `${PREFIX}${tag}br`,
    ns: (i) => namespaceFor('instance', topology, `i${i}` as ResourceName, prefix),
    hostEnd: (i) => `${PREFIX}${tag}h${i}`,
    port: (i) => `${PREFIX}${tag}p${i}`,
    extra: new Set(),
  };
}

/**
 * Plans namespaces `which` towards present or absent. Observation covers those namespaces only:
 * their links and routes, the host's devices of theirs, the switch's rows of their owners (all of
 * the topology's in one read when every namespace is planned).
 */
export async function plan(
  w: World,
  which: readonly number[],
  want: 'present' | 'absent',
  x: Executors = w.x,
): Promise<Change[]> {
  const obs = new Observation(x);
  const all = which.length === w.n;
  const ovs = await obs.ovs(all ? { ownerPrefix: `${w.topology}.` } : { owner: mark(inst(w, which[0]!)) });
  const hostAll = all && want === 'present' ? await obs.links('host') : null;
  const out: Change[] = [];
  const bridge = ovs?.bridges.find((b) => b.name === w.bridge);
  if (want === 'present' && !bridge) {
    out.push(
      ...changesOf(ref(w, 'network', 'br'), [
        {
          created: true,
          removals: [],
          steps: [
            {
              via: 'ovs',
              phase: 'bridge',
              ops: [
                { op: 'bridge.ensure', name: w.bridge, options: { datapathType: 'netdev' }, observed: null },
              ],
            },
          ],
        },
      ]),
    );
  }
  await Promise.all(
    which.map(async (i) => {
      const r = inst(w, i);
      const [inside, routes] = await Promise.all([
        obs.links(w.ns(i)),
        want === 'present' ? obs.routes(w.ns(i), 4) : null,
      ]);
      if (want === 'absent') {
        // The namespace takes its veth (and the host's end) with it; the OVS row goes first.
        out.push(
          ...removalOf(r, [
            portRemovalSteps([w.port(i)], ovs),
            namespaceRemovalSteps(w.ns(i), mark(r), inside),
          ]),
        );
        return;
      }
      // The host's devices of this namespace (its port only while it is not inside yet).
      const host =
        hostAll ??
        (await obs.devices('host', [
          w.hostEnd(i),
          ...(inside?.some((l) => l.name === w.port(i)) ? [] : [w.port(i)]),
        ]));
      const owner = { owner: mark(r), group: GROUP };
      const pieces: Planned[] = [
        namespaceSteps(w.ns(i), mark(r), inside),
        vethSteps(
          {
            place: 'host',
            name: w.hostEnd(i),
            peerPlace: w.ns(i),
            peer: 'eth0',
            owner,
            addresses: { there: [...ADDRS, ...(w.extra.has(i) ? [EXTRA] : [])] },
          },
          host,
          inside,
          x.host,
        ),
        routeSteps(w.ns(i), [routeSpec({ to: '10.9.0.0/16', via: '10.0.0.254' })], routes),
        movedPortSteps(
          {
            bridge: w.bridge,
            spec: { name: w.port(i), type: 'internal' },
            owner: mark(r),
            place: w.ns(i),
            link: { owner },
          },
          { ovs, host, inside },
        ),
      ];
      out.push(...changesOf(r, pieces, { after: [ref(w, 'network', 'br')] }));
    }),
  );
  if (want === 'absent' && bridge) {
    out.push({
      resource: ref(w, 'network', 'br'),
      action: 'delete',
      summary: `- bridge ${w.bridge}`,
      steps: [
        {
          via: 'ovs',
          phase: 'bridge',
          ops: [{ op: 'bridge.del', name: bridge.name, uuid: bridge.uuid, ports: bridge.portCount }],
        },
      ],
    });
  }
  return out;
}

/** 0..n-1. */
export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The same state written by hand: one OVSDB transaction, one ip batch per namespace (+ root and host). */
export async function floor(w: World, ovs: OvsSandbox): Promise<number> {
  const sw = (await w.x.ovs())!;
  const topo = w.topology;
  const promote = 'net.ipv4.conf.all.promote_secondaries=1';
  return timed(async () => {
    const tx = new Transaction();
    addBridgeOps(tx, w.bridge, 'netdev', {}, `${topo}.network.br`);
    for (const i of range(w.n))
      addPortOps(tx, byName(w.bridge), { name: w.port(i), type: 'internal' }, `${topo}.instance.i${i}`);
    await sw.commit(tx);
    const batch = (ns: string | null, lines: string[]) =>
      run(['ip', ...(ns ? ['-n', ns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n` });
    await batch(
      null,
      range(w.n).map((i) => `netns add ${w.ns(i)}`),
    );
    await batch(
      ovs.netns,
      range(w.n).flatMap((i) => [
        `link add name ${w.hostEnd(i)} group ${GROUP} type veth peer name eth0 group ${GROUP} netns ${w.ns(i)}`,
        `link set dev ${w.hostEnd(i)} alias tenantnet:${topo}.instance.i${i} up`,
        `link set dev ${w.port(i)} netns ${w.ns(i)}`,
      ]),
    );
    await Promise.all(
      range(w.n).map((i) =>
        batch(w.ns(i), [
          `link set dev lo alias tenantnet:${topo}.instance.i${i} up`,
          `netns exec ${w.ns(i)} sysctl -q -w ${promote}`,
          `link set dev eth0 alias tenantnet:${topo}.instance.i${i} up`,
          ...ADDRS.map((a) => `addr add ${a} dev eth0`),
          'route replace 10.9.0.0/16 via 10.0.0.254',
          `link set dev ${w.port(i)} alias tenantnet:${topo}.instance.i${i} group ${GROUP} up`,
        ]),
      ),
    );
  });
}

/**
 * The floor's destroy: the bridge's rows deleted in one OVSDB transaction (committed, vswitchd not
 * waited for), the namespaces in one `ip -batch`; until the kernel lists none of the devices.
 */
export async function floorDestroy(w: World): Promise<number> {
  const sw = (await w.x.ovs())!;
  const [row] = await sw.select('Bridge', byName(w.bridge), ['name']);
  const t0 = performance.now();
  const tx = new Transaction();
  deleteBridgeOps(tx, [row!._uuid as Uuid]);
  const { wait } = await sw.commitDeferred(tx, { work: w.n });
  await run(['ip', '-batch', '-'], {
    input: `${range(w.n)
      .map((i) => `netns del ${w.ns(i)}`)
      .join('\n')}\n`,
  });
  const gone = await devicesGone(w, t0);
  await wait();
  return gone;
}

/** Waits until the kernel lists none of the world's namespaces or host veth ends; returns when (ms since `t0`). */
export async function devicesGone(w: World, t0 = performance.now()): Promise<number> {
  for (;;) {
    const names = new Set(await readdir('/run/netns').catch(() => [] as string[]));
    const links = (await run(['ip', '-n', w.host, '-o', 'link', 'show'])).stdout;
    if (!range(w.n).some((i) => names.has(w.ns(i))) && !links.includes(`${PREFIX}${w.tag}h`))
      return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2));
  }
}
