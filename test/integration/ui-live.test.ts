// `tenantnet graph` and `tenantnet ui` on a real host: examples/linuxbridge.yaml applied on a sandbox
// namespace standing for the host. graph draws what status observes (a namespace deleted by hand is
// drawn missing, verify's results are marks on the check arrows); the live page, in headless Chromium
// (Debian's package, driven by playwright-core), draws the routers, networks and instances, marks a
// namespace deleted by hand missing within 2 s without a reload, and colours the checks when verify
// is pressed. A screenshot goes to test/output/ui-live.png.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { rootOnly } from '../helpers/root.js';
import { type Sandbox, sandbox } from '../helpers/sandbox.js';
import { type CliHost, cliHost } from './cli-helpers.js';
import { startUi } from './ui-helpers.js';

const OUTPUT = join(import.meta.dirname, '..', 'output');
const CHROMIUM = '/usr/bin/chromium';

interface GraphDoc {
  observed: boolean;
  nodes: {
    id: string;
    kind: string;
    name: string;
    health?: { healthy: boolean; state: string; problems: string[] };
  }[];
  edges: { kind: string; result?: string; attrs: { index?: number } }[];
}

/** The linuxbridge example applied on a sandbox host namespace. */
async function appliedHost(sb: Sandbox) {
  const hostNs = await sb.namespace('host');
  const host = cliHost(sb, { hostNs });
  const name = sb.prefix;
  const file = host.topologyFile('linuxbridge.yaml', name);
  const applied = await host.cli(['apply', file]);
  assert.equal(applied.exitCode, 0, applied.stderr);
  sb.defer(() => host.cli(['destroy', file]));
  return { host, name, file, ns: (kind: string, n: string) => `${sb.prefix}-${kind}-${name}.${n}` };
}

async function graphJson(host: CliHost, file: string): Promise<GraphDoc> {
  const r = await host.cli(['graph', file, '--format', 'json']);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.json<GraphDoc>();
}

test(
  'graph draws what status observes: healthy after apply, a deleted namespace missing, verify results on the arrows',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const { host, name, file, ns } = await appliedHost(sb);

    const first = await graphJson(host, file);
    assert.equal(first.observed, true);
    for (const n of first.nodes) assert.equal(n.health?.healthy, true, `${n.id}: ${n.health?.problems}`);
    const planOnly = await host.cli(['graph', file, '--format', 'json', '--plan-only']);
    assert.equal(planOnly.json<GraphDoc>().observed, false);

    await run(['ip', 'netns', 'del', ns('vm', 'store1')]);
    const broken = await graphJson(host, file);
    const store1 = broken.nodes.find((n) => n.id === `${name}.instance.store1`);
    assert.equal(store1?.health?.state, 'missing');
    assert.ok(store1?.health?.problems.some((p) => p.includes(ns('vm', 'store1'))));
    const svg = await host.cli(['graph', file]);
    // Graphviz writes the class's hyphens as entities.
    assert.match(svg.stdout, /class="node tn&#45;instance tn&#45;missing"/);

    const v = await host.cli(['verify', file, '--json']);
    assert.equal(v.exitCode, 1, 'checks from and to store1 fail');
    const marked = await graphJson(host, file);
    const checks = marked.edges.filter((e) => e.kind === 'check');
    assert.equal(checks.length, 6);
    assert.ok(
      checks.every((e) => e.result !== undefined),
      'every check has its result',
    );
    assert.equal(checks.find((e) => e.attrs.index === 0)?.result, 'fail', 'store1 -> app1 tcp 8080');
    assert.equal(checks.find((e) => e.attrs.index === 4)?.result, 'pass', 'app1 -> outside tcp 80');
  },
);

test('the live page: drawn in a real browser, a namespace deleted by hand marked missing within 2 s, verify colours the checks', {
  ...rootOnly,
  ...(existsSync(CHROMIUM) || rootOnly.skip
    ? {}
    : { skip: `no Chromium at ${CHROMIUM}: apt-get install chromium (scripts/setup.sh does)` }),
}, async (t) => {
  const sb = sandbox(t);
  const { host, name, file, ns } = await appliedHost(sb);
  const { url, child } = await startUi(host, file, sb);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Playwright gives the browser a fresh profile (--user-data-dir) of its own; the rest keeps a
    // closed machine's Chromium from trying the network in the background.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);

  const node = (kind: string, text: string) => page.locator(`#picture g.node.tn-${kind}`, { hasText: text });
  await node('router', 'gw').waitFor({ timeout: 10_000 });
  for (const [kind, text] of [
    ['router', 'gw'],
    ['network', 'app'],
    ['network', 'data'],
    ['external-network', 'ext'],
    ['instance', 'app1'],
    ['instance', 'store1'],
    ['instance', 'outside'],
  ] as const) {
    assert.equal(await node(kind, text).count(), 1, `${kind} ${text} is drawn`);
  }
  assert.equal(await page.locator('#picture g.node.tn-healthy').count(), 7, 'every box healthy');
  assert.match((await page.textContent('#state')) ?? '', /^live: as this host has it/);

  // Clicking a box shows its details: kernel names from status, its security group's rules.
  await node('instance', 'app1').click();
  await page.locator('#details-body h2', { hasText: 'instance app1' }).waitFor({ timeout: 5000 });
  const details = (await page.textContent('#details-body')) ?? '';
  assert.ok(details.includes(`namespace ${ns('vm', 'app1')}`), details);
  assert.ok(details.includes('ingress tcp port 8000-8100 from anywhere (IPv4)'), details);
  await node('network', 'app').click();
  await page.locator('#details-body h2', { hasText: 'network app' }).waitFor({ timeout: 5000 });
  assert.match((await page.textContent('#details-body')) ?? '', /dnsmasq pid \d+/);

  // A namespace deleted by hand: the page marks it missing within 2 s, without a reload.
  await page.evaluate(() => {
    (globalThis as Record<string, unknown>).tnNotReloaded = true;
  });
  const t0 = Date.now();
  await run(['ip', 'netns', 'del', ns('vm', 'store1')]);
  await page
    .locator('#picture g.node.tn-instance.tn-missing', { hasText: 'store1' })
    .waitFor({ timeout: 2000 });
  const ms = Date.now() - t0;
  t.diagnostic(`namespace deleted -> page marked it missing: ${ms} ms`);
  assert.ok(ms < 2000, `${ms} ms`);
  assert.equal(
    await page.evaluate(() => (globalThis as Record<string, unknown>).tnNotReloaded),
    true,
    'the page was not reloaded',
  );

  // verify: the checks run and are coloured as they finish.
  assert.equal((await page.locator('#picture g.edge.tn-check.tn-unverified').count()) > 0, true);
  await page.click('#verify');
  await page.locator('#state', { hasText: /verify: \d+ passed, \d+ failed/ }).waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('#picture g.edge.tn-check.tn-unverified').count(), 0, 'every check marked');
  assert.ok((await page.locator('#picture g.edge.tn-check.tn-pass').count()) > 0, 'passes drawn');
  assert.ok((await page.locator('#picture g.edge.tn-check.tn-fail').count()) > 0, "store1's checks fail");
  // store1 is gone: its three checks and the router's ping to it fail; the other two pass.
  assert.match((await page.textContent('#state')) ?? '', /verify: 2 passed, 4 failed/);

  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: join(OUTPUT, 'ui-live.png'), fullPage: true });
  assert.deepEqual([...errors], [], 'no error in the page (no request it makes fails)');

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, 'ui stops cleanly on SIGTERM');
  const after = await host.cli(['graph', file, '--format', 'json']);
  const fails = after.json<GraphDoc>().edges.filter((e) => e.result === 'fail').length;
  assert.equal(fails, 4, `the page's verify is kept for graph (${name})`);
});
