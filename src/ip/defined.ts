// defined(): an object without its undefined keys, so ops built from optional arguments carry none (plans print and compare clean).

/**
 * A copy of `o` without the keys whose value is `undefined`: the one place that turns optional
 * arguments into op fields, instead of a `...(x !== undefined ? { x } : {})` spread per field. Pure.
 */
export function defined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
