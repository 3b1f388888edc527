/**
 * A runnable tour of the library: a "router" namespace and an "instance" namespace joined by a
 * veth pair, a default route, a firewall applied twice (the second apply sends nothing), a ping
 * that the firewall then blocks, and everything removed again.
 *
 *   node --import tsx examples/tour.ts          (as root)
 *
 * Names carry a random suffix, so the tour never touches anything that is not its own.
 */
import { randomBytes } from 'node:crypto';
// Outside this repository these are 'tenantnet/exec', 'tenantnet/ip' and 'tenantnet/iptables'.
import { run } from '../src/exec/index.js';
import {
  addAddress,
  addVeth,
  closeIpBatches,
  createNamespace,
  deleteNamespace,
  setDefaultGateway,
} from '../src/ip/index.js';
import { IptablesManager } from '../src/iptables/index.js';

const id = randomBytes(3).toString('hex');
const router = `tour-${id}-qrouter`;
const vm = `tour-${id}-vm`;
const [qr, tap] = [`qr-${id}`, `tap${id}`];
const say = (s: string) => process.stdout.write(`${s}\n`);
const expect = (ok: boolean, what: string) => {
  say(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
};
const ping = async (ns: string, ip: string) =>
  (await run(['ping', '-c', '1', '-W', '1', ip], { namespace: ns, check: false })).exitCode === 0;

try {
  await createNamespace(router); // lo up, promote_secondaries=1; idempotent
  await createNamespace(vm);
  // The peer end is created straight inside the instance's namespace; both ends carry the owner mark.
  await addVeth({
    namespace: router,
    name: qr,
    peer: tap,
    peerNamespace: vm,
    up: true,
    owner: { owner: `tour-${id}`, group: 4242 },
  });
  await addAddress({ namespace: router, dev: qr, cidr: '10.77.0.1/24' });
  await addAddress({ namespace: vm, dev: tap, cidr: '10.77.0.5/24' });
  await setDefaultGateway({ namespace: vm, via: '10.77.0.1' });
  expect(await ping(vm, '10.77.0.1'), 'the instance pings the router');

  const fw = new IptablesManager({ namespace: router, prefix: 'tour', families: [4] });
  fw.table('filter').addRule('INPUT', '-p icmp -s 10.77.0.5 -j DROP', { comment: 'no pings from the vm' });
  fw.table('nat').addRule('snat', '-s 10.77.0.0/24 -j SNAT --to-source 192.0.2.10');
  const first = await fw.apply();
  expect(
    first.restores === 1 && first.operations > 0,
    `first apply: ${first.operations} operations in one iptables-restore`,
  );
  const second = await fw.apply();
  expect(second.operations === 0 && second.restores === 0, 'second apply: nothing changed, nothing sent');
  expect(!(await ping(vm, '10.77.0.1')), "the firewall now drops the instance's pings");
} finally {
  await deleteNamespace(router); // the veth pair, routes and firewall go with the namespaces
  await deleteNamespace(vm);
  await closeIpBatches();
  say('removed both namespaces');
}
