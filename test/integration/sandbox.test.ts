import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../src/exec/run.js';
import { rootOnly } from '../helpers/root.js';
import { Sandbox, sandbox } from '../helpers/sandbox.js';

test('a sandbox veth pair between two namespaces carries a ping', rootOnly, async (t) => {
  const sb = sandbox(t);
  const [a, b] = await sb.namespaces(2);
  await sb.link(a!, '10.250.9.1/24', b!, '10.250.9.2/24');
  assert.equal(await sb.ping(a!, '10.250.9.2'), true);
  assert.equal(await sb.ping(a!, '10.250.9.3'), false);
});

test(
  'the leak check catches a namespace, a link and a process planted behind its back',
  rootOnly,
  async () => {
    const sb = new Sandbox();
    const ns = await sb.namespace('kept');
    // Planted without the sandbox knowing: a namespace, a root-namespace link, a process in its namespace.
    await run(['ip', 'netns', 'add', sb.ns('planted')]);
    await run(['ip', 'link', 'add', sb.dev('x'), 'type', 'veth', 'peer', 'name', sb.dev('y')]);
    const sleeper = await run(['sh', '-c', 'sleep 60 >/dev/null 2>&1 & echo $!'], { namespace: ns });
    const early = await sb.teardown();
    const late = await sb.findLeaks();
    await sb.forceClean(late);
    const kinds = [...early, ...late].map((l) => `${l.kind}:${l.what.split(' ')[0]}`);
    assert.ok(kinds.includes(`namespace:${sb.ns('planted')}`), kinds.join(', '));
    assert.ok(kinds.includes(`link:${sb.dev('x')}`), kinds.join(', '));
    assert.ok(
      early.some((l) => l.kind === 'process' && l.what.includes(sleeper.stdout.trim())),
      kinds.join(', '),
    );
    assert.deepEqual(await sb.findLeaks(), [], 'forceClean removed every planted leak');
  },
);
