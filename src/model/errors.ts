// The error a model build throws: every problem found in the input at once, each with its path.
import { InvalidInputError } from '../errors.js';
import type { ModelProblem } from './types.js';

/**
 * A topology input is not valid. `problems` lists every problem found (not only the first), each with
 * the path of the offending value in the input (`['instances', 2, 'ip']`), so a topology file loader
 * can print `FILE:LINE:COL: message` for each. Thrown before anything runs.
 */
export class ModelError extends InvalidInputError {
  /** @param problems every problem found, in input order (see `inInputOrder`) */
  constructor(readonly problems: readonly ModelProblem[]) {
    const first = problems[0];
    const at = (p: ModelProblem) => (p.path.length ? `${p.path.join('.')}: ` : '');
    super(
      problems.length === 1 && first
        ? `${at(first)}${first.message}`
        : `${problems.length} problems in the topology, the first: ${first ? at(first) + first.message : ''}`,
      first?.path.join('.'),
    );
  }
}
