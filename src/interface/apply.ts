// The imperative verbs' one way to the kernel: the reconcile engine, with a failed change rethrown.
import type { Executors } from '../reconcile/executors.js';
import type { Change } from '../reconcile/step.js';

/**
 * Applies changes through the reconcile engine; resolves with the state-changing operations sent.
 *
 * @throws the first failed change's error
 */
export async function applyOrThrow(_changes: readonly Change[], _executors: Executors): Promise<number> {
  throw new Error('applyOrThrow: waiting for the reconcile engine (h/engine)');
}
