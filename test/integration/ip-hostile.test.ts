import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { TenantnetError } from '../../src/errors.js';
import { ipBatch } from '../../src/ip/executor.js';
import * as ip from '../../src/ip/index.js';
import * as net from '../../src/net/index.js';
import { hostileString, hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';
import { vethSpace } from '../helpers/ip-oracle.js';
import { rootOnly } from '../helpers/root.js';

after(() => ip.closeIpBatches());

test(
  'every string parameter of the ip verbs takes hostile input: a typed error or the value verbatim, and the host unchanged',
  rootOnly,
  async (t) => {
    const { sb, ns, x } = await vethSpace(t, '10.250.30.1/24');
    const via = { namespace: ns };
    const before = await hostSnapshot();
    const read = (name: string) => ip.getLink({ ...via, name });
    const cases: [string, (h: string) => Promise<void>][] = [
      [
        'namespace',
        async (h) => {
          await ip.listLinks({ namespace: h });
          assert.ok(
            net.namespaceExists(h),
            `namespace ${JSON.stringify(h)} was read though it does not exist`,
          );
        },
      ],
      [
        'createNamespace name',
        async (h) => {
          const name = sb.ns(h); // a valid result is a sandbox namespace, cleaned up here
          try {
            assert.equal(await ip.createNamespace(name), true);
            assert.ok(net.namespaceExists(name));
          } finally {
            await ip.deleteNamespace(name).catch(() => {});
          }
        },
      ],
      [
        'device name',
        async (h) => {
          await ip.addBridge({ ...via, name: h });
          assert.equal((await read(h)).name, h);
          assert.equal(await ip.deleteLink({ ...via, name: h }), true);
        },
      ],
      [
        'alias',
        async (h) => {
          await ip.setLink({ ...via, name: x, alias: h });
          assert.equal((await read(x)).alias, h);
        },
      ],
      [
        'owner',
        async (h) => {
          const name = sb.dev('own');
          await ip.addBridge({ ...via, name, owner: { owner: h, group: 3030 } });
          assert.equal((await read(name)).owner, h);
          assert.equal(await ip.deleteLinkGroup({ ...via, group: 3030, owner: h }), true);
        },
      ],
      [
        'mac',
        (h) =>
          ip
            .setLink({ ...via, name: x, mac: h })
            .then(async () => assert.equal((await read(x)).mac, h.toLowerCase())),
      ],
      [
        'cidr',
        async (h) => {
          await ip.addAddress({ ...via, dev: x, cidr: h });
          assert.equal(await ip.deleteAddress({ ...via, dev: x, cidr: h }), true);
        },
      ],
      ['route to', (h) => ip.addRoute({ ...via, to: h, dev: x, table: 130 })],
      ['route via', (h) => ip.addRoute({ ...via, to: '10.250.31.0/24', via: h, table: 130 })],
      ['route table', (h) => ip.addRoute({ ...via, to: '10.250.32.0/24', dev: x, table: h })],
      ['rule from', (h) => ip.addRule({ ...via, from: h, table: 130, priority: 3000 }).then(() => undefined)],
      ['neighbour address', (h) => ip.addNeighbour({ ...via, dev: x, address: h, mac: '02:00:00:00:30:01' })],
      ['neighbour mac', (h) => ip.addNeighbour({ ...via, dev: x, address: '10.250.30.9', mac: h })],
      ['sysctl key', (h) => ip.sysctl(ns, { [h]: 1 })],
      ['sysctl value', (h) => ip.sysctl(ns, { 'net.ipv4.conf.all.arp_ignore': h })],
      ['neighbour dev', (h) => ip.flushNeighbours({ ...via, dev: h })],
    ];
    const typed = (what: string, h: string) => (e: unknown) =>
      assert.ok(e instanceof TenantnetError, `${what} ${JSON.stringify(h)}: untyped error ${e}`);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...cases), hostileString(), async ([what, run], h) => {
        await run(h).catch(typed(what, h));
      }),
      { numRuns: 150 },
    );
    // The namespace's ip process survived all of it: nothing malformed reached it.
    assert.equal(ipBatch(ns as net.NamespaceName).generation, 1);
    assert.deepEqual(snapshotDiff(before, await hostSnapshot()), []);
  },
);
