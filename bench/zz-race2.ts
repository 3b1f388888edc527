import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/exec/run.js';
import { LinuxBridgeInterfaceDriver } from '../src/interface/linuxbridge.js';
import { closeIpBatches } from '../src/ip/executor.js';
import { routerDesired } from '../src/l3/desired.js';
import { deleteRouter, processRouter } from '../src/l3/router.js';
import { buildModel } from '../src/model/build.js';
import { realExecutors } from '../src/reconcile/real-executors.js';
import { planScript, renderChanges } from '../src/reconcile/render.js';

const P = `b${randomBytes(2).toString('hex')}`;
const host = `${P}-host`;
await run(['ip', 'netns', 'add', host]);
const x = realExecutors({
  hostNamespace: host,
  netnsPrefix: `${P}-`,
  stateDir: await mkdtemp(join(tmpdir(), 'tnp-')),
});
const driver = new LinuxBridgeInterfaceDriver();
const m = buildModel({
  name: `${P}n`,
  backend: 'linuxbridge',
  networks: [
    { name: 'a', cidr: '10.1.0.0/16', dhcp: false },
    { name: 'ext', cidr: '172.24.0.0/16', dhcp: false, external: true },
  ],
  routers: [{ name: 'r1', gateway: { network: 'ext', ip: '172.24.0.2' }, interfaces: ['a'] }],
});
try {
  for (let i = 0; i < 6; i++) {
    const r = await processRouter(routerDesired(m, 'r1'), { executors: x, driver }).catch((e) => {
      console.log('BUILD FAIL', i, e.message);
      return null;
    });
    if (r === null) {
      console.log(
        (await run(['ip', '-n', host, '-o', 'link', 'show'])).stdout
          .split('\n')
          .map((l) => l.slice(0, 90))
          .join('\n'),
      );
      break;
    }
    await deleteRouter({ topology: `${P}n`, name: 'r1' }, { executors: x, driver });
    if (i % 2) await closeIpBatches();
  }
} finally {
  await deleteRouter({ topology: `${P}n`, name: 'r1' }, { executors: x, driver }).catch(() => {});
  await x.close();
  await run(['ip', 'netns', 'del', host]);
}
