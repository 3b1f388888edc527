// The live page follows the host's own events on an OVS deployment (the demo, on a private Open
// vSwitch whose namespace stands for the host), read from its event stream as the page reads it:
// dnsmasq killed, an OVS port removed, a namespace deleted — each drawn within 2 s — and an apply
// in another terminal drawn healthy again within 2 s of its end. No reload, no polling of status.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { ovsSandbox } from '../helpers/ovs-sandbox.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';
import { applied, demoHost } from './cli-topology-helpers.js';
import { classOf, eventStream, startUi } from './ui-helpers.js';

test('ui: dnsmasq killed, an OVS port removed, a namespace deleted and an apply elsewhere each show within 2 s', {
  ...rootOnly,
  timeout: 240_000,
}, async (t) => {
  const sb = sandbox(t);
  const ovs = await ovsSandbox(t);
  const d = demoHost(sb, ovs);
  await applied(d);
  sb.defer(() => d.host.cli(['destroy', d.file]));
  const { url, child, stderr } = await startUi(d.host, d.file, sb);
  const events = eventStream(url);
  t.after(() => events.close());
  const id = (kind: string, n: string) => `${d.name}.${kind}.${n}`;
  const has = (kind: string, n: string, look: string) => (s: { svg: string }) =>
    classOf(s.svg, id(kind, n))?.split(' ').includes(`tn-${look}`) ?? false;

  const first = await events.until((s) => s.observed, 10_000);
  for (const [kind, n] of [
    ['network', 'web'],
    ['router', 'r1'],
    ['instance', 'web1'],
    ['instance', 'web2'],
  ] as const) {
    assert.ok(has(kind, n, 'healthy')(first), `${kind} ${n}: ${classOf(first.svg, id(kind, n))}`);
  }

  const within = async (what: string, ok: (s: { svg: string }) => boolean, act: () => Promise<unknown>) => {
    const t0 = Date.now();
    await act();
    await events.until(ok, 2000).catch((e: Error) => {
      throw new Error(`${what}: ${e.message}\n${stderr()}`);
    });
    t.diagnostic(`${what}: drawn after ${Date.now() - t0} ms`);
  };

  const pidfile = join(d.host.stateDir, 'dhcp', d.ns('qdhcp', 'web'), 'pid');
  const pid = Number((await readFile(pidfile, 'utf8')).trim());
  await within('dnsmasq killed', has('network', 'web', 'drifted'), async () => process.kill(pid, 'SIGKILL'));

  const port = (
    await d.vsctl([
      '--bare',
      '--columns=name',
      'find',
      'Port',
      `external_ids:tenantnet-owner=${d.name}.port.vm_web2`,
    ])
  ).stdout.trim();
  assert.match(port, /^qvo/);
  await within('OVS port removed', has('instance', 'web2', 'drifted'), () =>
    d.vsctl(['del-port', 'br-int', port]),
  );

  await within('namespace deleted', has('instance', 'db1', 'missing'), () =>
    run(['ip', 'netns', 'del', d.ns('vm', 'db1')]),
  );

  // An apply in another terminal: the page follows it, and is healthy within 2 s of its end.
  const repaired = await d.host.cli(['apply', d.file]);
  assert.equal(repaired.exitCode, 0, repaired.stderr);
  const t0 = Date.now();
  const healthy = await events.until(
    (s) =>
      [...s.svg.matchAll(/<g id="node\d+" class="node ([^"]*)">/g)].every((m) => m[1]!.includes('healthy')),
    2000,
  );
  t.diagnostic(`apply in another terminal: drawn healthy ${Date.now() - t0} ms after it ended`);
  assert.ok(has('network', 'web', 'healthy')(healthy));

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, stderr());
});
