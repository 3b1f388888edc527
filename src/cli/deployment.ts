// What the topology verbs share: the executors the global options describe (host namespace, netns
// prefix, state directory, OVSDB socket), a topology file loaded into a model (sticky with the model
// recorded by the last apply), and the engine's progress on stderr.
import { type DeploymentResult, firstFailure, readRecordedModel } from '../deploy/index.js';
import { TenantnetError } from '../errors.js';
import type { Model } from '../model/index.js';
import { topologyName } from '../net/index.js';
import { type ApplyEvent, type RealExecutors, realExecutors } from '../reconcile/index.js';
import { buildTopology, loadTopology, type ResolvedCheck } from '../topology/index.js';
import type { GlobalOptions } from './command.js';
import type { Output } from './output.js';

/** The real executors of the host the global options describe. Close them when done. */
export function executorsFor(g: GlobalOptions): RealExecutors {
  return realExecutors({
    hostNamespace: g.hostNetns,
    netnsPrefix: g.netnsPrefix,
    stateDir: g.stateDir,
    ovsdbSocket: g.ovsdb,
  });
}

/** Runs `fn` with the host's executors, closing them (OVSDB connection, ip coprocesses) afterwards. */
export async function withExecutors<T>(g: GlobalOptions, fn: (x: RealExecutors) => Promise<T>): Promise<T> {
  const x = executorsFor(g);
  try {
    return await fn(x);
  } finally {
    await x.close();
  }
}

/** A topology file, loaded and built. */
export interface LoadedModel {
  readonly file: string;
  readonly model: Model;
  readonly checks: readonly ResolvedCheck[];
  /** The model recorded by the last apply (null: never applied here). */
  readonly previous: Model | null;
}

/**
 * Loads a topology file and builds its model, keeping the addresses, MACs and VNIs the last apply
 * recorded. Reads nothing of the host but the state directory.
 *
 * @throws {TopologyError} every problem as `FILE:LINE:COL: message`
 */
export async function loadModel(file: string, x: RealExecutors): Promise<LoadedModel> {
  const loaded = await loadTopology(file);
  const previous = await readRecordedModel(x.files, x.host.stateDir, topologyName(loaded.input.name));
  const built = buildTopology(loaded, previous ? { previous } : {});
  return { file, model: built.model, checks: built.checks, previous };
}

/** The engine's events as progress lines on stderr (a failed change as a warning). */
export function progressTo(out: Output): (e: ApplyEvent) => void {
  return (e) => {
    if (e.type === 'phase-start')
      out.progress(`${e.pass === 'delete' ? 'removing' : 'applying'}: ${e.phase}`);
    else if (e.type === 'change-start') out.progress(e.change.summary);
    else if (e.type === 'change-failed') {
      const msg = e.error instanceof Error ? e.error.message : String(e.error);
      out.warn(`${e.change.resource.kind} ${e.change.resource.name} failed: ${msg}`);
    }
  };
}

/** An apply (or destroy) that did not finish: which resource failed and why. */
export class DeploymentFailedError extends TenantnetError {
  constructor(
    verb: string,
    readonly result: DeploymentResult,
  ) {
    super(
      `${verb} did not finish: ${firstFailure(result) ?? 'a change was skipped'} (apply again to repair)`,
    );
  }
}
