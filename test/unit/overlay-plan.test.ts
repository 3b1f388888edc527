// The overlay's pure parts: VXLAN devices planned from a slice (create, converged, corrected in place,
// replaced when proxy flips, removed with their network), and the ports a host publishes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LinkInfo } from '../../src/ip/links.js';
import { buildModel, sliceForHost } from '../../src/model/index.js';
import type { Network } from '../../src/model/types.js';
import { ipAddress } from '../../src/net/types.js';
import {
  fdbDesired,
  OverlayBackendError,
  OverlayConflictError,
  type OverlayObserved,
  overlayDriver,
  parseVxlanDetails,
  planL2pop,
  planOverlay,
  publishedPorts,
  vxlanDevice,
} from '../../src/overlay/index.js';
import type { Change } from '../../src/reconcile/step.js';
import { threeHosts } from './slice-fixtures.js';

const model = buildModel(threeHosts());
const vtep = ipAddress('10.254.0.12');
const h2 = sliceForHost(model, 'h2');

function desired(networks: readonly Network[] = h2.networks) {
  return { topology: h2.topology, networks, host: { vtep } };
}

/** The links and VXLAN settings a plan's create changes leave (a tiny kernel for these ops). */
function applied(changes: readonly Change[], before: OverlayObserved = { links: [], vxlans: new Map() }) {
  const links = new Map((before.links ?? []).map((l) => [l.name, { ...l }]));
  const vxlans = new Map(before.vxlans);
  for (const c of changes) {
    for (const s of c.steps) {
      if (s.via !== 'ip') continue;
      for (const op of s.ops) {
        if (op.op === 'vxlan.add') {
          links.set(op.name, {
            name: op.name,
            index: links.size + 10,
            kind: 'vxlan',
            mtu: op.mtu ?? 1500,
            mac: '02:00:00:00:00:01',
            up: false,
            operState: 'DOWN',
            qdisc: 'noqueue',
            alias: null,
            group: op.group ?? 0,
            master: null,
            allmulticast: false,
            owner: null,
            addresses: [],
          } as LinkInfo);
          vxlans.set(op.name, {
            name: op.name,
            vni: op.vxlan.vni,
            local: op.vxlan.local ?? null,
            dstport: op.vxlan.dstport ?? 8472,
            learning: op.vxlan.learning !== false,
            proxy: op.vxlan.proxy === true,
          });
        } else if (op.op === 'link.set') {
          const l = links.get(op.name)!;
          const alias = op.set.alias ?? l.alias;
          links.set(op.name, {
            ...l,
            alias,
            owner: alias?.startsWith('tenantnet:') ? alias.slice(10) : null,
            up: op.set.up ?? l.up,
            mtu: op.set.mtu ?? l.mtu,
            master: op.set.master === undefined ? l.master : op.set.master,
          });
        } else if (op.op === 'link.del') {
          links.delete(op.name);
          vxlans.delete(op.name);
        }
      }
    }
  }
  return { links: [...links.values()], vxlans };
}

test('each network of a slice gets its VXLAN device; a re-plan plans nothing', () => {
  const first = planOverlay(desired(), { links: [], vxlans: new Map() });
  assert.deepEqual(
    first.map((c) => [c.action, c.resource.name]),
    h2.networks.map((n) => ['create', n.name]),
  );
  const web = h2.networks.find((n) => n.name === 'web')!;
  const add = first[h2.networks.indexOf(web)]!.steps[0]!;
  assert.equal(add.via, 'ip');
  assert.equal(add.phase, 'bridge');
  assert.equal(add.place, 'host');
  const vx = add.via === 'ip' ? add.ops[0] : undefined;
  assert.equal(vx?.op, 'vxlan.add');
  if (vx?.op === 'vxlan.add') {
    assert.deepEqual(vx.vxlan, { vni: web.vni, local: vtep, dstport: 4789, learning: false, proxy: true });
    assert.equal(vx.mtu, web.mtu);
  }
  const pub = h2.networks.find((n) => n.external)!;
  const pubAdd = first[h2.networks.indexOf(pub)]!.steps[0]!;
  assert.ok(pubAdd.via === 'ip' && pubAdd.ops[0]?.op === 'vxlan.add' && pubAdd.ops[0].vxlan.proxy === false);
  const after = applied(first);
  assert.deepEqual(planOverlay(desired(), after), []);
});

test('an MTU or a master changed by hand is corrected in place; proxy flipped replaces the device', () => {
  const after = applied(planOverlay(desired(), { links: [], vxlans: new Map() }));
  const web = h2.networks.find((n) => n.name === 'web')!;
  const dev = vxlanDevice(web);
  const drifted = {
    links: after.links.map((l) => (l.name === dev ? { ...l, mtu: 1500, master: null } : l)),
    vxlans: after.vxlans,
  };
  const fix = planOverlay(desired(), drifted);
  assert.deepEqual(
    fix.map((c) => c.action),
    ['update'],
  );
  const flipped = {
    links: after.links,
    vxlans: new Map([...after.vxlans].map(([k, v]) => [k, k === dev ? { ...v, proxy: false } : v])),
  };
  const replace = planOverlay(desired(), flipped);
  assert.deepEqual(
    replace.map((c) => c.action),
    ['delete', 'create'],
  );
  assert.match(replace[1]!.summary, /replace vx-\w+ \(proxy off → on\)/);
  assert.deepEqual(planOverlay(desired(), applied(replace, flipped)), []);
});

test('a network that leaves the slice loses its device; destroy removes them all; foreign devices stay', () => {
  const after = applied(planOverlay(desired(), { links: [], vxlans: new Map() }));
  const foreign: LinkInfo = {
    ...after.links[0]!,
    name: 'vx-foreign' as LinkInfo['name'],
    alias: null,
    owner: null,
  };
  const withForeign = { links: [...after.links, foreign], vxlans: after.vxlans };
  const fewer = planOverlay(desired(h2.networks.filter((n) => n.name !== 'db')), withForeign);
  assert.deepEqual(
    fewer.map((c) => [c.action, c.resource.name]),
    [['delete', 'db']],
  );
  const gone = planOverlay(null, withForeign, h2.topology);
  assert.equal(gone.length, h2.networks.length);
  assert.ok(gone.every((c) => c.action === 'delete'));
  assert.ok(!JSON.stringify(gone).includes('vx-foreign'));
  assert.deepEqual(planOverlay(null, { links: [foreign], vxlans: new Map() }, h2.topology), []);
});

test('a device of the needed name that is not the network’s is a conflict, before anything runs', () => {
  const web = h2.networks.find((n) => n.name === 'web')!;
  const after = applied(planOverlay(desired(), { links: [], vxlans: new Map() }));
  const taken = after.links.map((l) =>
    l.name === vxlanDevice(web) ? { ...l, alias: null, owner: null } : l,
  );
  assert.throws(() => planOverlay(desired(), { links: taken, vxlans: after.vxlans }), OverlayConflictError);
});

test('a host publishes its instances and router ports (floating IPs on the gateway port)', () => {
  const ports = publishedPorts(h2, vtep);
  const names = ports.map((p) => `${p.network}/${p.port}`);
  assert.deepEqual(names.sort(), ['db/qr_r1_db', 'public/qg_r1', 'web/qr_r1_web', 'web/vm_web2'].sort());
  const qg = ports.find((p) => p.port === 'qg_r1')!;
  const fip = model.routers[0]!.floatingIps[0]!.address;
  assert.ok(qg.record.ips.includes(fip));
  assert.equal(qg.record.vtep, vtep);
});

test('FDB desired: remote ports only, per local network; planned on owned devices only', () => {
  const h1 = sliceForHost(model, 'h1');
  const entries = [...publishedPorts(h2, vtep), ...publishedPorts(h1, ipAddress('10.254.0.11'))].map(
    (p, i) => ({ ...p, host: p.record.vtep.endsWith('.12') ? 'h2' : 'h1', modRevision: i + 1 }),
  );
  const want = fdbDesired([h1], entries, 'h1');
  const web = h1.networks.find((n) => n.name === 'web')!;
  assert.deepEqual(
    want.map((d) => d.dev),
    [vxlanDevice(web)],
  );
  assert.deepEqual(want[0]!.remotes.map((r) => r.vtep).sort(), ['10.254.0.12', '10.254.0.12']);
  const none = planL2pop(want, { owned: [], fdb: [], neighbours: [] });
  assert.deepEqual(none, { fdb: [], neighbours: [] });
  const plan = planL2pop(want, { owned: [vxlanDevice(web)], fdb: [], neighbours: [] });
  assert.equal(plan.fdb.filter((o) => o.op === 'fdb.append').length, 1); // one flood entry for h2
  assert.equal(plan.fdb.filter((o) => o.op === 'fdb.replace').length, 2);
  assert.equal(plan.neighbours.length, 2);
});

test('VXLAN settings parse from ip -d -j; ovs has no overlay driver yet', () => {
  const d = parseVxlanDetails([
    {
      ifname: 'vxlan-77',
      linkinfo: {
        info_kind: 'vxlan',
        info_data: { id: 77, local: '10.1.1.1', port: 4789, learning: false, proxy: true },
      },
    },
    { ifname: 'br0', linkinfo: { info_kind: 'bridge' } },
    'garbage',
  ]);
  assert.deepEqual(d, [
    { name: 'vxlan-77', vni: 77, local: '10.1.1.1', dstport: 4789, learning: false, proxy: true },
  ]);
  assert.throws(() => overlayDriver('ovs'), OverlayBackendError);
  assert.equal(overlayDriver('linuxbridge').kind, 'linuxbridge');
});
