// One agent pass on the fake kernel: a slice (deployment + overlay + FDB from other hosts' ports)
// converges in one pass and the next sends nothing; a VXLAN device or an FDB entry removed by hand
// comes back; a foreign VXLAN device's entries are left alone; a topology whose slice is gone is
// torn down. Plus the agent's log lines.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPass, streamLog } from '../../src/agent/index.js';
import { portParent } from '../../src/deploy/removal.js';
import type { Model } from '../../src/model/index.js';
import { buildModel, type Slice, sliceForHost } from '../../src/model/index.js';
import { topologyName } from '../../src/net/ownership.js';
import { ipAddress } from '../../src/net/types.js';
import { type PortEntry, publishedPorts, vxlanDevice } from '../../src/overlay/index.js';
import { FakeBridge } from '../fakes/bridge.js';
import { fakeExecutors } from '../fakes/executors.js';
import { threeHosts } from './slice-fixtures.js';

const VTEPS: Record<string, string> = { h1: '10.254.0.11', h2: '10.254.0.12', h3: '10.254.0.13' };

function staticModel(): Model {
  const input = threeHosts('agt');
  for (const i of input.instances ?? []) (i as { address?: string }).address = 'static';
  // dnsmasq needs a real namespace; the integration tests cover DHCP on many hosts.
  for (const n of input.networks ?? []) (n as { dhcp?: boolean }).dhcp = false;
  return buildModel(input);
}

/** A fake host: its kernel answers `ip -d -j link show type vxlan` from the fake's links. */
function host() {
  const box: { x?: ReturnType<typeof fakeExecutors> } = {};
  box.x = fakeExecutors({
    hostNamespace: 'h2host',
    stateDir: mkdtempSync(join(tmpdir(), 'tn-agent-unit-')),
    onRun: (argv) => {
      if (argv[0] === 'sysctl') return { stdout: '1\n1\n' };
      if (argv[0] === 'ip' && argv.includes('vxlan')) {
        const links = [...(box.x!.kernel.ns('h2host')?.links.values() ?? [])].filter(
          (l) => l.kind === 'vxlan',
        );
        return {
          stdout: JSON.stringify(
            links.map((l) => ({
              ifname: l.name,
              linkinfo: {
                info_kind: 'vxlan',
                info_data: {
                  id: l.vxlan!.vni,
                  local: l.vxlan!.local,
                  port: l.vxlan!.dstport ?? 8472,
                  learning: l.vxlan!.learning !== false,
                  proxy: l.vxlan!.proxy === true,
                },
              },
            })),
          ),
        };
      }
      return undefined;
    },
  });
  const x = box.x;
  return { x, bridge: new FakeBridge(x.kernel) };
}

function others(model: Model): PortEntry[] {
  let rev = 1;
  return ['h1', 'h3'].flatMap((h) =>
    publishedPorts(sliceForHost(model, h), ipAddress(VTEPS[h]!)).map((p) => ({
      ...p,
      host: h,
      modRevision: rev++,
    })),
  );
}

test('a slice converges in one pass (deployment, VXLAN devices, FDB of the other hosts); the next pass sends nothing', async () => {
  const model = staticModel();
  const slice: Slice = sliceForHost(model, 'h2');
  const { x, bridge } = host();
  const ctx = { host: 'h2', vtep: ipAddress(VTEPS.h2!), executors: x.executors, bridge };
  const slices = new Map([[slice.topology, slice]]);
  const first = await runPass(slices, new Set(), others(model), ctx);
  const t = first.topologies.get(slice.topology)!;
  assert.deepEqual(t.failures, []);
  assert.ok(t.changes > 0);
  assert.ok(first.fdbChanges > 0);
  assert.ok(t.published && t.published.length > 0);
  for (const n of slice.networks) {
    const dev = x.kernel.ns('h2host')!.link(vxlanDevice(n));
    assert.ok(dev, `no VXLAN device for ${n.name}`);
    assert.equal(dev.vxlan!.vni, n.vni);
    assert.equal(dev.vxlan!.proxy === true, !n.external);
  }
  const web = slice.networks.find((n) => n.name === 'web')!;
  const flood = bridge.entries('h2host', vxlanDevice(web)).filter((e) => e.mac === '00:00:00:00:00:00');
  assert.deepEqual(
    flood.map((e) => e.dst),
    ['10.254.0.11'],
  );
  const again = await runPass(slices, new Set(), others(model), ctx);
  assert.equal(again.topologies.get(slice.topology)!.changes, 0);
  assert.equal(again.fdbChanges, 0);
});

test('a VXLAN device or an FDB entry removed by hand comes back; a foreign device keeps its entries', async () => {
  const model = staticModel();
  const slice = sliceForHost(model, 'h2');
  const { x, bridge } = host();
  const ctx = { host: 'h2', vtep: ipAddress(VTEPS.h2!), executors: x.executors, bridge };
  const slices = new Map([[slice.topology, slice]]);
  await runPass(slices, new Set(), others(model), ctx);
  const web = slice.networks.find((n) => n.name === 'web')!;
  const dev = vxlanDevice(web);
  await x.kernel.apply('h2host' as never, [{ op: 'link.del', name: dev }]);
  await x.kernel.apply('h2host' as never, [
    { op: 'vxlan.add', name: 'vxforeign' as never, vxlan: { vni: 99, learning: false } },
  ]);
  await bridge.apply('h2host' as never, [
    {
      op: 'fdb.append',
      entry: { mac: '00:00:00:00:00:00', dev: 'vxforeign' as never, dst: '10.254.0.99' as never },
    },
  ]);
  const back = await runPass(slices, new Set(), others(model), ctx);
  assert.ok(back.topologies.get(slice.topology)!.changes > 0);
  assert.ok(x.kernel.ns('h2host')!.link(dev));
  assert.ok(bridge.entries('h2host', dev).some((e) => e.dst === '10.254.0.11'));
  assert.deepEqual(
    bridge.entries('h2host', 'vxforeign').map((e) => e.dst),
    ['10.254.0.99'],
  );
});

test('a topology whose slice is gone is torn down; one whose slice is unreadable is kept', async () => {
  const model = staticModel();
  const slice = sliceForHost(model, 'h2');
  const { x, bridge } = host();
  const ctx = { host: 'h2', vtep: ipAddress(VTEPS.h2!), executors: x.executors, bridge };
  await runPass(new Map([[slice.topology, slice]]), new Set(), others(model), ctx);
  const kept = await runPass(new Map(), new Set([slice.topology]), [], ctx);
  assert.deepEqual(kept.removed, []);
  assert.ok([...x.kernel.ns('h2host')!.links.values()].some((l) => l.kind === 'vxlan'));
  const gone = await runPass(new Map(), new Set(), [], ctx);
  assert.deepEqual(gone.removed, [slice.topology]);
  const left = [...x.kernel.ns('h2host')!.links.values()].filter((l) => l.name !== 'lo');
  assert.deepEqual(
    left.map((l) => l.name),
    [],
  );
  const again = await runPass(new Map(), new Set(), [], ctx);
  assert.deepEqual(again.removed, []);
});

test('a per-host DHCP port (dhcp_<network>_<host>) belongs to its network’s qdhcp namespace', () => {
  // Multi-host DHCP ports carry the host in their name; taken as part of the network's name, the
  // deployment found their namespace "gone" and deleted the port's host link every other pass.
  assert.equal(portParent('dhcp_web_h3', topologyName('multi'), 'p-' as never), 'p-qdhcp-multi.web');
  assert.equal(portParent('dhcp_web', topologyName('multi'), '' as never), 'qdhcp-multi.web');
  assert.equal(portParent('qr_r1_web', topologyName('multi'), '' as never), 'qrouter-multi.r1');
  assert.equal(portParent('vm_web1', topologyName('multi'), '' as never), 'vm-multi.web1');
});

test('the agent log: JSON lines with --json, text otherwise, debug only when asked', () => {
  const lines: string[] = [];
  const json = streamLog('h1', true, (l) => lines.push(l));
  json.write('info', 'pass', { changes: 3 });
  json.write('debug', 'hidden');
  const rec = JSON.parse(lines[0]!);
  assert.equal(rec.host, 'h1');
  assert.equal(rec.msg, 'pass');
  assert.equal(rec.changes, 3);
  assert.equal(lines.length, 1);
  const text = streamLog('h1', false, (l) => lines.push(l), true);
  text.write('debug', 'shown', { why: 'x' });
  assert.equal(lines[1], 'tenantnet-agent[h1] debug: shown why=x\n');
});
