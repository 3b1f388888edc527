// What a host remembers of each topology it applied: the applied model (for sticky allocation next
// time, and to know what a topology had) and the last verify results, under
// `<stateDir>/topologies/<topology>/`. The kernel's marks stay the record of what exists; this is
// only what was asked for. Neutron keeps the same in its database.
import { posix } from 'node:path';
import { canonicalModelJson } from '../model/canonical.js';
import type { Model } from '../model/types.js';
import { type TopologyName, topologyName } from '../net/ownership.js';
import type { FileExecutor } from '../reconcile/executors.js';

/** `<stateDir>/topologies`. Pure. */
export function topologiesDir(stateDir: string): string {
  return posix.join(stateDir, 'topologies');
}

/** `<stateDir>/topologies/<topology>`. Pure. */
export function topologyDir(stateDir: string, topology: TopologyName): string {
  return posix.join(topologiesDir(stateDir), topology);
}

/** `<stateDir>/topologies/<topology>/model.json`: the model of the last successful apply. Pure. */
export function modelPath(stateDir: string, topology: TopologyName): string {
  return posix.join(topologyDir(stateDir, topology), 'model.json');
}

/** `<stateDir>/topologies/<topology>/verify.json`: the last verify results. Pure. */
export function verifyPath(stateDir: string, topology: TopologyName): string {
  return posix.join(topologyDir(stateDir, topology), 'verify.json');
}

/**
 * The model last applied for `topology`, or null (never applied, destroyed, or unreadable: a damaged
 * record only loses sticky allocation, so it is not an error).
 */
export async function readRecordedModel(
  files: FileExecutor,
  stateDir: string,
  topology: TopologyName,
): Promise<Model | null> {
  const text = await files.read(modelPath(stateDir, topology));
  if (text === null) return null;
  try {
    const m = JSON.parse(text) as Model;
    return m && typeof m === 'object' && m.topology === topology && Array.isArray(m.networks) ? m : null;
  } catch {
    return null;
  }
}

/** Records `model` as applied (canonical JSON, atomically). */
export async function writeRecordedModel(files: FileExecutor, stateDir: string, model: Model): Promise<void> {
  await files.write(modelPath(stateDir, model.topology), `${canonicalModelJson(model)}\n`, 0o644);
}

/** Forgets a topology (its directory under `topologies/`); false when there was none. */
export function forgetTopology(
  files: FileExecutor,
  stateDir: string,
  topology: TopologyName,
): Promise<boolean> {
  return files.removeTree(topologyDir(stateDir, topology));
}

/** The topologies with a recorded model, sorted. */
export async function recordedTopologies(files: FileExecutor, stateDir: string): Promise<TopologyName[]> {
  const out: TopologyName[] = [];
  for (const name of await files.list(topologiesDir(stateDir))) {
    let t: TopologyName;
    try {
      t = topologyName(name);
    } catch {
      continue;
    }
    if ((await files.read(modelPath(stateDir, t))) !== null) out.push(t);
  }
  return out.sort();
}
