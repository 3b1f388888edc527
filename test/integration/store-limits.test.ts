// A transaction over the etcd server's limits: refused before it is sent when tenantnet knows the
// limits, and, when it is told wrong, refused by etcd with the flag to raise named. Nothing is written
// either way. A private etcd with small limits: --max-txn-ops 16, --max-request-bytes 64 KiB.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { TopologyInput } from '../../src/model/index.js';
import { applyTopology, destroyTopology, Store, StoreLimitError } from '../../src/store/index.js';
import { etcdSandbox } from '../fakes/etcd.js';

const etcd = await etcdSandbox({ after }, { maxTxnOps: 16, maxRequestBytes: 64 * 1024 });

/** One network with an instance on each of `hosts` hosts: a first apply writes hosts + 3 keys. */
function spread(hosts: number, instances = 1): TopologyInput {
  return {
    name: 'wide',
    backend: 'linuxbridge',
    networks: [{ name: 'lan', cidr: '10.0.0.0/16' }],
    instances: Array.from({ length: hosts * instances }, (_, i) => ({
      name: `i${i}`,
      network: 'lan',
      host: `h${i % hosts}`,
    })),
  };
}

test('over --max-txn-ops: refused before sending when the limit is known, by etcd when it is not', async (t) => {
  const prefix = etcd.keyPrefix(t);
  const known = await Store.open({ url: etcd.url, prefix, limits: { maxTxnOps: 16 } });
  const wrong = await Store.open({ url: etcd.url, prefix, limits: { maxTxnOps: 1000 } });
  t.after(() => {
    known.close();
    wrong.close();
  });
  const before = await etcd.revision();
  // 20 hosts: spec, meta, 20 slices, 1 VNI = 23 puts.
  await assert.rejects(
    applyTopology(known, spread(20)),
    (e: unknown) =>
      e instanceof StoreLimitError &&
      e.flag === '--max-txn-ops' &&
      e.needed === 23 &&
      e.limit === 16 &&
      !e.retryable,
  );
  await assert.rejects(
    applyTopology(wrong, spread(20)),
    (e: unknown) =>
      e instanceof StoreLimitError && e.flag === '--max-txn-ops' && /raise --max-txn-ops/.test(e.message),
  );
  assert.equal(await etcd.revision(), before, 'nothing written');
  assert.deepEqual(await etcd.keys(prefix), []);
  // Within the limit it goes through: 12 hosts, 15 puts.
  const ok = await applyTopology(known, spread(12));
  assert.equal(ok.plan.changes, 15);
  await destroyTopology(known, 'wide');
});

test('over --max-request-bytes: refused before sending, or by etcd, naming the flag; nothing written', async (t) => {
  const prefix = etcd.keyPrefix(t);
  const known = await Store.open({
    url: etcd.url,
    prefix,
    limits: { maxTxnOps: 16, maxRequestBytes: 64 * 1024 },
  });
  const wrong = await Store.open({
    url: etcd.url,
    prefix,
    limits: { maxTxnOps: 16, maxRequestBytes: 8 << 20 },
  });
  t.after(() => {
    known.close();
    wrong.close();
  });
  // 2 hosts, 150 instances: a spec of about 100 KB.
  const big = spread(2, 75);
  const before = await etcd.revision();
  await assert.rejects(
    applyTopology(known, big),
    (e: unknown) => e instanceof StoreLimitError && e.flag === '--max-request-bytes' && e.needed! > 64 * 1024,
  );
  await assert.rejects(
    applyTopology(wrong, big),
    (e: unknown) =>
      e instanceof StoreLimitError &&
      e.flag === '--max-request-bytes' &&
      /raise --max-request-bytes/.test(e.message),
  );
  assert.equal(await etcd.revision(), before);
  assert.deepEqual(await etcd.keys(prefix), []);
});
