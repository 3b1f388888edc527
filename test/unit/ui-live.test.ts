// The live picture on fake executors, driven by hand instead of the host's events: the file alone
// before the first apply, as observed after it, a namespace deleted drawn missing; a burst of triggers
// is one observation, nothing is read without a trigger, an unchanged picture is not sent again;
// details of a box; a failed read keeps the last picture and says why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDeployment } from '../../src/deploy/index.js';
import { buildModel, type TopologyInput } from '../../src/model/index.js';
import type { NamespaceName } from '../../src/net/index.js';
import { type LiveEvent, LiveView, type PictureSource } from '../../src/ui/index.js';
import { fakeExecutors } from '../fakes/executors.js';

const INPUT: TopologyInput = {
  name: 'lv1',
  backend: 'linuxbridge',
  networks: [
    { name: 'a', cidr: '10.1.0.0/24', dhcp: false },
    { name: 'ext', cidr: '172.24.4.0/24', dhcp: false, external: true },
  ],
  routers: [{ name: 'r1', gateway: { network: 'ext', ip: '172.24.4.2' }, interfaces: ['a'] }],
  securityGroups: [{ name: 'web', rules: [{ direction: 'ingress', protocol: 'tcp', port: 80 }] }],
  instances: [{ name: 'vm1', network: 'a', ip: '10.1.0.10', address: 'static', securityGroups: ['web'] }],
};

const classes = (svg: string, title: string) =>
  new RegExp(`class="([^"]*)">\\n<title>${title.replace(/\./g, '\\.')}</title>`)
    .exec(svg)?.[1]
    ?.replace(/&#45;/g, '-');

async function setup(t: import('node:test').TestContext) {
  const x = fakeExecutors({
    hostNamespace: 'host',
    onRun: (argv) => (argv[0] === 'sysctl' ? { stdout: '1\n1\n' } : undefined),
  });
  const model = buildModel(INPUT);
  let previous: PictureSource['previous'] = null;
  let loads = 0;
  let failNext = false;
  const live = new LiveView({
    load: async () => {
      loads++;
      if (failNext) {
        failNext = false;
        throw new Error('the file went away');
      }
      return { model, checks: [], previous };
    },
    executors: x.executors,
    hostWatch: false,
    debounceMs: 20,
  });
  const events: LiveEvent[] = [];
  await live.start();
  live.subscribe((e) => events.push(e));
  t.after(() => live.close());
  return {
    x,
    model,
    live,
    events,
    loads: () => loads,
    failNext: () => {
      failNext = true;
    },
    applied: async () => {
      const r = await applyDeployment(model, x.executors);
      assert.ok(r.ok);
      previous = model;
    },
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the file alone before the first apply; after it, as observed; a namespace deleted is drawn missing', async (t) => {
  const s = await setup(t);
  const first = s.live.snapshot();
  assert.equal(first.observed, false);
  assert.match(first.svg, /^<svg /, 'no XML prolog: ready for a page');
  assert.match(first.svg, /lv1: the file \(plan only\)/);

  await s.applied();
  s.live.schedule();
  await settle(200);
  const seen = s.live.snapshot();
  assert.equal(seen.observed, true);
  assert.equal(seen.version, first.version + 1);
  assert.equal(classes(seen.svg, 'lv1.instance.vm1'), 'node tn-instance tn-healthy');
  assert.equal(classes(seen.svg, 'lv1.router.r1'), 'node tn-router tn-healthy');

  await s.x.kernel.apply(null, [{ op: 'netns.del', name: 'vm-lv1.vm1' as NamespaceName }]);
  s.live.schedule();
  await settle(200);
  const broken = s.live.snapshot();
  assert.equal(classes(broken.svg, 'lv1.instance.vm1'), 'node tn-instance tn-missing');
  const graphs = s.events.filter((e) => e.type === 'graph');
  assert.equal(graphs.length, 2, 'one picture per change, sent to listeners');
});

test('a burst of triggers is one observation; none without a trigger; an unchanged picture is not sent', async (t) => {
  const s = await setup(t);
  await s.applied();
  const before = s.loads();
  for (let i = 0; i < 50; i++) s.live.schedule();
  await settle(200);
  assert.equal(s.loads(), before + 1, '50 triggers within the debounce: one observation');
  const sent = s.events.length;
  await settle(300);
  assert.equal(s.loads(), before + 1, 'nothing is read without a trigger');
  s.live.schedule();
  await settle(200);
  assert.equal(s.loads(), before + 2);
  assert.equal(s.events.length, sent, 'the same picture again is not sent');
});

test('details of a box: kernel names from status, its security group rules; null for no such node', async (t) => {
  const s = await setup(t);
  await s.applied();
  s.live.schedule();
  await settle(200);
  const d = await s.live.details('lv1.instance.vm1');
  assert.ok(d);
  assert.equal(d.kind, 'instance');
  assert.equal((d.kernel as { namespace?: string }).namespace, 'vm-lv1.vm1');
  assert.deepEqual(d.securityGroups, [{ name: 'web', rules: ['ingress tcp port 80 from anywhere (IPv4)'] }]);
  assert.equal(d.health?.healthy, true);
  assert.equal(await s.live.details('lv1.instance.nobody'), null);
  assert.equal(await s.live.details('__proto__'), null);
});

test('a failed read keeps the last picture and says why; the next good read clears it', async (t) => {
  const s = await setup(t);
  const good = s.live.snapshot();
  s.failNext();
  s.live.schedule();
  await settle(200);
  const failed = s.live.snapshot();
  assert.equal(failed.error, 'the file went away');
  assert.equal(failed.svg, good.svg);
  s.live.schedule();
  await settle(200);
  assert.equal(s.live.snapshot().error, null);
});
