/**
 * The directory where tenantnet keeps what it owns on disk (pidfiles, dnsmasq configs, state):
 * `$TENANTNET_STATE_DIR`, else `/var/lib/tenantnet`. Everything under it is tenantnet's.
 */
export function stateDir(): string {
  return process.env.TENANTNET_STATE_DIR || '/var/lib/tenantnet';
}
