// The `ipset restore` lines that bring one set from what it holds to what is wanted: create and fill,
// a few `add`/`del`, or a temporary set filled and swapped in. Pure, so the manager, the reconcile
// engine and `plan --commands` print the same lines. Neutron: ipset_manager's _refresh_set.

/** How a set changes. */
export type MembersMethod = 'none' | 'create' | 'incremental' | 'swap';

/** The lines {@link membersPlan} chose. */
export interface MembersPlan {
  /** Members to add (canonical). */
  readonly added: string[];
  /** Members to remove (canonical). */
  readonly removed: string[];
  /** How: nothing, create the set, add/del lines, or a temporary set and a swap. */
  readonly method: MembersMethod;
  /** The `ipset restore` lines, without newlines (none when nothing changes). */
  readonly lines: string[];
}

/**
 * The restore lines that make set `name` (a `hash:net` of `family`) hold exactly `want` (canonical
 * members, see `canonicalMembers`), given what it holds (`have`; null: the set does not exist). Up to
 * `threshold` changes are `del`/`add` lines; more are built in `<name><swapSuffix>` and swapped in, so
 * a rule matching the set never sees it half-filled. Pure.
 */
export function membersPlan(
  name: string,
  family: 4 | 6,
  want: readonly string[],
  have: ReadonlySet<string> | null,
  threshold: number,
  swapSuffix: string,
): MembersPlan {
  const fam = family === 4 ? 'inet' : 'inet6';
  if (have === null) {
    return {
      added: [...want],
      removed: [],
      method: 'create',
      lines: [`create ${name} hash:net family ${fam} -exist`, ...want.map((m) => `add ${name} ${m} -exist`)],
    };
  }
  const wantSet = new Set(want);
  const added = want.filter((m) => !have.has(m));
  const removed = [...have].filter((m) => !wantSet.has(m));
  if (added.length + removed.length === 0) return { added, removed, method: 'none', lines: [] };
  if (added.length + removed.length <= threshold) {
    return {
      added,
      removed,
      method: 'incremental',
      lines: [
        ...removed.map((m) => `del ${name} ${m} -exist`),
        ...added.map((m) => `add ${name} ${m} -exist`),
      ],
    };
  }
  const tmp = `${name}${swapSuffix}`;
  return {
    added,
    removed,
    method: 'swap',
    lines: [
      `create ${tmp} hash:net family ${fam} -exist`,
      `flush ${tmp}`,
      ...want.map((m) => `add ${tmp} ${m} -exist`),
      `swap ${tmp} ${name}`,
      `destroy ${tmp}`,
    ],
  };
}
