// The DHCP client's event script of instances: one file under the state directory, shared by every
// instance of the host (busybox udhcpc has no default script). Neutron has none: a VM runs its own.
import { posix } from 'node:path';
import { udhcpcScript } from '../dhcp/client.js';

/** Where the instances' udhcpc script lives: `<stateDir>/instances/udhcpc.sh`. Pure. */
export function clientScriptPath(stateDir: string): string {
  return posix.join(stateDir, 'instances', 'udhcpc.sh');
}

/** The script's content (see `udhcpcScript` in src/dhcp). Pure. */
export function clientScript(): string {
  return udhcpcScript();
}
