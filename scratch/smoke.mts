import { Fabric } from '../test/fakes/fabric.ts';
const t0 = Date.now();
const f = await Fabric.start({ hosts: 3, resyncInterval: 5 });
console.log('fabric up', Date.now() - t0);
try {
  const a = await f.cli(['--json', 'apply', '/tmp/mh/two.yaml', '--wait=30']);
  console.log('apply', a.exitCode, a.stdout, a.stderr.slice(-2000), Date.now() - t0);
  const ip = (await f.exec(f.instanceNs('h3', 'mh2', 'b3'), ['ip', '-br', 'addr'])).stdout;
  console.log(ip);
  const addr = /10\.10\.1\.\d+/.exec(ip)![0];
  const p = await f.exec(f.instanceNs('h1', 'mh2', 'b1'), ['ping', '-c', '2', '-W', '1', addr]);
  console.log('ping', p.exitCode, p.stdout);
  console.log((await f.exec(f.host('h1').netns, ['bridge', 'fdb', 'show'])).stdout);
  console.log((await f.exec(f.host('h1').netns, ['ip', 'neigh'])).stdout);
  const s = await f.cli(['status']);
  console.log('status', s.exitCode, s.stdout, s.stderr);
  const d = await f.cli(['destroy', '/tmp/mh/two.yaml']);
  console.log('destroy', d.exitCode, d.stdout, d.stderr);
  await new Promise((r) => setTimeout(r, 3000));
  console.log((await f.exec(f.host('h1').netns, ['ip', '-br', 'link'])).stdout);
} finally {
  console.log(await f.agentLog('h1', 15));
  console.log('leaks', await f.stop());
}
