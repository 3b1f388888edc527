import { Etcd3 } from 'etcd3';
import { EtcdSandbox } from '/work/wt/store/test/fakes/etcd.ts';
const e = await EtcdSandbox.start({ maxTxnOps: 8 });
const c = new Etcd3({ hosts: e.endpoint, defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 3000 }) });
try {
  // compare mod on missing key
  const r = await c.if('/p/spec', 'Mod', '==', 0).then(c.put('/p/spec').value('a')).commit();
  console.log('missing mod==0:', r.succeeded, r.header.revision);
  const r2 = await c.if('/p/vni/1', 'Create', '==', 0).then(c.put('/p/vni/1').value('x')).else(c.get('/p/spec')).commit();
  console.log('create==0', r2.succeeded, JSON.stringify(r2.responses).slice(0,300));
  // too many ops
  try { const b = c.if('/p/spec','Mod','>',0); b.then(...Array.from({length: 9}, (_, i) => c.put(`/p/k${i}`).value('v'))); await b.commit(); } catch (err) { console.log('too many:', (err as Error).constructor.name, (err as Error).message); }
  // too big
  try { await c.put('/p/big').value('x'.repeat(2_000_000)); } catch (err) { console.log('too big:', (err as Error).constructor.name, (err as Error).message); }
  // watch compacted
  for (let i = 0; i < 5; i++) await c.put('/p/w').value(String(i));
  await e.compact();
  const w = c.watch().prefix('/p/').startRevision('2').watcher();
  await new Promise<void>((res) => { w.on('error', (err) => { console.log('watch error:', err.constructor.name, JSON.stringify(err.message)); res(); }); w.on('connected', (r)=>console.log('connected', r.compact_revision)); });
  await w.cancel().catch(()=>{});
  // frozen
  await e.freeze();
  const t0 = Date.now();
  try { await c.get('/p/spec'); } catch (err) { console.log('frozen:', (err as Error).constructor.name, (err as Error).message, Date.now() - t0, 'ms'); }
  await e.thaw();
  const t1 = Date.now();
  try { console.log('after thaw', await c.get('/p/spec'), Date.now()-t1); } catch (err) { console.log('after thaw err:', (err as Error).constructor.name, (err as Error).message, Date.now() - t1, 'ms'); }
} finally {
  await c.delete().prefix('/p/');
  c.close();
  await e.stop();
}
// unreachable
const u = new Etcd3({ hosts: 'http://127.0.0.1:1', defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 3000 }) });
const t2 = Date.now();
try { await u.get('x'); } catch (err) { console.log('unreachable:', (err as Error).constructor.name, (err as Error).message, Date.now() - t2, 'ms'); }
u.close();
