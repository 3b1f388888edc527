import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { applyChanges, assertApplied } from '../../src/reconcile/apply.js';
import { reconcileEnv } from '../helpers/reconcile-env.js';
import { rootOnly } from '../helpers/root.js';

const FIXTURE = new URL('../fixtures/reconcile-apply.ts', import.meta.url).pathname;
const RUNS = 12;

/** Starts the fixture; resolves once it is about to apply, with a way to kill it and its end. */
function startApply(args: readonly string[]): Promise<{ kill: () => void; exited: Promise<string> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('applying\n')) resolve({ kill: () => child.kill('SIGKILL'), exited });
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.once('exit', () => reject(new Error(`fixture ended before applying: ${out}`)));
  });
}

test('an apply killed with SIGKILL anywhere is finished by the next apply', rootOnly, async (t) => {
  const env = await reconcileEnv(t);
  const args = (want: string) => [
    env.ovs.netns,
    env.sb.prefix,
    env.ovs.prefix,
    env.ovs.socketPath,
    env.stateDir,
    want,
  ];
  // How long an apply from nothing takes here: the kills land anywhere within it (the other
  // process, with its own start-up, may take longer: some kills land after it ended, also fine).
  const t0 = performance.now();
  await env.converge('present');
  const full = performance.now() - t0;
  await env.converge('absent');
  const outcomes: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Even runs kill a build from nothing, odd runs a destroy of the full state.
    const want = i % 2 === 0 ? 'present' : 'absent';
    if (want === 'absent') await env.converge('present');
    await env.x.close(); // the other process changes devices behind this one's ip processes
    const p = await startApply(args(want));
    // Stratified: run i kills somewhere in the i-th slice of the apply, so the early slices are
    // certainly mid-apply and the late ones may land after it ended.
    const delay = (full * (i + Math.random())) / RUNS;
    await new Promise((r) => setTimeout(r, delay));
    p.kill();
    const said = await p.exited;
    outcomes.push(
      `${want} killed at ${delay.toFixed(0)} ms: ${said.includes('done') ? 'had finished' : 'mid-apply'}`,
    );
    const again = assertApplied(await applyChanges(await env.plan(want), env.x));
    assert.deepEqual(await env.plan(want), [], `run ${i}: converged after ${again.changes} operations`);
    if (want === 'present') {
      assert.match(await env.sh(env.n.nsA, ['ping', '-c1', '-W1', '10.77.1.2']), /1 received/);
      await env.converge('absent');
    }
  }
  t.diagnostic(outcomes.join('\n'));
  assert.ok(
    outcomes.some((o) => o.includes('mid-apply')),
    'at least one kill landed mid-apply',
  );
});
