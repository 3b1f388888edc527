// The picture of a topology file as this host has it: the file's graph, with the deployment's status and
// the last verify results laid over it once the topology was applied here (plan only before that).
// What `tenantnet graph` draws and `tenantnet ui` serves. Horizon: the network topology panel's data.
import { type DeploymentStatus, deploymentStatus, verifyPath } from '../deploy/index.js';
import { buildGraph, type CheckStatus, type Graph, type GraphOverlay } from '../graph/index.js';
import type { Model } from '../model/index.js';
import type { Executors, FileExecutor } from '../reconcile/index.js';
import type { ResolvedCheck } from '../topology/index.js';
import { overlayFromStatus, type RecordedVerify, verifyResults } from './overlay.js';

/** A topology file loaded and built, with the model its last apply recorded here (null: never applied). */
export interface PictureSource {
  readonly model: Model;
  readonly checks: readonly ResolvedCheck[];
  readonly previous: Model | null;
}

/** The picture and what it was drawn from. */
export interface Picture {
  readonly graph: Graph;
  readonly model: Model;
  readonly checks: readonly ResolvedCheck[];
  /** The deployment's status (null: plan only). */
  readonly status: DeploymentStatus | null;
  /** The last verify results kept in the state directory (null: none, or plan only). */
  readonly verify: RecordedVerify | null;
}

/** Options of {@link pictureOf}. */
export interface PictureOptions {
  /** Draw the file alone: nothing of the host is read. */
  readonly planOnly?: boolean;
  /** The ovsdb-server socket (`--ovsdb`), for an OVS topology's status. */
  readonly ovsdbSocket?: string;
}

/**
 * The last verify report kept for `topology` (`<stateDir>/topologies/<topology>/verify.json`), or
 * null when there is none or it does not read as one (a damaged report draws no marks; not an error).
 */
export async function readVerify(
  files: FileExecutor,
  stateDir: string,
  topology: Model['topology'],
): Promise<RecordedVerify | null> {
  const text = await files.read(verifyPath(stateDir, topology));
  if (text === null) return null;
  try {
    const r = JSON.parse(text) as RecordedVerify | null;
    return r && typeof r === 'object' && Array.isArray(r.checks) ? r : null;
  } catch {
    return null;
  }
}

/** What was read of the host for a picture. */
export interface HostObservation {
  /** The deployment's status (null: the topology was never applied here, so none was read). */
  readonly status: DeploymentStatus | null;
  /** The last verify report kept in the state directory (null: none). */
  readonly verify: RecordedVerify | null;
}

/**
 * Reads what the picture of `source` lays over the file: its `deploymentStatus` (only once the
 * topology was applied here: before that every resource would merely be missing) and the last verify
 * report.
 *
 * @throws {OpenVswitchUnavailableError} for an OVS topology when no Open vSwitch answers
 */
export async function observeHost(
  source: PictureSource,
  executors: Executors,
  opts: Pick<PictureOptions, 'ovsdbSocket'> = {},
): Promise<HostObservation> {
  const status =
    source.previous === null
      ? null
      : await deploymentStatus(
          source.model,
          executors,
          opts.ovsdbSocket === undefined ? {} : { ovsdbSocket: opts.ovsdbSocket },
        );
  const verify = await readVerify(executors.files, executors.host.stateDir, source.model.topology);
  return { status, verify };
}

/**
 * The graph of `source` with `seen` laid over it: the status's overlay, and the check results given
 * (default: those of the kept verify report that still fit the file). Without a status only the check
 * results are drawn (none: the file alone). Pure.
 */
export function drawPicture(
  source: PictureSource,
  seen: HostObservation,
  netnsPrefix: string,
  results: readonly CheckStatus[] = verifyResults(seen.verify, source.checks),
): Graph {
  const { model, checks } = source;
  const overlay: GraphOverlay | undefined = seen.status
    ? { ...overlayFromStatus(model, seen.status, null, checks), checks: results }
    : results.length > 0
      ? { checks: results }
      : undefined;
  return buildGraph(model, { checks, netnsPrefix, ...(overlay ? { overlay } : {}) });
}

/**
 * The picture of `source` on the host of `executors`: plan only when asked, or when the topology was
 * never applied here (no recorded model); otherwise its `deploymentStatus` and last verify results
 * laid over the file (missing and drifted resources, dnsmasq, pass/block/fail on check arrows).
 * Namespace names carry the host's netns prefix either way.
 *
 * @throws {OpenVswitchUnavailableError} for an OVS topology when no Open vSwitch answers
 */
export async function pictureOf(
  source: PictureSource,
  executors: Executors,
  opts: PictureOptions = {},
): Promise<Picture> {
  const { model, checks } = source;
  const netnsPrefix = executors.host.netnsPrefix;
  if (opts.planOnly || source.previous === null) {
    return { graph: buildGraph(model, { checks, netnsPrefix }), model, checks, status: null, verify: null };
  }
  const seen = await observeHost(source, executors, opts);
  return { graph: drawPicture(source, seen, netnsPrefix), model, checks, ...seen };
}
