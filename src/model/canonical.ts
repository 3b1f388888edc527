// One text per model: JSON with object keys sorted at every level, for hashing, storing and diffing
// (a spec in the state directory or etcd compares equal exactly when the desired state is equal).
import type { Model } from './types.js';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * Any plain JSON value as canonical JSON: object keys sorted at every level, `undefined` members
 * left out, no whitespace, list order kept. Deep-equal values give the same text. Pure.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/**
 * The model as canonical JSON: keys sorted at every level, no whitespace, list order kept (lists are
 * already in a canonical order: resources by name, subnets and rules as given). Two models that are
 * deep-equal give the same text. Pure.
 */
export function canonicalModelJson(model: Model): string {
  return canonicalJson(model);
}
