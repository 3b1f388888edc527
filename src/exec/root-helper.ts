// How tenantnet gains root for a command (Neutron: the root helper / rootwrap setting).
/**
 * How tenantnet gains root for a command. `null` means no helper: the process is already root,
 * or the caller knows the command needs none.
 */
export type RootHelper = readonly string[] | null;

let configured: RootHelper | undefined;

/**
 * Sets the root helper used when a call does not pass one: for example `['sudo', '-n']` or a
 * rootwrap-like command. Pass `undefined` to return to the default.
 */
export function setDefaultRootHelper(helper: RootHelper | undefined): void {
  configured = helper;
}

/**
 * The root helper in force: the configured one, else none when running as root (uid 0), else
 * `sudo -n` (non-interactive: a missing sudo rule fails at once instead of prompting).
 */
export function defaultRootHelper(): RootHelper {
  if (configured !== undefined) return configured;
  return process.getuid?.() === 0 ? null : ['sudo', '-n'];
}
