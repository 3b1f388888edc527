import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { waitFor } from '../../src/exec/proc.js';
import { run } from '../../src/exec/run.js';
import { ipBatch } from '../../src/ip/executor.js';
import * as ip from '../../src/ip/index.js';
import * as net from '../../src/net/index.js';
import { oracle, spaces } from '../helpers/ip-oracle.js';
import { rootOnly } from '../helpers/root.js';
import { sandbox } from '../helpers/sandbox.js';

after(() => ip.closeIpBatches());

// `ip link show group N` prints `{}` for every link outside the group.
function names(links: Record<string, unknown>[]): string[] {
  return links
    .filter((l) => l.ifname !== undefined)
    .map((l) => String(l.ifname))
    .sort();
}

test(
  'a link group delete removes only tenantnet-marked members; a foreign member is never touched',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [ns] = await spaces(sb, 1);
    const owner = { owner: `own-${sb.prefix}`, group: 6160 };
    await ip.addVeth({ namespace: ns, name: sb.dev('o1'), peer: sb.dev('p1'), owner });
    await ip.addBridge({ namespace: ns, name: sb.dev('o2'), owner });
    // Someone else's bridge that joined the same group number (plain ip, no mark).
    const foreign = sb.dev('f1');
    await run(['ip', '-n', ns!, 'link', 'add', foreign, 'group', '6160', 'type', 'bridge']);
    assert.equal(await ip.deleteLinkGroup({ namespace: ns, group: 6160 }), true);
    assert.deepEqual(names(await oracle(ns, 'link', 'show')), ['lo', foreign].sort());
    assert.equal(await ip.deleteLinkGroup({ namespace: ns, group: 6160 }), false, 'nothing of ours is left');
    assert.deepEqual(names(await oracle(ns, 'link', 'show', 'group', '6160')), [foreign]);
  },
);

test(
  'a namespace deleted behind tenantnet is let go of at once: its idle ip process ends and its devices go',
  rootOnly,
  async (t) => {
    const sb = sandbox(t);
    const [a, b] = await spaces(sb, 2);
    const [va, vb] = [sb.dev('a'), sb.dev('b')];
    await ip.addVeth({ namespace: a, name: va, peer: vb, peerNamespace: b, up: true });
    const pid = ipBatch(a as net.NamespaceName).pid;
    assert.ok(pid !== null, 'the namespace has its ip process');
    await run(['ip', 'netns', 'del', a!]);
    // Without the release, the idle `ip -n A` keeps namespace A alive, so B's end of the veth stays.
    const released = await waitFor(
      async () => (await run(['ps', '-p', String(pid)], { check: false })).exitCode !== 0,
      5000,
    );
    assert.ok(released, `ip process ${pid} still runs in the deleted namespace`);
    const gone = await waitFor(async () => !names(await oracle(b, 'link', 'show')).includes(vb), 10_000, 50);
    assert.ok(gone, "the deleted namespace's veth (and its peer) went with it");
    await assert.rejects(ip.listLinks({ namespace: a }), net.NamespaceNotFoundError);
  },
);
