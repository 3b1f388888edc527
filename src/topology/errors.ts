// The one error a topology file produces: every problem found, each as `FILE:LINE:COL: message`, the
// way compilers report. tenantnet's counterpart of Neutron's API faults, pointing into a file.
import { InvalidInputError } from '../errors.js';

/** A path into the topology file as written: keys and list indexes (`['instances', 2, 'ip']`). */
export type FilePath = readonly (string | number)[];

/** A position in a file, 1-based. */
export interface Location {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One problem of a topology file, located. */
export interface TopologyProblem extends Location {
  /** Where the value is in the file's own keys (snake_case); [] for the file as a whole. */
  readonly path: FilePath;
  /** One line a person can act on. */
  readonly message: string;
}

// Controls, DEL, C1, U+2028/9: any of them would break the one-line-per-problem format.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Text made safe for one line of a report: control characters become `\uXXXX`. Pure. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** `FILE:LINE:COL: message`. Pure. */
export function formatProblem(p: TopologyProblem): string {
  return `${oneLine(p.file)}:${p.line}:${p.col}: ${oneLine(p.message)}`;
}

/** Problems sorted by position (line, then column); ties keep their order. Pure. */
export function byPosition(problems: readonly TopologyProblem[]): TopologyProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * A topology file is not valid: it could not be read, is not YAML or JSON, does not have the
 * topology's shape, or describes a topology the model refuses. `problems` lists every problem
 * found, sorted by position; the message is their `FILE:LINE:COL: message` lines, one per problem.
 * Thrown before anything runs, so nothing on the host has changed.
 */
export class TopologyError extends InvalidInputError {
  /** Every problem, sorted by position. */
  readonly problems: readonly TopologyProblem[];

  /** @param problems at least one problem (sorted here by position) */
  constructor(problems: readonly TopologyProblem[]) {
    const sorted = byPosition(problems);
    const first = sorted[0];
    super(
      sorted.map(formatProblem).join('\n'),
      first ? `${oneLine(first.file)}:${first.line}:${first.col}` : undefined,
    );
    this.problems = sorted;
  }

  /** The report lines, `FILE:LINE:COL: message`, one per problem. */
  get lines(): string[] {
    return this.problems.map(formatProblem);
  }
}

/** A TopologyError with one problem at the start of the file (or at `line:col`). */
export function fileProblem(file: string, message: string, line = 1, col = 1): TopologyError {
  return new TopologyError([{ file, line, col, path: [], message }]);
}
