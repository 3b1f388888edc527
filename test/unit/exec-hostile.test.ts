import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { InvalidInputError, TenantnetError } from '../../src/errors.js';
import { ProcessManager } from '../../src/exec/process-manager.js';
import { run } from '../../src/exec/run.js';
import { NamespaceNotFoundError } from '../../src/net/namespace.js';
import { FakeProcessRunner } from '../fakes/processes.js';
import { type HostSnapshot, hostileString, hostSnapshot, snapshotDiff } from '../helpers/host-snapshot.js';

let parent = '';
let host: HostSnapshot;
before(async () => {
  parent = await mkdtemp(join(tmpdir(), 'tn-hostile-'));
  host = await hostSnapshot();
});
after(async () => {
  // Everything the properties wrote stayed inside `parent/pids`, and the host is as it was.
  assert.deepEqual(await readdir(parent), (await readdir(parent)).length ? ['pids'] : []);
  await rm(parent, { recursive: true, force: true });
  assert.deepEqual(snapshotDiff(host, await hostSnapshot()), []);
});

const typed = (e: unknown) => assert.ok(e instanceof TenantnetError, `untyped error: ${e}`);

test('run() passes a hostile argv word through verbatim, or refuses it with a typed error', async () => {
  await fc.assert(
    fc.asyncProperty(hostileString(), async (h) => {
      const r = await run(['printf', '%s', h], { root: false }).catch((e: unknown) => {
        assert.ok(e instanceof InvalidInputError && h.includes('\0'), `${JSON.stringify(h)}: ${e}`);
        return null;
      });
      if (r) assert.equal(r.stdout, h);
    }),
    { numRuns: 40 },
  );
});

test('run() with a hostile namespace fails typed and never runs in the host namespace', async () => {
  await fc.assert(
    fc.asyncProperty(hostileString(), async (h) => {
      const r = await run(['true'], { namespace: h, root: false }).then(
        () => 'ran',
        (e: unknown) => typed(e),
      );
      assert.notEqual(r, 'ran', `namespace ${JSON.stringify(h)} ran a command`);
    }),
    { numRuns: 40 },
  );
});

test('ProcessManager keeps every pidfile inside its directory whatever the uuid, service or namespace', async () => {
  const pidsDir = join(parent, 'pids');
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(hostileString(), fc.constant('net1')),
      fc.oneof(hostileString(), fc.constant('svc')),
      fc.oneof(hostileString(), fc.constant(null)),
      async (uuid, service, namespace) => {
        const runner = new FakeProcessRunner();
        let pm: ProcessManager;
        try {
          pm = new ProcessManager({
            uuid,
            service,
            namespace,
            pidsDir,
            command: () => ['svc', uuid],
            runner,
          });
        } catch (e) {
          return typed(e);
        }
        assert.equal(pm.pidfile, join(pidsDir, `${uuid}.pid.${service}`), 'verbatim');
        assert.equal(dirname(pm.pidfile), pidsDir);
        const started = await pm.enable().catch((e: unknown) => {
          assert.ok(e instanceof NamespaceNotFoundError, String(e));
          return null;
        });
        if (started === null) return;
        assert.equal(await pm.active(), true);
        assert.equal(await pm.disable(), true);
        assert.equal(existsSync(pm.pidfile), false, 'converged: the pidfile is gone again');
      },
    ),
    { numRuns: 150 },
  );
});

test('an explicit pidfile path is used verbatim when it is an absolute, normalised path, else refused', async () => {
  const pidsDir = join(parent, 'pids');
  await fc.assert(
    fc.asyncProperty(hostileString(), async (h) => {
      const runner = new FakeProcessRunner();
      let pm: ProcessManager;
      try {
        pm = new ProcessManager({
          uuid: 'net1',
          pidfile: `${pidsDir}/${h}`,
          command: () => ['x', 'net1'],
          runner,
        });
      } catch (e) {
        return typed(e);
      }
      assert.equal(pm.pidfile, `${pidsDir}/${h}`);
      assert.ok(pm.pidfile.startsWith(`${pidsDir}/`) && !pm.pidfile.split('/').includes('..'));
      await pm.enable();
      assert.equal(existsSync(pm.pidfile), true);
      await pm.disable();
    }),
    { numRuns: 100 },
  );
});
