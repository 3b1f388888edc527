// The imperative verbs' one way to the kernel: the reconcile engine's applyChanges, with the first
// failed change's own typed error rethrown (a plug that fails says why, not "1 change failed").
import { applyChanges } from '../reconcile/apply.js';
import type { Executors } from '../reconcile/executors.js';
import type { Change } from '../reconcile/step.js';

/**
 * Applies changes through the reconcile engine (one apply, the host's apply lock held).
 *
 * @returns the state-changing operations sent
 * @throws the first failed change's error (the failing step's typed error); the engine's lock and
 *   dependency errors
 */
export async function applyOrThrow(changes: readonly Change[], executors: Executors): Promise<number> {
  const result = await applyChanges(changes, executors);
  if (!result.ok) {
    const failed = result.outcomes.find((o) => o.status === 'failed');
    if (failed?.status === 'failed') throw failed.error;
    const skipped = result.outcomes.find((o) => o.status === 'skipped');
    throw new Error(`apply: ${skipped?.status === 'skipped' ? skipped.reason : 'not every change was done'}`);
  }
  return result.changes;
}
