// A real host for the reconcile tests: a namespace sandbox (leak-checked), a private Open vSwitch
// whose vswitchd namespace stands for the host, a state directory, the real executors pointed at
// them, and the demo state's names and plans. Everything made is destroyed through the engine.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { run } from '../../src/exec/run.js';
import { type ApplyResult, applyChanges, assertApplied } from '../../src/reconcile/apply.js';
import type { Executors } from '../../src/reconcile/executors.js';
import { Observation } from '../../src/reconcile/observation.js';
import { type RealExecutors, realExecutors } from '../../src/reconcile/real-executors.js';
import type { Change } from '../../src/reconcile/step.js';
import { OvsSandbox } from './ovs-sandbox.js';
import { type DemoNames, demoNames, planDemo } from './reconcile-demo.js';
import { type Sandbox, sandbox } from './sandbox.js';

/** One simulated host with the demo's names. */
export interface ReconcileEnv {
  readonly sb: Sandbox;
  readonly ovs: OvsSandbox;
  readonly stateDir: string;
  readonly x: RealExecutors;
  readonly n: DemoNames;
  /** Plans the demo towards `present` or `absent` through `executors` (default the env's). */
  plan(want: 'present' | 'absent', executors?: Executors): Promise<Change[]>;
  /** Plans and applies (asserting every change is done). */
  converge(want: 'present' | 'absent', executors?: Executors): Promise<ApplyResult>;
  /** Runs a command inside a namespace. */
  sh(ns: string, argv: readonly string[]): Promise<string>;
}

/**
 * Starts a simulated host for one test: registered teardown destroys the demo through the engine
 * (so the leak checks of the namespace sandbox and the private OVS prove nothing is left), closes
 * the executors and stops the switch.
 */
export async function reconcileEnv(t: TestContext): Promise<ReconcileEnv> {
  // Hooks run in the order they were added: the destroy goes first, then the sandbox's leak check.
  let cleanup: () => Promise<void> = async () => {};
  t.after(() => cleanup());
  const sb = sandbox(t);
  const ovs = await OvsSandbox.start();
  const stateDir = await mkdtemp(join(tmpdir(), 'tn-reconcile-'));
  const x = realExecutors({
    hostNamespace: ovs.netns,
    netnsPrefix: `${sb.prefix}-`,
    stateDir,
    ovsdbSocket: ovs.socketPath,
    ovs: { owner: `test-${ovs.prefix}`, datapathType: 'netdev' },
  });
  const n = demoNames(
    `${sb.prefix}-`,
    (s) => sb.dev(s),
    (s) => ovs.name(s),
  );
  const env: ReconcileEnv = {
    sb,
    ovs,
    stateDir,
    x,
    n,
    plan: (want, executors = x) => planDemo(new Observation(executors), n, want),
    async converge(want, executors = x) {
      return assertApplied(await applyChanges(await env.plan(want, executors), executors));
    },
    async sh(ns, argv) {
      return (await run(argv, { namespace: ns, env: ovs.env })).stdout;
    },
  };
  cleanup = async () => {
    try {
      await env.converge('absent').catch(() => {});
      await x.close();
    } finally {
      await ovs.stopChecked().finally(() => rm(stateDir, { recursive: true, force: true }));
    }
  };
  return env;
}
