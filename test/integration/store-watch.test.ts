// Reads, watches, leases and deadlines against a private etcd: paginated reads at one revision, the
// informer (sync, ordered events, a resync after a compacted watch), a lease kept alive, re-used,
// released and revoked, a status written only when it changes, and an etcd that does not answer
// failing within the deadline with a retryable error.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import { ipAddress } from '../../src/net/types.js';
import {
  type AgentRecord,
  encodeValue,
  type HostStatus,
  Informer,
  type InformerEvent,
  putAgent,
  putStatus,
  readAgents,
  readTopology,
  Store,
  type StoreEntry,
  StoreLease,
  StoreUnavailableError,
} from '../../src/store/index.js';
import { etcdSandbox } from '../fakes/etcd.js';

const etcd = await etcdSandbox({ after });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function storeFor(t: { after(fn: () => Promise<void> | void): unknown }, deadlineMs = 3000) {
  const prefix = etcd.keyPrefix(t as never);
  const store = await Store.open({ url: etcd.url, prefix, deadlineMs });
  t.after(() => store.close());
  return { store, prefix };
}

/** Puts keys with etcdctl (one transaction per call, the oracle writing). */
async function put(entries: Record<string, string>): Promise<void> {
  const lines = Object.entries(entries).map(([k, v]) => `put ${k} ${v}`);
  await etcd.etcdctl(['txn'], `\n${lines.join('\n')}\n\n\n`);
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('a paginated read is one revision across pages, whatever changes in between', async (t) => {
  const { store, prefix } = await storeFor(t);
  const k = (i: number) => `${prefix}p/${String(i).padStart(3, '0')}`;
  await put(Object.fromEntries(Array.from({ length: 35 }, (_, i) => [k(i), `v${i}`])));
  const r = await etcd.revision();
  // After r: 10 new keys, 5 deleted, 5 changed.
  await put(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [k(100 + i), 'new'])));
  for (let i = 0; i < 5; i++) await etcd.etcdctl(['del', k(i)]);
  await put(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [k(10 + i), 'changed'])));
  const old = await store.list(`${prefix}p/`, { revision: r, pageSize: 10 });
  assert.equal(old.revision, r);
  assert.equal(old.pages, 4);
  assert.deepEqual(
    old.entries.map((e) => [e.key, e.value.toString()]),
    Array.from({ length: 35 }, (_, i) => [k(i), `v${i}`]),
  );
  const now = await store.list(`${prefix}p/`, { pageSize: 7 });
  assert.equal(now.entries.length, 40);
  assert.equal(now.pages, 6);
  assert.ok(now.entries.filter((e) => e.value.toString() === 'changed').length === 5);
  // etcdctl agrees with the latest read.
  assert.deepEqual(
    now.entries.map((e) => e.key),
    await etcd.keys(`${prefix}p/`),
  );
  await etcd.etcdctl(['del', '--prefix', prefix]);
});

test('the informer: one sync, then every change in order, a transaction as one batch', async (t) => {
  const { store, prefix } = await storeFor(t);
  await put({ [`${prefix}w/a`]: '1', [`${prefix}w/b`]: '2' });
  const syncs: [Map<string, string>, number][] = [];
  const batches: InformerEvent[][] = [];
  const inf = new Informer(store, `${prefix}w/`, {
    sync: (state, revision) => {
      syncs.push([new Map([...state].map(([key, e]) => [key, e.value.toString()])), revision]);
    },
    events: (events) => {
      batches.push([...events]);
    },
  });
  t.after(() => inf.stop());
  await inf.start();
  assert.equal(syncs.length, 1);
  assert.deepEqual(Object.fromEntries(syncs[0]![0]), { [`${prefix}w/a`]: '1', [`${prefix}w/b`]: '2' });
  await etcd.etcdctl(['put', `${prefix}w/c`, '3']);
  await etcd.etcdctl(['del', `${prefix}w/a`]);
  await put({ [`${prefix}w/d`]: '4', [`${prefix}w/b`]: '22' });
  await etcd.etcdctl(['put', `${prefix}other`, 'not watched']);
  await until('three batches', () => batches.length >= 3);
  assert.deepEqual(
    batches.map((b) =>
      b.map((e) => `${e.type} ${e.key.slice(prefix.length)}${e.value ? `=${e.value}` : ''}`),
    ),
    [['put w/c=3'], ['delete w/a'], ['put w/d=4', 'put w/b=22']],
  );
  assert.deepEqual(
    [...inf.state.keys()].sort(),
    ['b', 'c', 'd'].map((x) => `${prefix}w/${x}`),
  );
  assert.equal(inf.revision, (await etcd.revision()) - 1);
  assert.equal(inf.resyncs, 0);
  await inf.stop();
  await etcd.etcdctl(['del', '--prefix', prefix]);
});

test('resync after a compacted watch: resuming from a revision compacted away lists afresh and converges', async (t) => {
  const { store, prefix } = await storeFor(t);
  await put({ [`${prefix}w/a`]: '1' });
  const old = await etcd.revision();
  // While "the agent was away": changes, then compaction of everything before them.
  await put({ [`${prefix}w/b`]: '2' });
  await etcd.etcdctl(['del', `${prefix}w/a`]);
  for (let i = 0; i < 5; i++) await etcd.etcdctl(['put', `${prefix}w/c`, String(i)]);
  await etcd.compact();
  const errors: Error[] = [];
  const syncs: Map<string, StoreEntry>[] = [];
  const inf = new Informer(store, `${prefix}w/`, {
    sync: (state) => {
      syncs.push(new Map(state));
    },
    error: (e) => errors.push(e),
  });
  t.after(() => inf.stop());
  inf.resume(old);
  await until('a resync', () => syncs.length === 1);
  assert.match(
    String(errors[0]?.message),
    /Watcher canceled/,
    'the client reports compaction as a canceled watcher',
  );
  assert.deepEqual(
    [...syncs[0]!].map(([k, e]) => [k.slice(prefix.length), e.value.toString()]),
    [
      ['w/b', '2'],
      ['w/c', '4'],
    ],
  );
  // The new watch works: later changes arrive.
  await etcd.etcdctl(['put', `${prefix}w/d`, 'x']);
  await until('the new watch', () => inf.state.has(`${prefix}w/d`));
  await inf.stop();
  await etcd.etcdctl(['del', '--prefix', prefix]);
});

test('a lease: kept alive past its TTL, re-used while alive, keys gone when released or revoked', async (t) => {
  const { store, prefix } = await storeFor(t);
  const agent: AgentRecord = {
    vtep: ipAddress('10.254.0.11'),
    underlayMtu: 1500,
    underlayFamily: 4,
    version: 'test',
    pid: process.pid,
    startedAt: new Date().toISOString(),
    state: 'ready',
  };
  const lease = await StoreLease.acquire(store, { ttlSeconds: 2 });
  assert.equal(lease.reused, false);
  lease.keepAlive();
  await assert.rejects(
    putAgent(store, lease, 'h1', { ...agent, underlayMtu: 20 }),
    (e: unknown) => e instanceof InvalidInputError && e.where === 'record' && /underlayMtu/.test(e.message),
  );
  await putAgent(store, lease, 'h1', agent);
  assert.deepEqual(Object.fromEntries(await readAgents(store)), { h1: agent });
  await sleep(3000);
  assert.ok(await etcd.get(`${prefix}hosts/h1/agent`), 'alive after 1.5 TTLs while kept alive');
  // A restart within the TTL takes the same lease: nothing changes for the peers.
  lease.release();
  const again = await StoreLease.acquire(store, { ttlSeconds: 2, reuse: lease.id });
  assert.deepEqual([again.id, again.reused], [lease.id, true]);
  again.keepAlive();
  await sleep(2500);
  assert.ok(await etcd.get(`${prefix}hosts/h1/agent`));
  // Released and not re-used: the key goes after the TTL.
  again.release();
  const released = Date.now();
  while ((await etcd.get(`${prefix}hosts/h1/agent`)) !== null) {
    assert.ok(Date.now() - released < 5000, 'gone within the TTL (plus etcd checking)');
    await sleep(100);
  }
  const gone = await StoreLease.acquire(store, { ttlSeconds: 2, reuse: lease.id });
  assert.equal(gone.reused, false, 'an expired id is not re-used');
  // Revoked: the keys go at once, and a put under it reports the lease lost.
  await putAgent(store, gone, 'h2', agent);
  await gone.revoke();
  assert.equal(await etcd.get(`${prefix}hosts/h2/agent`), null);
  await assert.rejects(putAgent(store, gone, 'h2', agent), /lease .* is gone/);
  assert.deepEqual(await etcd.keys(prefix), []);
});

test('a status is written only when it changes: the same status moves no revision', async (t) => {
  const { store, prefix } = await storeFor(t);
  const status: HostStatus = { observedGeneration: 1, at: 'x', changes: 3, failures: [], dhcp: [] };
  assert.equal(await putStatus(store, 'h1', 'web', status), true);
  const r = await etcd.revision();
  assert.equal(await putStatus(store, 'h1', 'web', { ...status }), false);
  assert.equal(await etcd.revision(), r);
  assert.equal(await putStatus(store, 'h1', 'web', { ...status, observedGeneration: 2 }), true);
  // A status that is not one is the caller's argument, refused before anything is sent.
  await assert.rejects(
    putStatus(store, 'h1', 'web', { ...status, failures: 'none' as never }),
    (e: unknown) =>
      e instanceof InvalidInputError && e.where === 'status' && /failures: not a list/.test(e.message),
  );
  assert.equal(
    await etcd.get(`${prefix}hosts/h1/status/web`),
    encodeValue({ ...status, observedGeneration: 2 }),
  );
  await etcd.etcdctl(['del', '--prefix', prefix]);
});

test('an etcd that does not answer fails within the deadline, retryable; the next call works at once', async (t) => {
  const { store } = await storeFor(t, 1000);
  // Nothing listens: refused at once.
  const nobody = await Store.open({ url: 'etcd://127.0.0.1:1', deadlineMs: 1000 });
  t.after(() => nobody.close());
  let start = Date.now();
  await assert.rejects(nobody.revision(), (e: unknown) => e instanceof StoreUnavailableError && e.retryable);
  assert.ok(Date.now() - start < 1500, `refused in ${Date.now() - start} ms`);
  // A stopped member (SIGSTOP): the socket is open, nothing answers; the deadline ends the wait.
  await store.revision();
  await etcd.freeze();
  try {
    for (const call of [() => store.revision(), () => readTopology(store, 'web'), () => store.list('/')]) {
      start = Date.now();
      await assert.rejects(
        call(),
        (e: unknown) => e instanceof StoreUnavailableError && /did not answer/.test(e.message),
      );
      const took = Date.now() - start;
      assert.ok(took >= 900 && took < 2000, `failed after ${took} ms, deadline 1000`);
    }
  } finally {
    await etcd.thaw();
  }
  // No circuit breaker in the way: the first call after etcd is back succeeds.
  start = Date.now();
  await store.revision();
  assert.ok(Date.now() - start < 1000);
});
